"""benchmarks/circuit_ablation.py: QAOA against uniform and annealing sources, in seconds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import subprocess
import sys
from types import ModuleType

import numpy as np
from optuna.distributions import CategoricalDistribution
import pytest

from optuna_qnas import SearchSpaceEncoding
from optuna_qnas._qubo import QUBO


pytest.importorskip("qiskit_aer")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "circuit_ablation.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("circuit_ablation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_uniform_solver_draws_valid_configurations_and_checks_the_width() -> None:
    module = _module()
    space = {f"op{k}": CategoricalDistribution(list("abcde")) for k in range(3)}
    enc = SearchSpaceEncoding(space, "binary")  # 3 bits per parameter, codes 5-7 are invalid
    rng = np.random.default_rng(0)
    qubo = QUBO(rng.normal(size=9), np.triu(rng.normal(size=(9, 9)), 1), 0.0)
    result = module.UniformSolver(enc).solve(qubo, 16, seed=3)
    assert result.samples.shape == (16, 9)
    assert enc.feasible(result.samples).all()
    assert len(np.unique(result.samples, axis=0)) == 16
    np.testing.assert_allclose(result.energies, qubo.energies(result.samples))
    best_of_many = module.UniformSolver(enc, draws=1024).solve(qubo, 16, seed=3)
    assert best_of_many.energies[0] <= result.energies[0]
    with pytest.raises(ValueError, match="encoding has 9 bits but the QUBO has 4"):
        module.UniformSolver(enc).solve(QUBO.zeros(4), 4, seed=0)


def test_the_ablation_writes_all_three_levels(tmp_path: Path) -> None:
    methods = "qaoa,qaoa circuit part,annealing,uniform,uniform best of 1024"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--seeds",
            "1",
            "--trials",
            "9",
            "--record",
            "7,8",
            "--checkpoints",
            "5,9",
            "--arms",
            "qaoa,uniform",
            "--methods",
            methods,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads((tmp_path / "circuit_ablation.json").read_text())
    # (a) Every QUBO the solver was called with at the recorded trials (at least the mean's).
    rows = payload["qubo_level"]
    assert len(rows) >= 2 and {r["trial"] for r in rows} == {7, 8}
    for row in rows:
        assert row["bits"] >= 18  # 6 parameters of 5 levels: 18 bits in binary, more otherwise
        if row["bits"] <= 20:
            assert row["bit_optimum"] <= row["optimum"] + 1e-9
        got = row["methods"]
        assert {"qaoa", "annealing", "uniform", "uniform best of 1024"} <= set(got)
        for stats in got.values():
            # Nothing beats the enumerated best configuration; means are no better than bests.
            assert -1e-9 <= stats["best_gap"] <= stats["mean_gap"] + 1e-9
            assert 1 <= stats["configs"] <= 16
        assert got["uniform"]["configs"] >= 15
    # (b) Every model proposal (trials 5-8) has a pool group; the solver's winners are found
    # among what the solver returned (same bit layout as the sampler's).
    for arm in ("qaoa", "uniform"):
        origins = payload["origins"][arm]
        assert [r["trial"] for r in origins] == [5, 6, 7, 8]
        assert all(r["source"] in ("mean", "draw", "local", "random", "refine") for r in origins)
        assert all(r["found"] for r in origins if r["source"] == "mean")
    assert all(r["circuit"] is None for r in payload["origins"]["uniform"] if "found" in r)
    # (c) Running best of a maximised objective, one value per trial.
    for arm in ("qaoa", "uniform"):
        curve = payload["curves"][arm]["0"]
        assert len(curve) == 9 and np.all(np.diff(curve) >= 0)
    text = (tmp_path / "circuit_ablation.md").read_text()
    assert "| qaoa vs uniform |" in text and "| uniform best of 1024 | 2 |" in text
