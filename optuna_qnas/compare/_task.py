"""One run of a comparison: create or resume its study and evaluate trials until the budget.

This module applies the resume rule described in :mod:`optuna_qnas.compare._runner`: it repairs
trials a dead run left behind, counts the finished ones, reseeds the continuing sampler and
records each segment. It runs the same way in the calling process, in a worker process and on
a Dask worker.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.study import StudyDirection
from optuna.trial import TrialState

from optuna_qnas.compare._samplers import INTEGER_VIEW
from optuna_qnas.compare._samplers import SamplerSpec
from optuna_qnas.compare._storage import counted_trials
from optuna_qnas.compare._storage import FAIL_REASON_ATTR
from optuna_qnas.compare._storage import INTERRUPTED_ATTR
from optuna_qnas.compare._storage import make_storage
from optuna_qnas.compare._storage import SEGMENTS_ATTR
from optuna_qnas.compare._storage import SETTINGS_ATTR
from optuna_qnas.compare._timing import SamplerCallError
from optuna_qnas.compare._timing import TimedSampler
from optuna_qnas.problems import Problem


_RESUME_SEED_MULTIPLIER = 1_000_003


@dataclass(frozen=True)
class RunTask:
    """One run of a comparison: a problem, a sampler and a seed, on a storage."""

    problem: Problem
    sampler: SamplerSpec
    seed: int
    n_trials: int
    storage: Any  # URL string (worker processes, Dask) or a storage object (in-process)
    study_name: str
    settings: dict[str, Any]


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def _prepare_study(task: RunTask, storage: BaseStorage) -> tuple[optuna.Study, int]:
    """Create or load the study, repair leftovers of a dead run, return it and its count."""
    study = optuna.create_study(
        study_name=task.study_name,
        storage=storage,
        direction=StudyDirection[task.problem.directions[0].upper()],
        load_if_exists=True,
    )
    stored = study.user_attrs.get(SETTINGS_ATTR)
    if stored is None:
        study.set_user_attr(SETTINGS_ATTR, task.settings)
    else:
        for key in ("problem", "sampler", "seed", "direction", "view"):
            if stored.get(key) != task.settings[key]:
                raise ValueError(
                    f"Study {task.study_name!r} exists with {key}={stored.get(key)!r}, not "
                    f"{task.settings[key]!r}; use another storage or study prefix."
                )
        if stored.get("n_trials", 0) < task.n_trials:
            study.set_user_attr(SETTINGS_ATTR, {**stored, "n_trials": task.n_trials})
    trials = study.get_trials(deepcopy=False)
    for trial in trials:
        if trial.state in (TrialState.RUNNING, TrialState.WAITING):
            try:
                storage.set_trial_system_attr(trial._trial_id, INTERRUPTED_ATTR, True)
                storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except UpdateFinishedTrialError:
                # Another process (a worker of an interrupted run that is still alive) finished
                # it meanwhile: a finished trial is kept as it is.
                continue
    return study, len(counted_trials(study.get_trials(deepcopy=False)))


def resume_seed(seed: int, n_counted: int) -> int:
    """The sampler seed of a run continued after ``n_counted`` counted trials."""
    if n_counted == 0:
        return seed
    return (seed * _RESUME_SEED_MULTIPLIER + n_counted) % 2**31


def run_task(
    task: RunTask,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_trial: Callable[[], None] | None = None,
) -> str:
    """Run (or resume) one study of a comparison until it has ``task.n_trials`` counted trials.

    Args:
        task:
            The run.
        should_stop:
            Polled before each trial; when it returns ``True`` the run stops cleanly.
        on_trial:
            Called after each counted trial (progress bars).

    Returns:
        The study name.
    """
    storage = make_storage(task.storage)
    with _quiet_optuna():
        study, n_done = _prepare_study(task, storage)
        if n_done >= task.n_trials:
            return task.study_name
        sampler_seed = resume_seed(task.seed, n_done)
        study.sampler = TimedSampler(task.sampler.factory(sampler_seed))
        first_number = len(study.get_trials(deepcopy=False))
        segments = list(storage.get_study_system_attrs(study._study_id).get(SEGMENTS_ATTR, []))
        segments.append({"first_trial": first_number, "sampler_seed": sampler_seed})
        storage.set_study_system_attr(study._study_id, SEGMENTS_ATTR, segments)
        if task.sampler.view == INTEGER_VIEW:
            assert task.problem.make_integer_objective is not None
            objective = task.problem.make_integer_objective(task.seed)
        else:
            objective = task.problem.make_objective(task.seed)
        while n_done < task.n_trials:
            if should_stop is not None and should_stop():
                break
            _run_one_trial(study, storage, objective)
            n_done += 1
            if on_trial is not None:
                on_trial()
    return task.study_name


def _run_one_trial(study: optuna.Study, storage: BaseStorage, objective: Callable) -> None:
    trial = study.ask()
    try:
        value = objective(trial)
    except SamplerCallError as e:
        # The sampler, not the objective, failed: stop the run. The trial does not count, so
        # a re-run after the cause is fixed resumes at the same budget.
        with contextlib.suppress(Exception):
            storage.set_trial_user_attr(trial._trial_id, FAIL_REASON_ATTR, str(e)[:1000])
            storage.set_trial_system_attr(trial._trial_id, INTERRUPTED_ATTR, True)
            study.tell(trial, state=TrialState.FAIL)
        raise
    except optuna.TrialPruned:
        study.tell(trial, state=TrialState.PRUNED)
    except Exception as e:  # a failing evaluation is a result: record it and go on
        storage.set_trial_user_attr(
            trial._trial_id, FAIL_REASON_ATTR, f"{type(e).__name__}: {e}"[:1000]
        )
        study.tell(trial, state=TrialState.FAIL)
    except BaseException:  # KeyboardInterrupt, SystemExit: leave no RUNNING trial behind
        with contextlib.suppress(Exception):
            storage.set_trial_system_attr(trial._trial_id, INTERRUPTED_ATTR, True)
            study.tell(trial, state=TrialState.FAIL)
        raise
    else:
        # Non-finite or malformed values become FAIL trials through Optuna's own checks.
        study.tell(trial, value, skip_if_finished=False)
