"""benchmarks/solver_ablation.py solves the sampler's own QUBOs with every solver, in seconds."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys


SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "solver_ablation.py"


def test_the_ablation_records_every_solver_on_the_samplers_qubos(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--problems",
            "bocs-contamination",
            "--seeds",
            "1",
            "--trials",
            "8",
            "--record",
            "7",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((tmp_path / "solver_ablation.json").read_text())
    rows = payload["rows"]
    # Trial 7 is a model proposal: its mean and draw QUBOs (2 draws), each solved at least once.
    assert len(rows) >= 3 and {r["trial"] for r in rows} == {7}
    for row in rows:
        assert row["bits"] == 25
        energies = {name: e for name, (e, _) in row["energies"].items()}
        assert {"annealing", "random", "steepest", "tabu", "reference"} <= set(energies)
        # The reference (64 x 1,000 sweeps) is never beaten by much on a 25-bit QUBO, and every
        # energy is a real energy of that QUBO (finite).
        assert all(abs(e) < 1e6 for e in energies.values())
        assert energies["reference"] <= min(energies.values()) + 1e-6
    table = (tmp_path / "solver_ablation.md").read_text()
    assert (
        table.startswith("| problem | bits | QUBOs |") and "| bocs-contamination | 25 |" in table
    )
