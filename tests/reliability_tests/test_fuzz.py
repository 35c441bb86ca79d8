"""Fuzzing at the sampler level (tests/_qubo_tests/test_encoding.py fuzzes the encoding).

Random search spaces (ints with steps and logs, floats with steps and logs, categoricals of mixed
types, single-valued distributions), random encodings and bin counts, and random objective values
(NaN, +-inf, huge, tiny, negative zero) are fed through ``ask``/``tell``. Every proposal must be
inside its distribution and of the native type; the sampler must never raise.
"""

from __future__ import annotations

import math
import warnings

from _reliability_checks import assert_valid_value
from _reliability_helpers import record_figure
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.trial import TrialState
import pytest

from optuna_qnas import QUBOSampler


optuna.logging.set_verbosity(optuna.logging.ERROR)

_ints = st.one_of(
    st.builds(
        lambda low, n, step: IntDistribution(low, low + n * step, step=step),
        st.integers(-1000, 1000),
        st.integers(0, 40),
        st.integers(1, 7),
    ),
    st.builds(
        lambda low, span: IntDistribution(low, low + span, log=True),
        st.integers(1, 100),
        st.integers(0, 5000),
    ),
)
_floats = st.one_of(
    st.builds(
        lambda low, span: FloatDistribution(low, low + span),
        st.floats(-1e6, 1e6),
        st.floats(0, 1e3) | st.just(0.0),
    ),
    st.builds(
        lambda low, n, step: FloatDistribution(low, low + n * step, step=step),
        st.integers(-50, 50).map(float),
        st.integers(0, 30),
        st.sampled_from([0.5, 0.25, 1.0, 2.0]),
    ),
    st.builds(
        lambda exp, decades: FloatDistribution(10.0**exp, 10.0 ** (exp + decades), log=True),
        st.integers(-8, 2),
        st.integers(0, 6),
    ),
)
_choice = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=4),
)
_cats = st.lists(_choice, min_size=1, max_size=40, unique_by=lambda v: v).map(
    CategoricalDistribution
)
_spaces = st.dictionaries(
    st.sampled_from(list("abcdefgh")), st.one_of(_ints, _floats, _cats), min_size=1, max_size=4
)
# Finite values up to 1e300 in magnitude: values near the float maximum next to an infinity
# overflowed the sampler's loss scaling (bug B4, fixed; test_values_near_the_float_maximum below).
_values = st.one_of(
    st.floats(min_value=-1e300, max_value=1e300),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 5e-324, -0.0, 0.0]),
)
_encodings = st.one_of(st.none(), st.sampled_from(["one_hot", "domain_wall", "binary", "unary"]))

_FUZZED = {"spaces": 0, "proposals": 0, "nan_or_inf_values": 0}


@pytest.fixture(scope="module", autouse=True)
def _record_fuzzing_figures():  # type: ignore[no-untyped-def]
    yield
    if _FUZZED["spaces"]:
        record_figure("fuzz", **_FUZZED)  # how much was fuzzed, for docs/reliability.md


_GIVEN = dict(
    space=_spaces,
    values=st.lists(_values, min_size=6, max_size=6),
    encoding=_encodings,
    max_levels=st.integers(2, 20),
    float_bins=st.integers(1, 10),
    maximize=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)


def _check_random_study(space, values, encoding, max_levels, float_bins, maximize, seed) -> None:  # type: ignore[no-untyped-def]
    sampler = QUBOSampler(
        encoding=encoding,
        max_levels=max_levels,
        float_bins=float_bins,
        n_startup_trials=2,
        num_samples=4,
        num_reads=8,
        seed=seed,
    )
    study = optuna.create_study(sampler=sampler, direction="maximize" if maximize else "minimize")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in values:
            trial = study.ask(space)
            for name, dist in space.items():
                assert_valid_value(name, trial.params[name], dist)
            study.tell(trial, value)
    # One more proposal after the model has seen everything (NaN -> FAIL, inf -> COMPLETE).
    last = study.ask(space)
    for name, dist in space.items():
        assert_valid_value(name, last.params[name], dist)
    states = [t.state for t in study.trials[:-1]]
    assert states == [TrialState.FAIL if math.isnan(v) else TrialState.COMPLETE for v in values]
    _FUZZED["spaces"] += 1
    _FUZZED["proposals"] += len(values) + 1
    _FUZZED["nan_or_inf_values"] += sum(not math.isfinite(v) for v in values)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(**_GIVEN)
def test_random_spaces_and_values_give_valid_native_proposals(**kwargs) -> None:  # type: ignore[no-untyped-def]
    _check_random_study(**kwargs)


@pytest.mark.slow
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(**_GIVEN)
def test_random_spaces_and_values_give_valid_native_proposals_long(**kwargs) -> None:  # type: ignore[no-untyped-def]
    _check_random_study(**kwargs)


def test_values_near_the_float_maximum() -> None:
    # The minimal failing example hypothesis found (a diverged training run can return these).
    values = [0.0, 0.0, 0.0, 0.0, 8.98846567431158e307, math.inf]
    sampler = QUBOSampler(n_startup_trials=2, num_reads=8, seed=0)
    study = optuna.create_study(sampler=sampler)
    space = {"a": IntDistribution(0, 1), "b": CategoricalDistribution(["x", "y", "z"])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in values:
            trial = study.ask(space)
            study.tell(trial, value)
        last = study.ask(space)
    for name, dist in space.items():
        assert_valid_value(name, last.params[name], dist)
