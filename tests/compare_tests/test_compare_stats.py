"""Statistics against hand-computed values and scipy's own definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from optuna_qnas.compare._stats import area_under_curve
from optuna_qnas.compare._stats import default_checkpoints
from optuna_qnas.compare._stats import holm
from optuna_qnas.compare._stats import mean_interval
from optuna_qnas.compare._stats import rank_means
from optuna_qnas.compare._stats import trials_to_target
from optuna_qnas.compare._stats import two_sample_tests


def test_holm_by_hand():
    # Sorted p: 0.01, 0.02, 0.04 (nan ignored) -> 3*0.01, max(0.03, 2*0.02), max(0.04, 1*0.04)
    adjusted = holm([0.04, 0.01, np.nan, 0.02])
    np.testing.assert_allclose(adjusted[[1, 3, 0]], [0.03, 0.04, 0.04])
    assert math.isnan(adjusted[2])
    assert holm([0.6, 0.7])[1] == 1.0  # capped at 1


def test_mean_interval_is_the_t_interval():
    x = np.array([91.2, 91.5, 90.9, 91.4, 91.0])
    mean, std, low, high = mean_interval(x)
    t_low, t_high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert mean == pytest.approx(91.2)
    assert std == pytest.approx(np.std(x, ddof=1))
    assert (low, high) == pytest.approx((t_low, t_high))
    assert math.isnan(mean_interval(np.array([1.0]))[1])


def test_area_and_trials_to_target():
    curve = np.array([np.nan, 1.0, 3.0, 3.0])
    assert area_under_curve(curve, fill=0.0) == pytest.approx(7.0 / 4)
    assert trials_to_target(curve, 3.0, maximize=True) == 3
    assert trials_to_target(curve, 3.5, maximize=True) == math.inf
    assert trials_to_target(np.array([5.0, 2.0, 1.0]), 2.0, maximize=False) == 2


def test_two_sample_tests():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    b = a + 10
    p_mwu, p_welch = two_sample_tests(a, b)
    assert p_mwu == pytest.approx(2 / 252)  # exact, complete separation of 5 vs 5
    assert p_welch == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    assert two_sample_tests(a, a.copy())[0] == pytest.approx(1.0)
    assert two_sample_tests(np.ones(3), np.ones(3)) == (
        1.0,
        pytest.approx(float("nan"), nan_ok=True),
    )


def test_ranks_and_checkpoints():
    assert rank_means({"a": 3.0, "b": 1.0, "c": 3.0}, maximize=True) == {
        "a": 1.5,
        "b": 3.0,
        "c": 1.5,
    }
    assert rank_means({"a": 3.0, "b": 1.0}, maximize=False) == {"a": 2.0, "b": 1.0}
    assert default_checkpoints(100) == [25, 50, 100]
    assert default_checkpoints(30) == [10, 25, 30]
    assert default_checkpoints(5) == [5]


def test_incumbent_true_follows_the_best_observed_trial():
    from optuna_qnas.compare import RunResult

    values = np.array([1.0, np.nan, 3.0, 2.0, 3.0])
    run = RunResult(
        problem="p", sampler="s", seed=0, study_name="x", direction="maximize", n_trials=5,
        values=values, states=["COMPLETE"] * 5, sampler_time=np.zeros(5), trial_time=np.zeros(5),
        n_distinct=5, true_values=np.array([0.5, np.nan, 2.5, 2.9, 2.0]),
    )  # fmt: skip
    np.testing.assert_array_equal(run.best_so_far, [1.0, 1.0, 3.0, 3.0, 3.0])
    # A tie (trial 5 also observed 3.0) keeps the first incumbent.
    np.testing.assert_array_equal(run.incumbent_true, [0.5, 0.5, 2.5, 2.5, 2.5])
    np.testing.assert_array_equal(run.curve("incumbent_true"), run.incumbent_true)
    with pytest.raises(ValueError, match="incumbent_true"):
        run.curve("regret")
