"""Expected improvement, normal scores and the regression's predictive distribution."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from scipy.stats import norm

from optuna_qnas._qubo._acquisition import incumbent_gain_order
from optuna_qnas._qubo._acquisition import log_expected_improvement
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression
from optuna_qnas._qubo._surrogate import normal_scores


def test_log_ei_matches_the_closed_form_and_stays_finite_in_the_tail() -> None:
    mean = np.linspace(-3.0, 40.0, 400)
    std = np.full_like(mean, 0.7)
    u = (0.0 - mean) / std
    ei = std * (u * norm.cdf(u) + norm.pdf(u))
    got = log_expected_improvement(mean, std, 0.0)
    ok = ei > 1e-250
    np.testing.assert_allclose(got[ok], np.log(ei[ok]), rtol=1e-8, atol=1e-10)
    # Where EI underflows to 0 the logarithm still ranks: finite and decreasing in the mean.
    assert not ok.all()
    assert np.all(np.isfinite(got))
    assert np.all(np.diff(got) < 0)
    # More uncertainty at the same mean means more expected improvement.
    assert log_expected_improvement(
        np.array([1.0]), np.array([2.0]), 0.0
    ) > log_expected_improvement(np.array([1.0]), np.array([0.5]), 0.0)


def _incumbent_gain_by_simulation(mean, var, cov, inc_mean, inc_var, noise, best, rng):
    """E[(f_inc - f(x)) 1{f(x) + e < best}] by sampling the joint Gaussian directly."""
    out = []
    for m, v, c in zip(mean, var, cov):
        joint = np.array([[v, c], [c, inc_var]])
        f = rng.multivariate_normal([m, inc_mean], joint, size=400_000)
        y = f[:, 0] + noise * rng.standard_normal(len(f))
        out.append(np.mean((f[:, 1] - f[:, 0]) * (y < best)))
    return np.array(out)


def test_incumbent_gain_ranks_like_the_simulated_expectation() -> None:
    rng = np.random.RandomState(0)
    inc_mean, inc_var, noise, best = -1.0, 0.09, 0.5, -1.8  # a lucky incumbent: best << inc_mean
    mean = np.array([-1.6, -1.2, -0.8, -1.0, 0.5, -1.3, -0.4])
    var = np.array([0.04, 0.30, 0.50, 0.09, 0.20, 0.01, 1.5])
    cov = np.array([0.02, 0.00, 0.05, 0.09, 0.00, 0.00, 0.10])  # the fourth is the incumbent
    sim = _incumbent_gain_by_simulation(mean, var, cov, inc_mean, inc_var, noise, best, rng)
    order = incumbent_gain_order(mean, np.sqrt(var), cov, inc_mean, noise, best)
    np.testing.assert_array_equal(order[:3], np.argsort(-sim)[:3])
    # Re-evaluating the incumbent's own configuration (same mean, covariance = variance) gains
    # nothing; a candidate believed worse than the incumbent and surely so loses: below zero.
    assert abs(sim[3]) < 2e-3
    assert sim[4] < 0 and list(order).index(4) > list(order).index(3)


def test_incumbent_gain_without_noise_far_from_the_incumbent_is_expected_improvement() -> None:
    mean = np.linspace(-2.0, 3.0, 60)
    std = np.linspace(0.2, 1.5, 60)[::-1]
    order = incumbent_gain_order(mean, std, np.zeros(60), -1.0, 0.0, -1.0)
    np.testing.assert_array_equal(
        order, np.argsort(-log_expected_improvement(mean, std, -1.0), kind="stable")
    )


def test_incumbent_gain_order_survives_underflow_and_overflow() -> None:
    # Far in both tails (z = -60 and z = +60): no NaN, and the order is still the sensible one.
    mean = np.array([40.0, 30.0, -31.0, -30.0])
    std = np.full(4, 0.5)
    with np.errstate(invalid="raise", over="raise", divide="raise"):
        order = incumbent_gain_order(mean, std, np.zeros(4), 0.0, 0.0, 0.0)
    np.testing.assert_array_equal(order, [2, 3, 1, 0])


def test_normal_scores_keep_the_order_and_ignore_the_scale() -> None:
    y = np.array([3.0, -1e6, 0.5, 1e9, 0.6])
    z = normal_scores(y)
    np.testing.assert_array_equal(np.argsort(z), np.argsort(y))
    np.testing.assert_allclose(np.sort(z), norm.ppf((np.arange(5) + 0.5) / 5))
    np.testing.assert_allclose(normal_scores(2.0 * y + 7.0), z)
    # Ties share their score.
    t = normal_scores(np.array([1.0, 1.0, 2.0]))
    assert t[0] == t[1] < t[2]
    assert normal_scores(np.array([])).shape == (0,)


def test_normal_scores_average_tied_ranks_like_scipy_stats() -> None:
    from scipy.stats import rankdata

    rng = np.random.RandomState(4)
    for k in range(50):
        y = np.round(rng.normal(size=rng.randint(1, 80)) * (1 + k % 4))  # many ties
        np.testing.assert_array_equal(normal_scores(y), norm.ppf((rankdata(y) - 0.5) / y.size))


@pytest.mark.parametrize("n_train", [12, 60])  # dual form (n <= p = 16) and primal form (n > p)
def test_predict_equals_the_exact_weight_space_posterior(n_train: int) -> None:
    n = 5
    mask = np.triu(np.ones((n, n), dtype=bool), 1)  # 1 + 5 + 10 = 16 features
    rng = np.random.RandomState(3)
    X = rng.randint(0, 2, size=(n_train, n))
    y = rng.normal(size=n_train)
    model = BayesianQuadraticRegression(mask)
    model.fit(X, y, rng)
    assert model._primal == (n_train > 16)
    X_test = rng.randint(0, 2, size=(7, n))
    mean, std = model.predict(X_test)
    # Brute force: Sigma = (F^T F / sn + D^-1)^-1, mu = Sigma F^T y / sn.
    F, _ = model._design(X)
    Fs, _ = model._design(X_test)
    Sigma = np.linalg.inv(F.T @ F / model._sn + np.diag(1.0 / model._d))
    mu = Sigma @ F.T @ y / model._sn
    np.testing.assert_allclose(mean, Fs @ mu, atol=1e-8)
    np.testing.assert_allclose(std, np.sqrt(np.einsum("ij,jk,ik->i", Fs, Sigma, Fs)), rtol=1e-6)
    # The mean is the posterior-mean QUBO's energy.
    np.testing.assert_allclose(mean, model.mean_qubo().energies(X_test), atol=1e-8)
    assert scipy.linalg.norm(model._y - y) == 0


def _mixed_encoding_mask() -> np.ndarray:
    from optuna.distributions import CategoricalDistribution
    from optuna.distributions import FloatDistribution
    from optuna.distributions import IntDistribution

    from optuna_qnas._qubo._encoding import SearchSpaceEncoding

    space = {
        "op": CategoricalDistribution(["a", "b", "c", "d"]),  # one-hot
        "width": IntDistribution(1, 6),  # domain wall
        "lr": FloatDistribution(1e-4, 1e-1, log=True),  # binned, domain wall
        "act": CategoricalDistribution(list("abcdefghijk")),  # binary code: its pairs are kept
    }
    return SearchSpaceEncoding(space).pair_mask()


def test_pair_kernel_equals_the_explicit_pair_features() -> None:
    from optuna_qnas._qubo._surrogate import QuadraticFeatures

    mask = _mixed_encoding_mask()
    feats = QuadraticFeatures(mask)
    assert 0 < len(feats._left_out[0]) < len(feats.rows)  # the kernel path is the one tested
    rng = np.random.RandomState(5)
    A, B = rng.randint(0, 2, size=(9, mask.shape[0])), rng.randint(0, 2, size=(13, mask.shape[0]))
    PA, PB = feats.pairs(A), feats.pairs(B)
    np.testing.assert_array_equal(feats.pair_gram(A, B), PA @ PB.T)
    np.testing.assert_array_equal(feats.pair_counts(B), (PB * PB).sum(axis=1))
    # Not 0/1: the explicit features, same result.
    C = rng.normal(size=(4, mask.shape[0]))
    np.testing.assert_allclose(feats.pair_gram(C, B), feats.pairs(C) @ PB.T)


def test_predict_with_an_encoding_mask_equals_the_weight_space_posterior() -> None:
    mask = _mixed_encoding_mask()
    rng = np.random.RandomState(6)
    X = rng.randint(0, 2, size=(25, mask.shape[0]))
    y = rng.normal(size=25)
    model = BayesianQuadraticRegression(mask)
    model.fit(X, y, rng)
    assert not model._primal
    X_test = rng.randint(0, 2, size=(11, mask.shape[0]))
    mean, std = model.predict(X_test)
    F, _ = model._design(X)
    Fs, _ = model._design(X_test)
    Sigma = np.linalg.inv(F.T @ F / model._sn + np.diag(1.0 / model._d))
    np.testing.assert_allclose(mean, Fs @ (Sigma @ F.T @ y / model._sn), atol=1e-7)
    np.testing.assert_allclose(std, np.sqrt(np.einsum("ij,jk,ik->i", Fs, Sigma, Fs)), rtol=1e-5)


@pytest.mark.parametrize("n_train", [12, 60])  # dual and primal form
def test_predict_with_reference_gives_the_exact_posterior_covariance(n_train: int) -> None:
    n = 5
    mask = np.triu(np.ones((n, n), dtype=bool), 1)
    rng = np.random.RandomState(8)
    X = rng.randint(0, 2, size=(n_train, n))
    model = BayesianQuadraticRegression(mask)
    model.fit(X, rng.normal(size=n_train), rng)
    X_test, ref = rng.randint(0, 2, size=(6, n)), rng.randint(0, 2, size=n)
    mean, std, cov, ref_mean = model.predict_with_reference(X_test, ref)
    m0, s0 = model.predict(X_test)
    np.testing.assert_allclose(mean, m0, atol=1e-10)
    np.testing.assert_allclose(std, s0, rtol=1e-8)
    assert ref_mean == pytest.approx(float(model.predict(ref[None])[0][0]))
    F, _ = model._design(X)
    Fs, _ = model._design(X_test)
    Fr, _ = model._design(ref[None])
    Sigma = np.linalg.inv(F.T @ F / model._sn + np.diag(1.0 / model._d))
    np.testing.assert_allclose(cov, Fs @ Sigma @ Fr[0], atol=1e-8)
    # The reference itself among the candidates: its covariance is its variance.
    _, s_ref, c_ref, _ = model.predict_with_reference(ref[None], ref)
    assert c_ref[0] == pytest.approx(s_ref[0] ** 2, rel=1e-6)
    assert model.noise_std == pytest.approx(np.sqrt(model._sn))


def test_predict_is_surer_where_there_is_data() -> None:
    n = 6
    mask = np.triu(np.ones((n, n), dtype=bool), 1)
    rng = np.random.RandomState(4)
    X = np.zeros((10, n), dtype=int)
    X[:, :3] = rng.randint(0, 2, size=(10, 3))  # the last three bits are never switched on
    model = BayesianQuadraticRegression(mask)
    model.fit(X, rng.normal(size=10), rng)
    seen_std = model.predict(X)[1]
    unseen = X.copy()
    unseen[:, 3:] = 1
    assert np.all(model.predict(unseen)[1] > seen_std)
    with pytest.raises(RuntimeError, match="fit"):
        BayesianQuadraticRegression(mask).predict(X)


def test_evidence_refit_escapes_a_degenerate_warm_start() -> None:
    # Scales stored while the data were few can sit at the bounds ("all noise"); a refit on data
    # with a clear signal must not stay there (it also starts from the default scales).
    n = 12
    mask = np.triu(np.ones((n, n), dtype=bool), 1)
    rng = np.random.RandomState(7)
    X = rng.randint(0, 2, size=(30, n))
    y = normal_scores(X @ rng.normal(size=n) + 0.05 * rng.normal(size=30))
    degenerate = np.array([np.log(1e-3), np.log(1e-4), 0.0])
    model = BayesianQuadraticRegression(mask)
    model.fit(X, y, rng, initial_log_scales=degenerate)
    assert model.log_scales[0] > np.log(0.05)  # a real linear signal, not the lower bound
    P = model.features.pairs(X)
    at = lambda v: model._neg_log_evidence(np.asarray(v), X @ X.T, P @ P.T, y)[0]  # noqa: E731
    assert at(model.log_scales) < at(degenerate) - 1.0
    # The fitted mean follows the targets.
    mean, _ = model.predict(X)
    assert np.corrcoef(mean, y)[0, 1] > 0.9
