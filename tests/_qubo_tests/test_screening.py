"""The screened quadratic regression: pairs chosen by heredity and screening, sparse QUBOs."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas import Surrogate
from optuna_qnas._qubo._screening import SCREEN_ABOVE_PAIRS
from optuna_qnas._qubo._screening import screen_pairs
from optuna_qnas._qubo._screening import screened_pair_budget
from optuna_qnas._qubo._screening import ScreenedQuadraticRegression
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression
from optuna_qnas.samplers._qubo._propose import default_surrogate


def _data(n: int, n_bits: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, n_bits)).astype(float)
    # Main effects on bits 3 and 7 and a strong interaction between them; the rest is noise.
    y = 0.5 * X[:, 3] - 0.5 * X[:, 7] + 2.0 * X[:, 3] * X[:, 7] + 0.1 * rng.normal(size=n)
    return X, y


def test_screening_finds_a_planted_interaction_among_all_pairs() -> None:
    X, y = _data(80, 40, seed=0)
    mask = np.triu(np.ones((40, 40), dtype=bool), 1)
    score = np.zeros(40)
    score[[3, 7]] = 1.0  # the main effects point at bits 3 and 7
    kept = screen_pairs(X, y - y.mean(), score, mask, n_pairs=1, candidate_factor=4)
    assert kept.sum() == 1 and kept[3, 7]


def test_pure_noise_keeps_no_pair_above_the_chance_level() -> None:
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, size=(60, 50)).astype(float)
    y = rng.normal(size=60)
    mask = np.triu(np.ones((50, 50), dtype=bool), 1)
    score = rng.random(50)
    assert screen_pairs(X, y, score, mask, 20, chance_level=1.0).sum() == 0
    # Without the chance floor the budget is filled with whatever correlates best.
    assert screen_pairs(X, y, score, mask, 20, chance_level=0.0).sum() == 20


def test_screening_only_keeps_allowed_pairs() -> None:
    X, y = _data(80, 12, seed=2)
    mask = np.triu(np.ones((12, 12), dtype=bool), 1)
    mask[3, 7] = False  # e.g. two bits of one one-hot parameter
    kept = screen_pairs(X, y, np.ones(12), mask, 10, chance_level=0.0)
    assert not kept[3, 7] and not np.any(kept & ~mask)


def test_the_pair_budget_grows_with_the_evidence() -> None:
    assert screened_pair_budget(10, 10_000, pairs_per_trial=8, min_pairs=64) == 80
    assert screened_pair_budget(100, 10_000, 8, 64) == 800
    assert screened_pair_budget(2, 10_000, 8, 64) == 64
    assert screened_pair_budget(100, 300, 8, 64) == 300


def test_the_screened_regression_learns_the_interaction_and_gives_a_sparse_qubo() -> None:
    X, y = _data(120, 60, seed=3)
    mask = np.triu(np.ones((60, 60), dtype=bool), 1)
    model = ScreenedQuadraticRegression(mask)
    assert isinstance(model, Surrogate)
    model.fit(X, y, np.random.RandomState(0))
    assert 1 <= model.n_pairs <= screened_pair_budget(120, int(mask.sum()), 8, 64)
    q = model.mean_qubo()
    assert np.count_nonzero(q.quadratic) == model.n_pairs
    assert q.quadratic[3, 7] == pytest.approx(2.0, abs=0.3)
    # It predicts held-out data far better than a linear model can.
    Xt, yt = _data(200, 60, seed=4)
    linear = BayesianQuadraticRegression(np.zeros((60, 60), dtype=bool))
    linear.fit(X, y, np.random.RandomState(0))
    err = np.mean((model.predict(Xt)[0] - yt) ** 2)
    assert err < 0.5 * np.mean((linear.predict(Xt)[0] - yt) ** 2)
    draw = model.sample_qubo(np.random.RandomState(1))
    assert set(zip(*np.nonzero(draw.quadratic))) <= set(zip(*np.nonzero(mask)))
    assert np.count_nonzero(draw.quadratic) <= model.n_pairs


def test_the_sampler_screens_only_wide_spaces() -> None:
    narrow = np.triu(np.ones((30, 30), dtype=bool), 1)
    wide = np.triu(np.ones((100, 100), dtype=bool), 1)
    assert narrow.sum() <= SCREEN_ABOVE_PAIRS < wide.sum()
    assert isinstance(default_surrogate(narrow), BayesianQuadraticRegression)
    assert isinstance(default_surrogate(wide), ScreenedQuadraticRegression)


def test_a_wide_study_runs_on_screened_pairs_and_records_them() -> None:
    n_params = 40  # 4 levels each, one-hot: 160 bits, 12,000 candidate pairs

    def objective(trial: optuna.Trial) -> float:
        levels = [trial.suggest_categorical(f"p{i:02d}", [0, 1, 2, 3]) for i in range(n_params)]
        return float(sum(levels) + 3 * (levels[0] == levels[1]))

    study = optuna.create_study(sampler=QuantumAnnealingSampler(seed=0, n_startup_trials=8))
    study.optimize(objective, n_trials=12)
    proposal = study.trials[-1].system_attrs["qnas:proposal"]
    assert proposal["mode"] == "model"
    assert 0 <= proposal["screened_pairs"] <= screened_pair_budget(11, 12_000, 8, 64)
    assert len(study.trials) == 12 and study.best_value < 60
