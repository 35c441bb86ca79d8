"""A sampler proxy that measures the time spent inside the sampler, per trial.

Every call Optuna makes into a sampler for one trial (``before_trial``,
``infer_relative_search_space``, ``sample_relative``, ``sample_independent`` for each parameter
and ``after_trial``) is timed with ``time.perf_counter`` and summed. The sum is written into the
trial's user attribute ``sampler_time_s`` during ``after_trial``, while the trial is still
running, so it is stored with the trial in whatever storage the study uses and survives the
process. The objective's own time is what remains of the trial's duration.
"""

from __future__ import annotations

from collections.abc import Sequence
import time
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.trial import FrozenTrial
from optuna.trial import TrialState


SAMPLER_TIME_ATTR = "sampler_time_s"


class SamplerCallError(RuntimeError):
    """A sampler raised inside one of its calls.

    The comparison stops on it instead of recording a failed evaluation: a sampler that cannot
    run (a missing optional dependency, a bug) must not look like an objective that failed.
    """


class TimedSampler(BaseSampler):
    """Wrap ``sampler`` and record its per-trial time in ``trial.user_attrs["sampler_time_s"]``.

    Args:
        sampler:
            The sampler to time. It is used unchanged; the proxy only forwards calls.
    """

    def __init__(self, sampler: BaseSampler) -> None:
        self._sampler = sampler
        self._elapsed: dict[int, float] = {}

    @property
    def sampler(self) -> BaseSampler:
        """The wrapped sampler."""
        return self._sampler

    def _error(self, method: str, error: Exception) -> SamplerCallError:
        if isinstance(error, SamplerCallError):
            return error
        return SamplerCallError(
            f"{type(self._sampler).__name__}.{method} raised {type(error).__name__}: {error}"
        )

    def _add(self, trial_id: int, started: float) -> None:
        self._elapsed[trial_id] = self._elapsed.get(trial_id, 0.0) + time.perf_counter() - started

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        started = time.perf_counter()
        try:
            return self._sampler.infer_relative_search_space(study, trial)
        except Exception as e:
            raise self._error("infer_relative_search_space", e) from e
        finally:
            self._add(trial._trial_id, started)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return self._sampler.sample_relative(study, trial, search_space)
        except Exception as e:
            raise self._error("sample_relative", e) from e
        finally:
            self._add(trial._trial_id, started)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        started = time.perf_counter()
        try:
            return self._sampler.sample_independent(study, trial, param_name, param_distribution)
        except Exception as e:
            raise self._error("sample_independent", e) from e
        finally:
            self._add(trial._trial_id, started)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        started = time.perf_counter()
        try:
            self._sampler.before_trial(study, trial)
        except Exception as e:
            raise self._error("before_trial", e) from e
        finally:
            self._add(trial._trial_id, started)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        started = time.perf_counter()
        try:
            self._sampler.after_trial(study, trial, state, values)
        except Exception as e:
            raise self._error("after_trial", e) from e
        finally:
            self._add(trial._trial_id, started)
            elapsed = self._elapsed.pop(trial._trial_id)
            # The trial is still RUNNING here (Optuna calls after_trial before it stores the
            # final state), so the storage accepts the attribute.
            study._storage.set_trial_user_attr(trial._trial_id, SAMPLER_TIME_ATTR, elapsed)

    def reseed_rng(self) -> None:
        self._sampler.reseed_rng()

    def __repr__(self) -> str:
        return f"TimedSampler({self._sampler!r})"
