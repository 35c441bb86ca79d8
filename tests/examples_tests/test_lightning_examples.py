"""The Lightning / NAS examples run end to end in --quick mode and print their tables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(
    REPO, "..", "shared", "data", "nb201-device-latency", "nb201_latency_ms_27devices.csv.gz"
)


def _run(script: str, *args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "examples", script), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


@pytest.mark.parametrize(
    "script, sampler",
    [("lightning_digits_annealing.py", "quantum-annealing"), ("lightning_digits_tpe.py", "tpe")],
)
def test_digits_examples(script: str, sampler: str) -> None:
    out = _run(script)
    assert "Digits NAS (cell, quick mode, seed 0)" in out
    assert "best acc" in out and "MFLOPs" in out and "lat ms" in out
    row = next(line for line in out.splitlines() if line.startswith(sampler + " "))
    best_acc = float(row.split()[2])
    assert 0.3 < best_acc <= 1.0


def test_ucr_example() -> None:
    out = _run("ucr_nas.py")
    assert "ItalyPowerDemand" in out and "UCR NAS on ItalyPowerDemand" in out
    row = next(line for line in out.splitlines() if line.startswith("quantum-annealing "))
    assert 0.5 <= float(row.split()[2]) <= 1.0


@pytest.mark.skipif(not os.path.isfile(TABLE), reason="needs ../shared latency table")
def test_edge_example() -> None:
    out = _run("edge_multiobjective_nas.py", "--table", TABLE, "--device", "pixel3")
    assert "vs pixel3 latency" in out and "hypervolume / exhaustive optimum" in out
    shares = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()[-4:]}
    assert set(shares) == {"quantum-annealing", "tpe", "nsga2", "random"}
    assert all(0 < s <= 1 for s in shares.values())
