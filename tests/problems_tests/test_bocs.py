"""The BOCS contamination control problem, checked against a scalar re-derivation."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from optuna_qnas.problems import get_problem


def _scalar_cost(objective, x):
    """The BOCS recursion written scenario by scenario, stage by stage."""
    total = 0.0
    for t in range(len(objective._z0)):
        z = objective._z0[t]
        for i, xi in enumerate(x):
            z = objective._lam[i, t] * (1 - xi) * (1 - z) + (1 - objective._gam[i, t] * xi) * z
            total += (z > 0.1) / len(objective._z0)
    return float(sum(x) * 1.01 + total)


def test_cost_matches_the_scalar_recursion():
    problem = get_problem("bocs-contamination")
    assert problem.directions == ("minimize",)
    objective = problem.make_objective(0)
    rng = np.random.default_rng(1)
    for x in [np.zeros(25, int), np.ones(25, int), *rng.integers(0, 2, size=(5, 25))]:
        assert objective.cost(x) == pytest.approx(_scalar_cost(objective, x))
    # Another seed is another instance; the same seed is the same instance.
    x = rng.integers(0, 2, size=25)
    assert problem.make_objective(0).cost(x) == objective.cost(x)
    assert problem.make_objective(1).cost(x) != objective.cost(x)


def test_views_agree():
    problem = get_problem("bocs-contamination")
    x = {f"x{i:02d}": int(b) for i, b in enumerate(np.random.default_rng(2).integers(0, 2, 25))}
    value = problem.make_objective(3)(optuna.trial.FixedTrial(x))
    assert problem.make_integer_objective(3)(optuna.trial.FixedTrial(x)) == value
    study = optuna.create_study()
    study.optimize(problem.make_objective(3), n_trials=1)
    assert study.trials[0].distributions["x00"] == optuna.distributions.CategoricalDistribution(
        (0, 1)
    )
