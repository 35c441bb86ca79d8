"""The density-ratio (BORE) surrogate: logistic fit, Laplace posterior draws, exact QUBO form,
trust-region term, and its use inside the real QUBOSampler with the real annealer."""

from __future__ import annotations

import itertools

import numpy as np
import optuna
import pytest

from optuna_qnas._qubo._classifier import BayesianLogisticQuadratic
from optuna_qnas._qubo._classifier import hamming_qubo
from optuna_qnas._qubo._classifier import top_fraction_labels


def _all_bits(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)


def _full_mask(n: int) -> np.ndarray:
    return np.triu(np.ones((n, n), dtype=bool), 1)


def _xor_problem(n_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Losses low iff bits 0 and 1 agree (a purely pairwise effect) plus a linear trend on bit 2."""
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 2, size=(n_rows, 5)).astype(float)
    y = (
        np.where(X[:, 0] == X[:, 1], -1.0, 1.0)
        - 0.3 * X[:, 2]
        + 0.05 * rng.standard_normal(n_rows)
    )
    return X, y


def test_top_fraction_labels_marks_the_lowest_losses() -> None:
    z = top_fraction_labels(np.array([3.0, 1.0, 2.0, 0.0]), 0.5)
    np.testing.assert_array_equal(z, [0, 1, 0, 1])
    # At least one good trial, even for tiny gamma.
    assert top_fraction_labels(np.array([5.0, 4.0]), 0.01).tolist() == [0.0, 1.0]


def test_logistic_model_separates_good_from_bad_including_a_pairwise_effect() -> None:
    X, y = _xor_problem(120, 0)
    model = BayesianLogisticQuadratic(_full_mask(5), gamma=0.5, prior_std_pair=1.0)
    model.fit(X, y, np.random.RandomState(0))
    Xt, yt = _xor_problem(400, 1)
    good = top_fraction_labels(yt, 0.5).astype(bool)
    prob = model.predict_proba(Xt)
    # A first-order model cannot represent "bits 0 and 1 agree"; the quadratic one must.
    assert prob[good].mean() - prob[~good].mean() > 0.4
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(good, prob) > 0.9
    linear = BayesianLogisticQuadratic(_full_mask(5), gamma=0.5, prior_std_pair=0.0)
    linear.fit(X, y, np.random.RandomState(0))
    assert roc_auc_score(good, linear.predict_proba(Xt)) < 0.8


def test_logit_qubo_energy_equals_minus_the_logit_on_every_bitstring() -> None:
    rng = np.random.RandomState(3)
    mask = _full_mask(6)
    mask[0, 5] = mask[2, 3] = False  # a partial pair mask
    X = rng.randint(0, 2, size=(30, 6)).astype(float)
    y = rng.standard_normal(30)
    model = BayesianLogisticQuadratic(mask)
    model.fit(X, y, rng)
    xs = _all_bits(6)
    np.testing.assert_allclose(model.mean_qubo().energies(xs), -model.logit(xs), atol=1e-10)
    w = model.sample_weights(np.random.RandomState(7))
    drawn = model.sample_qubo(np.random.RandomState(7))  # the same draw
    np.testing.assert_allclose(drawn.energies(xs), -model.logit(xs, w), atol=1e-10)
    # Masked-out pairs carry no coefficient.
    assert drawn.quadratic[0, 5] == 0 and drawn.quadratic[2, 3] == 0


def test_posterior_draws_vary_and_concentrate_with_data() -> None:
    def spread(n_rows: int) -> float:
        # Labels unrelated to the bits: nothing is separable, the posterior narrows like 1/sqrt(n).
        rng = np.random.RandomState(2)
        X, y = rng.randint(0, 2, size=(n_rows, 5)).astype(float), rng.standard_normal(n_rows)
        model = BayesianLogisticQuadratic(_full_mask(5))
        model.fit(X, y, np.random.RandomState(0))
        rng = np.random.RandomState(1)
        draws = np.stack([model.sample_weights(rng) for _ in range(200)])
        assert np.all(draws.std(axis=0) > 0)
        # Draws centre on the mode.
        tol = 4 * draws.std(axis=0).max() / np.sqrt(200) + 1e-9
        np.testing.assert_allclose(draws.mean(axis=0), model._mode, atol=tol)
        return float(draws.std(axis=0).mean())

    assert spread(2000) < 0.4 * spread(20)


def test_temperature_zero_gives_the_mode() -> None:
    X, y = _xor_problem(40, 4)
    model = BayesianLogisticQuadratic(_full_mask(5), temperature=0.0)
    model.fit(X, y, np.random.RandomState(0))
    a = model.sample_qubo(np.random.RandomState(1))
    b = model.mean_qubo()
    np.testing.assert_array_equal(a.linear, b.linear)
    np.testing.assert_array_equal(a.quadratic, b.quadratic)


def test_retries_of_a_mode_proposal_are_posterior_draws() -> None:
    X, y = _xor_problem(40, 4)
    model = BayesianLogisticQuadratic(_full_mask(5), temperature=0.0, retry_temperature=1.0)
    model.fit(X, y, np.random.RandomState(0))
    rng = np.random.RandomState(1)
    first, second, third = (model.sample_qubo(rng) for _ in range(3))
    np.testing.assert_array_equal(first.linear, model.mean_qubo().linear)
    assert not np.allclose(second.linear, first.linear)
    assert not np.allclose(third.quadratic, second.quadratic)
    model.fit(X, y, np.random.RandomState(0))  # a new fit starts with the mode again
    np.testing.assert_array_equal(model.sample_qubo(rng).linear, first.linear)


def test_hamming_qubo_is_exactly_the_hamming_distance() -> None:
    xs = _all_bits(7)
    center = np.array([1, 0, 0, 1, 1, 0, 1])
    q = hamming_qubo(center, 2.5)
    np.testing.assert_allclose(q.energies(xs), 2.5 * np.abs(xs - center).sum(axis=1))
    with pytest.raises(ValueError, match="0/1"):
        hamming_qubo(np.array([0, 2]))


def test_trust_region_adds_the_weighted_distance_to_the_incumbent_and_releases_on_stall() -> None:
    rng = np.random.RandomState(5)
    X = rng.randint(0, 2, size=(20, 6)).astype(float)
    y = rng.standard_normal(20)
    y[-1] = -10.0  # the last trial is the new best: no stall
    model = BayesianLogisticQuadratic(
        _full_mask(6), temperature=0.0, trust_region=0.7, tr_patience=5
    )
    model.fit(X, y, rng)
    xs = _all_bits(6)
    diff = model.sample_qubo(rng).energies(xs) - model.mean_qubo().energies(xs)
    np.testing.assert_allclose(diff, 0.7 * np.abs(xs - X[-1]).sum(axis=1), atol=1e-10)
    # Best found 19 trials ago > patience: the region is released (a restart to the global model).
    y2 = y.copy()
    y2[-1], y2[0] = 0.0, -10.0
    model.fit(X, y2, rng)
    assert model.tr_weight() == 0.0
    np.testing.assert_allclose(model.sample_qubo(rng).energies(xs), model.mean_qubo().energies(xs))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma": 0.0}, "gamma"),
        ({"gamma": 1.0}, "gamma"),
        ({"prior_std_linear": 0.0}, "prior_std_linear"),
        ({"prior_std_pair": -1.0}, "prior_std_pair"),
        ({"temperature": -0.1}, "temperature"),
        ({"trust_region": -1.0}, "trust_region"),
        ({"retry_temperature": -1.0}, "retry_temperature"),
        ({"tr_patience": 0}, "tr_patience"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BayesianLogisticQuadratic(_full_mask(3), **kwargs)


def test_fit_rejects_bad_shapes_and_sampling_before_fit() -> None:
    model = BayesianLogisticQuadratic(_full_mask(3))
    with pytest.raises(RuntimeError, match="fit"):
        model.sample_qubo(np.random.RandomState(0))
    with pytest.raises(ValueError, match="shape"):
        model.fit(np.zeros((4, 2)), np.zeros(4))


def test_qubo_sampler_with_the_classifier_finds_the_optimum_of_a_categorical_problem() -> None:
    from optuna_qnas import QUBOSampler

    ops = ["a", "b", "c", "d"]
    best = {"e0": "c", "e1": "c", "e2": "a", "e3": "d"}

    def objective(trial: optuna.Trial) -> float:
        v = {k: trial.suggest_categorical(k, ops) for k in best}
        score = sum(v[k] == best[k] for k in best)
        return float(score + (v["e0"] == v["e1"]))  # an interaction term

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = QUBOSampler(
        seed=0, surrogate=lambda m: BayesianLogisticQuadratic(m, trust_region=0.5)
    )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=45)
    assert study.best_value == 5.0
    modes = [t.system_attrs.get("qnas:proposal", {}).get("mode") for t in study.trials]
    assert modes.count("model") >= 30
