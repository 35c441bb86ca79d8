"""benchmarks/planted_budget.py: its learners recover a small planted instance when given enough
evaluations, its descent stops in a true local minimum, and its summary table lists every row."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys

import numpy as np
import pytest


SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "planted_budget.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("planted_budget", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["planted_budget"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def instance(bench):
    return bench.PlantedInstance(6, 6, seed=3)  # 36 spins


def test_oracle_support_finds_the_ground_state_with_enough_evaluations(bench, instance) -> None:
    rng = np.random.default_rng(0)
    many = bench.learner_gap(instance, 8 * len(instance.couplings), rng, screened=False)
    few = bench.learner_gap(instance, 5, np.random.default_rng(0), screened=False)
    assert many["gap"] == pytest.approx(0.0)
    assert few["gap"] > 0.0


def test_screening_recalls_the_couplings_with_enough_evaluations(bench, instance) -> None:
    out = bench.learner_gap(instance, 4000, np.random.default_rng(1), screened=True)
    assert out["recall"] >= 0.9
    assert out["gap"] >= 0.0


def test_descent_stops_where_no_single_flip_improves(bench, instance) -> None:
    out = bench.descent(instance, np.random.default_rng(2))
    bits = np.array(out["bits"])
    assert instance.energy(bits) == pytest.approx(out["energy"])
    for i in range(instance.n_variables):
        flipped = bits.copy()
        flipped[i] = 1 - flipped[i]
        assert instance.energy(flipped) >= out["energy"]
    n = instance.n_variables
    assert (out["evaluations"] - 1) % n == 0 and out["evaluations"] >= 2 * n + 1
    assert out["gap"] >= 0.0


def test_summary_table_has_a_row_per_budget(bench) -> None:
    rows = [
        {"variables": 9, "learner": "exact", "evaluations": 0.0, "gap_mean": 0.0, "recall": None},
        {
            "variables": 9,
            "learner": "oracle-support",
            "evaluations": 10.0,
            "gap_mean": 0.5,
            "recall": None,
        },
        {
            "variables": 9,
            "learner": "screened",
            "evaluations": 10.0,
            "gap_mean": 0.9,
            "recall": 0.25,
        },
    ]
    table = bench.summary_table(rows)
    assert "| 10 | 50.0% | 90.0% (25%) |" in table
    assert "annealing on the true couplings: 0.0%" in table
