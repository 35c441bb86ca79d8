"""benchmarks/gate_speed.py times the gate samplers' mixed study and NAS-Bench-201 proposals."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import pytest


pytest.importorskip("qiskit_optimization")
pytest.importorskip("qiskit_aer")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gate_speed.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_the_benchmark_writes_both_tables(tmp_path: Path) -> None:
    out = tmp_path / "gate_speed.json"
    done = _run(
        "--samplers", "qaoa", "--mixed-trials", "7", "--nb201-trials", "7", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    (mixed,) = results["mixed"]
    # 5 space-filling start-up trials, then 2 model-based proposals on the circuit.
    assert mixed["sampler"] == "qaoa" and mixed["model_proposals"] == 2
    assert mixed["cpu_seconds"] > 0 and mixed["circuit_evaluations"] > 0
    (nb201,) = results["nb201"]
    assert nb201["problem"] == "nasbench201-cifar10" and nb201["model_proposals"] == 2
    assert 0 < nb201["proposal_cpu_median"] <= nb201["proposal_cpu_max"]
    assert "| qaoa | 0 |" in done.stdout
    again = _run("--table", str(out))
    assert again.returncode == 0 and "per model-based proposal" in again.stdout


def test_an_unknown_sampler_is_refused() -> None:
    done = _run("--samplers", "annealing", "--skip-nb201")
    assert done.returncode != 0 and "unknown sampler 'annealing'" in done.stderr
