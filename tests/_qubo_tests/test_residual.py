"""The Gaussian-process correction of the screened regression's errors (ranking only)."""

from __future__ import annotations

import numpy as np
import pytest

from optuna_qnas._qubo._residual import changed_parameters
from optuna_qnas._qubo._residual import HammingResidual
from optuna_qnas._qubo._residual import leave_one_out_residuals
from optuna_qnas._qubo._screening import ScreenedQuadraticRegression
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression


def _one_hot(levels: np.ndarray, n_levels: int) -> np.ndarray:
    n, k = levels.shape
    X = np.zeros((n, k * n_levels))
    X[np.arange(n)[:, None], np.arange(k) * n_levels + levels] = 1.0
    return X


def _bumpy(levels: np.ndarray) -> np.ndarray:
    """Not quadratic in the one-hot bits: a sine of the level sum of the first 12 parameters."""
    return np.sin(levels[:, :12].sum(axis=1) / 2.0) + 0.1 * levels[:, 12:].sum(axis=1)


def _local_data(seed: int, n_far: int, n_near: int) -> tuple[np.ndarray, np.ndarray]:
    """Level tuples of 30 four-level parameters: random ones, then one- and two-parameter moves
    of the first (how the sampler's evidence looks around an incumbent)."""
    rng = np.random.default_rng(seed)
    far = rng.integers(0, 4, size=(n_far, 30))
    near = np.repeat(far[:1], n_near, axis=0)
    for row in near:
        for k in rng.choice(30, size=rng.integers(1, 3), replace=False):
            row[k] = (row[k] + rng.integers(1, 4)) % 4
    return far, near


def test_changed_parameters_counts_differing_one_hot_parameters() -> None:
    a = _one_hot(np.array([[0, 1, 2, 3]]), 4)
    b = _one_hot(np.array([[0, 1, 2, 3], [0, 2, 2, 0], [1, 0, 3, 2]]), 4)
    assert changed_parameters(a, b).tolist() == [[0.0, 2.0, 4.0]]


def test_leave_one_out_residuals_equal_refits_without_each_trial() -> None:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(25, 8)).astype(float)
    y = X @ rng.normal(size=8) + 0.3 * rng.normal(size=25)
    mask = np.triu(np.ones((8, 8), dtype=bool), 1)
    model = BayesianQuadraticRegression(mask)
    model.fit(X, y, np.random.RandomState(0))
    scales = np.array(model.log_scales)
    mean, std = model.predict(X)
    loo = leave_one_out_residuals(y, mean, std, model.noise_std)
    for i in (0, 7, 24):
        keep = np.arange(25) != i
        refit = BayesianQuadraticRegression(mask)
        refit.fit(X[keep], y[keep], initial_log_scales=scales, optimize=False)
        assert loo[i] == pytest.approx(y[i] - refit.predict(X[i : i + 1])[0][0], rel=1e-6)


def test_the_evidence_gradient_matches_finite_differences() -> None:
    far, near = _local_data(1, 20, 20)
    X = _one_hot(np.vstack([far, near]), 4)
    r = _bumpy(np.vstack([far, near]))
    D = changed_parameters(X, X)
    gp = HammingResidual()
    v = np.array([-0.4, 0.8, -1.1])
    f, grad = gp._neg_log_evidence(v, D, r)
    step = 1e-6
    numeric = [
        (gp._neg_log_evidence(v + step * e, D, r)[0] - gp._neg_log_evidence(v - step * e, D, r)[0])
        / (2 * step)
        for e in np.eye(3)
    ]
    assert np.isfinite(f)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_the_correction_improves_predictions_near_the_evidence_and_keeps_the_qubos() -> None:
    far, near = _local_data(2, 60, 140)
    train = np.vstack([far, near[:60]])
    X, y = _one_hot(train, 4), _bumpy(train)
    y = (y - y.mean()) / y.std()
    Xt = _one_hot(near[60:], 4)
    yt = (_bumpy(near[60:]) - _bumpy(train).mean()) / _bumpy(train).std()
    mask = np.triu(np.ones((120, 120), dtype=bool), 1)
    plain = ScreenedQuadraticRegression(mask, residual=False)
    corrected = ScreenedQuadraticRegression(mask)
    for model in (plain, corrected):
        model.fit(X, y, np.random.RandomState(0))
    np.testing.assert_array_equal(corrected.mean_qubo().quadratic, plain.mean_qubo().quadratic)
    np.testing.assert_array_equal(corrected.mean_qubo().linear, plain.mean_qubo().linear)
    err_plain = np.mean((plain.predict(Xt)[0] - yt) ** 2)
    err_corrected = np.mean((corrected.predict(Xt)[0] - yt) ** 2)
    assert err_corrected < 0.7 * err_plain
    assert {"residual_std", "residual_length", "residual_noise_std"} <= set(
        corrected.hyperparameters
    )


def test_the_reference_prediction_is_consistent_with_predict() -> None:
    far, near = _local_data(3, 30, 30)
    levels = np.vstack([far, near])
    X, y = _one_hot(levels, 4), _bumpy(levels)
    model = ScreenedQuadraticRegression(np.triu(np.ones((120, 120), dtype=bool), 1))
    model.fit(X, (y - y.mean()) / y.std(), np.random.RandomState(0))
    Xq = _one_hot(_local_data(4, 5, 5)[1], 4)
    mean, std, cov, ref_mean = model.predict_with_reference(np.vstack([Xq, X[0]]), X[0])
    p_mean, p_std = model.predict(np.vstack([Xq, X[0]]))
    np.testing.assert_allclose(mean, p_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(std, p_std, rtol=1e-9, atol=1e-12)
    assert ref_mean == pytest.approx(p_mean[-1])
    # The reference co-varies with itself as its variance.
    assert cov[-1] == pytest.approx(p_std[-1] ** 2, rel=1e-6)
