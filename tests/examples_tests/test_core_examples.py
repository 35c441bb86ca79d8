"""The core examples run end to end in their quick mode."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(name: str) -> str:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_annealing_nasbench201_prints_the_best_architecture() -> None:
    text = _run("annealing_nasbench201.py")
    assert "best architecture: |" in text
    acc = float(text.split("mean over training seeds:")[1].split("%")[0])
    assert 10.0 <= acc <= 95.0


def test_mock_qpu_example_embeds_and_reports_chains() -> None:
    text = _run("mock_qpu.py")
    assert "best params:" in text
    assert "physical qubits" in text and "chain-break fraction" in text
