"""Parameters outside the joint search space: a random stream per trial, and Optuna's warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import optuna
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.samplers import BaseSampler
from optuna.samplers import RandomSampler
from optuna.samplers._base import _INDEPENDENT_SAMPLING_WARNING_TEMPLATE
from optuna.trial import FrozenTrial
from optuna.trial import TrialState


if TYPE_CHECKING:
    from optuna.study import Study


_logger = optuna.logging.get_logger("optuna_qnas.samplers")

#: The distributions the QUBO samplers encode; others go to the independent sampler.
SUPPORTED = (CategoricalDistribution, IntDistribution, FloatDistribution)
_WEYL = 0x9E3779B1  # odd: seed + n * _WEYL mod 2^32 differs for every trial number n of a seed


class PerTrialRandom:
    """A ``RandomSampler`` per trial, seeded from the sampler's seed and the trial number.

    With one shared random stream, the draws of trial ``n`` depend on how many parameters
    earlier trials drew in this process, so with conditional parameters a restarted study
    proposed differently. Here they depend on (seed, trial number) alone; the first trial
    draws as ``RandomSampler(seed)`` would.
    """

    def __init__(self, seed: int) -> None:
        self._seed = int(seed)
        self._by_trial: dict[int, RandomSampler] = {}

    def get(self, trial: FrozenTrial) -> RandomSampler:
        sampler = self._by_trial.get(trial._trial_id)
        if sampler is None:
            if len(self._by_trial) >= 256:  # trials that never reached after_trial
                self._by_trial.clear()
            seed = (self._seed + trial.number * _WEYL) % 2**32
            sampler = self._by_trial[trial._trial_id] = RandomSampler(seed=seed)
        return sampler

    def forget(self, trial: FrozenTrial) -> None:
        self._by_trial.pop(trial._trial_id, None)


def warn_independent(
    study: Study,
    trial: FrozenTrial,
    param_name: str,
    distribution: BaseDistribution,
    independent: BaseSampler,
    sampler: BaseSampler,
    n_startup_trials: int,
) -> None:
    """Optuna's usual warning when a parameter falls back to the independent sampler after the
    start-up trials, with the reason."""
    complete = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True)
    if len(complete) < n_startup_trials:
        return
    reason = (
        f"{type(distribution).__name__} is not supported by {type(sampler).__name__}"
        if not isinstance(distribution, SUPPORTED)
        else "dynamic search space (the parameter is not in every trial)"
    )
    _logger.warning(
        _INDEPENDENT_SAMPLING_WARNING_TEMPLATE.format(
            param_name=param_name,
            trial_number=trial.number,
            independent_sampler_name=type(independent).__name__,
            sampler_name=type(sampler).__name__,
            fallback_reason=reason,
        )
    )
