"""Checks shared by the bad-study and fuzzing tests: a proposal is inside its distribution and of
the native type Optuna would return."""

from __future__ import annotations

import math
from typing import Any

from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution


def _same_choice(value: Any, choice: Any) -> bool:
    if type(value) is not type(choice):
        return False
    if isinstance(choice, float) and math.isnan(choice):
        return math.isnan(value)
    return value == choice


def assert_valid_value(name: str, value: Any, dist: BaseDistribution) -> None:
    if isinstance(dist, IntDistribution):
        assert type(value) is int, (name, value, type(value))
        assert dist.low <= value <= dist.high, (name, value, dist)
        assert (value - dist.low) % dist.step == 0, (name, value, dist)
    elif isinstance(dist, FloatDistribution):
        assert type(value) is float and math.isfinite(value), (name, value, type(value))
        assert dist.low <= value <= dist.high, (name, value, dist)
        if dist.step is not None:
            k = (value - dist.low) / dist.step
            assert abs(k - round(k)) < 1e-6, (name, value, dist)
    elif isinstance(dist, CategoricalDistribution):
        assert any(_same_choice(value, c) for c in dist.choices), (name, value, dist.choices)
    else:  # pragma: no cover - the tests only use the three kinds above
        raise AssertionError(f"unexpected distribution {dist!r}")
    assert dist._contains(dist.to_internal_repr(value)), (name, value, dist)


def assert_valid_trial(trial: Any) -> None:
    for name, value in trial.params.items():
        assert_valid_value(name, value, trial.distributions[name])
