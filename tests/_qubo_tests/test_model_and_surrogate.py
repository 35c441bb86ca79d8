from __future__ import annotations

import numpy as np
import pytest

from optuna_qnas._qubo import BayesianQuadraticRegression
from optuna_qnas._qubo import QUBO


def _random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.RandomState(seed)
    return QUBO.from_dense(rng.normal(size=(n, n)), offset=rng.normal())


def test_energies_match_the_dense_form() -> None:
    rng = np.random.RandomState(0)
    M = rng.normal(size=(6, 6))
    q = QUBO.from_dense(M, offset=1.5)
    xs = rng.randint(0, 2, size=(20, 6))
    expected = np.einsum("mi,ij,mj->m", xs, M, xs) + 1.5
    np.testing.assert_allclose(q.energies(xs), expected)
    assert q.energies(xs[0]) == pytest.approx(expected[0])


def test_restricted_qubo_agrees_with_the_full_one() -> None:
    q = _random_qubo(8, 1)
    rng = np.random.RandomState(2)
    fixed = rng.randint(0, 2, size=8)
    free = np.array([6, 1, 3])
    sub = q.restricted(free, fixed)
    for x_free in rng.randint(0, 2, size=(8, 3)):
        x = fixed.copy()
        x[free] = x_free
        assert sub.energies(x_free) == pytest.approx(q.energies(x))


def test_max_flip_delta_bounds_every_flip() -> None:
    q = _random_qubo(7, 3)
    xs, e = q.brute_force()
    bound = q.max_flip_delta()
    for i in range(7):
        flipped = xs.copy()
        flipped[:, i] ^= 1
        assert np.all(np.abs(q.energies(flipped) - e) <= bound[i] + 1e-9)


def test_bad_qubo_shapes_and_values() -> None:
    with pytest.raises(ValueError, match="shape"):
        QUBO(np.zeros(3), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="upper triangular"):
        QUBO(np.zeros(2), np.array([[0.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="finite"):
        QUBO(np.array([np.nan, 0.0]), np.zeros((2, 2)))


@pytest.mark.parametrize("n_train", [20, 200])  # dual form (n < p) and primal form (n > p)
def test_blr_recovers_a_quadratic_function(n_train: int) -> None:
    n = 8
    truth = _random_qubo(n, 4)
    mask = np.triu(np.ones((n, n), dtype=bool), 1)  # p = 1 + 8 + 28 = 37 features
    rng = np.random.RandomState(5)
    X = rng.randint(0, 2, size=(n_train, n))
    y = truth.energies(X) + 0.01 * rng.normal(size=n_train)
    model = BayesianQuadraticRegression(mask)
    model.fit(X, y, rng)
    X_test = rng.randint(0, 2, size=(100, n))
    pred = model.mean_qubo().energies(X_test)
    err = np.sqrt(np.mean((pred - truth.energies(X_test)) ** 2))
    spread = np.std(truth.energies(X_test))
    if n_train > 37:
        assert err < 0.05 * spread
    else:
        assert err < 0.8 * spread  # fewer trials than features: a prior-shrunk but useful fit
    # Posterior draws scatter around the mean, more where there is less data.
    draws = np.stack([model.sample_qubo(rng).energies(X_test) for _ in range(30)])
    assert np.all(np.isfinite(draws))
    assert np.abs(draws.mean(axis=0) - pred).mean() < np.std(draws, axis=0).mean()


def test_blr_posterior_draws_match_the_exact_posterior_in_both_forms() -> None:
    # The dual (Bhattacharya et al.) sampler and the primal Cholesky sampler must draw from the
    # same Gaussian: compare their empirical means and variances of predictions.
    n = 5
    mask = np.triu(np.ones((n, n), dtype=bool), 1)
    rng = np.random.RandomState(6)
    X = rng.randint(0, 2, size=(12, n))  # 12 < 16 features: dual form
    y = rng.normal(size=12)
    model = BayesianQuadraticRegression(mask)
    model.fit(X, y, rng)
    assert not model._primal
    x_test = rng.randint(0, 2, size=(4, n))
    dual = np.stack([model.sample_qubo(rng).energies(x_test) for _ in range(4000)])
    # Same hyperparameters, forced through the primal path.
    model._primal = True
    import scipy.linalg

    F, sn, d = model._F, model._sn, model._d
    H = F.T @ F / sn + np.diag(1.0 / d)
    model._L_H = scipy.linalg.cholesky(H, lower=True)
    model._mean = scipy.linalg.cho_solve((model._L_H, True), F.T @ y / sn)
    primal = np.stack([model.sample_qubo(rng).energies(x_test) for _ in range(4000)])
    np.testing.assert_allclose(dual.mean(axis=0), primal.mean(axis=0), atol=0.1)
    np.testing.assert_allclose(dual.std(axis=0), primal.std(axis=0), rtol=0.1)
