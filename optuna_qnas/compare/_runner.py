"""Run every (problem, sampler, seed) of a comparison as an Optuna study in one storage.

Resume rule (what re-running the same comparison on the same storage does, per study):

1. Trials left ``RUNNING`` or ``WAITING`` by a dead run (a killed process, a lost machine) are
   marked ``FAIL`` with the system attribute ``qnas_compare:interrupted``. Interrupted trials
   never count towards the budget.
2. The budget counts finished trials (``COMPLETE``, ``PRUNED`` and ``FAIL`` from the objective),
   in trial-number order. A study that already has ``n_trials`` of them is skipped; results
   always use its first ``n_trials`` counted trials (so a larger budget extends a comparison and
   a smaller one re-reads it).
3. An unfinished study continues until it has ``n_trials`` counted trials. Finished trials are
   never repeated or deleted. The continuing sampler is built with the run's seed when no trial
   has been counted yet, else with ``(seed * 1000003 + n_counted) % 2**31`` so that it does not
   replay the random start it already made; each segment ``{first_trial, sampler_seed}`` is
   recorded in the study's system attribute ``qnas_compare:segments``.

An exception from the objective is a FAIL trial that counts (its reason in the trial's user
attribute ``fail_reason``); an exception from the sampler stops the comparison with
:class:`SamplerCallError` and its trial is marked interrupted. A comparison assumes nobody else
writes to its studies while it runs. Ctrl-C (SIGINT) stops the
comparison cleanly: in worker processes and on Dask, each run finishes the trial it is
evaluating and stops; in a single process, the trial being evaluated is marked FAIL and
interrupted. Either way no trial is left ``RUNNING`` and the same command resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import ALL_COMPLETED
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait
import contextlib
from dataclasses import dataclass
import datetime
from functools import partial
import importlib
import importlib.util
import multiprocessing
import pickle
import signal
import sys
import time
from typing import Any
import uuid

import optuna
from optuna.storages import BaseStorage
from optuna.study import StudyDirection
from optuna.trial import TrialState

from optuna_qnas.compare._result import ComparisonResult
from optuna_qnas.compare._result import load_comparison
from optuna_qnas.compare._samplers import INTEGER_VIEW
from optuna_qnas.compare._samplers import resolve_samplers
from optuna_qnas.compare._samplers import SamplerSpec
from optuna_qnas.compare._storage import counted_trials
from optuna_qnas.compare._storage import DEFAULT_PREFIX
from optuna_qnas.compare._storage import FAIL_REASON_ATTR
from optuna_qnas.compare._storage import INTERRUPTED_ATTR
from optuna_qnas.compare._storage import is_interrupted
from optuna_qnas.compare._storage import make_storage
from optuna_qnas.compare._storage import SEGMENTS_ATTR
from optuna_qnas.compare._storage import SETTINGS_ATTR
from optuna_qnas.compare._storage import study_name
from optuna_qnas.compare._timing import SamplerCallError
from optuna_qnas.compare._timing import TimedSampler
from optuna_qnas.problems import get_problem
from optuna_qnas.problems import Problem
from optuna_qnas.problems import problem_names


_DIRECTIONS = ("minimize", "maximize")
_RESUME_SEED_MULTIPLIER = 1_000_003


# --------------------------------------------------------------------------- problems


def _fixed_objective(seed: int, *, objective: Callable[[Any], float]) -> Callable[[Any], float]:
    return objective


def _imported_objective(seed: int, *, target: str) -> Callable[[Any], float]:
    return import_objective(target)


def import_objective(target: str) -> Callable[[Any], float]:
    """Import ``"module:function"`` (or ``"path/to/file.py:function"``) and return the function.

    Raises:
        ValueError: the module cannot be imported or has no such callable.
    """
    module_name, _, attr = target.rpartition(":")
    if not module_name or not attr:
        raise ValueError(f"A user objective is written module:function, got {target!r}.")
    try:
        if module_name.endswith(".py"):
            spec = importlib.util.spec_from_file_location("_qnas_user_objective", module_name)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {module_name}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except Exception as e:
        raise ValueError(
            f"Cannot import {module_name!r} for objective {target!r}: {type(e).__name__}: {e}"
        ) from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise ValueError(f"{module_name!r} has no callable {attr!r} (objective {target!r}).")
    return function


def resolve_problem(problem_or_objective: Any, *, direction: str | None = None) -> Problem:
    """A :class:`Problem` from a Problem, a registry name, ``"module:function"`` or a callable.

    Args:
        problem_or_objective:
            What to optimise. A user objective (``trial -> float``) defines its search space
            itself; it gets no seed (the seed only seeds the samplers).
        direction:
            ``"minimize"`` or ``"maximize"`` for a user objective (default ``"minimize"``). For a
            registered problem it must be ``None`` or the problem's own direction.
    """
    if direction is not None and direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}.")
    if isinstance(problem_or_objective, Problem):
        problem = problem_or_objective
    elif isinstance(problem_or_objective, str) and problem_or_objective in problem_names():
        problem = get_problem(problem_or_objective)
    elif isinstance(problem_or_objective, str) and ":" in problem_or_objective:
        import_objective(problem_or_objective)  # fail now, with a clear message
        return Problem(
            name=problem_or_objective,
            make_objective=partial(_imported_objective, target=problem_or_objective),
            directions=(direction or "minimize",),
            description=f"user objective {problem_or_objective}",
        )
    elif isinstance(problem_or_objective, str):
        get_problem(problem_or_objective)  # raises the "unknown problem" error
        raise AssertionError("unreachable")
    elif callable(problem_or_objective):
        name = f"{problem_or_objective.__module__}:{problem_or_objective.__qualname__}"
        return Problem(
            name=name,
            make_objective=partial(_fixed_objective, objective=problem_or_objective),
            directions=(direction or "minimize",),
            description=f"user objective {name}",
        )
    else:
        raise ValueError(
            "Pass a Problem, a registered problem name, 'module:function' or a callable "
            f"objective, got {type(problem_or_objective).__name__}."
        )
    if len(problem.directions) != 1:
        raise ValueError(
            f"Problem {problem.name!r} has {len(problem.directions)} objectives; the comparison "
            "tool compares single-objective problems."
        )
    if direction is not None and direction != problem.directions[0]:
        raise ValueError(
            f"Problem {problem.name!r} is to {problem.directions[0]}; drop the direction "
            f"{direction!r}."
        )
    return problem


# --------------------------------------------------------------------------- one run


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
            storage.set_trial_system_attr(trial._trial_id, INTERRUPTED_ATTR, True)
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
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


# --------------------------------------------------------------------------- executors


_STOP_EVENT: Any = None


def _init_worker(stop_event: Any) -> None:
    # Ctrl-C goes to the whole process group: workers ignore it and stop through the event the
    # parent sets, after the trial they are evaluating, so no trial is left half-written.
    global _STOP_EVENT
    _STOP_EVENT = stop_event
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_pickled(payload: bytes) -> str:
    task = pickle.loads(payload)
    return run_task(task, should_stop=_STOP_EVENT.is_set)


def _dumps(task: RunTask) -> bytes:
    try:
        import cloudpickle  # lambdas and closures as sampler factories

        return cloudpickle.dumps(task)
    except ImportError:
        try:
            return pickle.dumps(task)
        except Exception as e:
            raise ValueError(
                f"Run {task.study_name!r} cannot be sent to a worker process ({e}); use "
                "module-level functions as sampler factories or install cloudpickle."
            ) from None


class _DaskStop:
    def __init__(self, name: str) -> None:
        self._name = name
        self._event: Any = None

    def __call__(self) -> bool:
        if self._event is None:
            from distributed import Event

            self._event = Event(self._name)
        return bool(self._event.is_set())


def _run_on_dask(task: RunTask, stop_name: str) -> str:
    return run_task(task, should_stop=_DaskStop(stop_name))


def _count_progress(storage: BaseStorage, tasks: Sequence[RunTask]) -> int:
    done = 0
    for task in tasks:
        try:
            study_id = storage.get_study_id_from_name(task.study_name)
        except KeyError:
            continue
        trials = storage.get_all_trials(study_id, deepcopy=False)
        finished = [t for t in trials if t.state.is_finished() and not is_interrupted(t)]
        done += min(len(finished), task.n_trials)
    return done


def _make_progress(total: int, initial: int, enabled: bool, label: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    # In a log file (no terminal) a line every 30 s is enough.
    interval = 0.2 if sys.stderr.isatty() else 30.0
    return tqdm(
        total=total,
        initial=initial,
        unit="trial",
        desc=label,
        dynamic_ncols=True,
        mininterval=interval,
        file=sys.stderr,
    )


def _run_in_process(tasks: Sequence[RunTask], bar: Any) -> None:
    for task in tasks:
        run_task(task, on_trial=(lambda: bar.update(1)) if bar is not None else None)


def _poll(
    futures: Sequence[Any],
    done: Callable[[], bool],
    storage: BaseStorage,
    tasks: Sequence[RunTask],
    bar: Any,
) -> None:
    last_count = time.monotonic()
    while not done():
        time.sleep(0.25)
        # Counting reads every trial of every study: do it every 2 s, not at every check.
        if bar is not None and time.monotonic() - last_count > 2.0:
            bar.n = _count_progress(storage, tasks)
            bar.refresh()
            last_count = time.monotonic()
        failed = [f for f in futures if f.done() and f.exception() is not None]
        if failed:
            raise failed[0].exception()
    for future in futures:
        future.result()
    if bar is not None:
        bar.n = _count_progress(storage, tasks)
        bar.refresh()


def _run_in_pool(tasks: Sequence[RunTask], n_workers: int, storage: BaseStorage, bar: Any) -> None:
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    pool = ProcessPoolExecutor(
        max_workers=n_workers, mp_context=ctx, initializer=_init_worker, initargs=(stop,)
    )
    futures = [pool.submit(_run_pickled, _dumps(task)) for task in tasks]
    try:
        _poll(futures, lambda: all(f.done() for f in futures), storage, tasks, bar)
    except BaseException:
        stop.set()
        for future in futures:
            future.cancel()
        try:
            wait(futures, return_when=ALL_COMPLETED)
        except KeyboardInterrupt:  # a second Ctrl-C: stop now; the next run repairs
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_on_dask_cluster(
    tasks: Sequence[RunTask], client: Any, storage: BaseStorage, bar: Any
) -> None:
    from distributed import Event

    stop_name = f"optuna-qnas-stop-{uuid.uuid4().hex}"
    futures = [
        client.submit(_run_on_dask, task, stop_name, pure=False, key=f"qnas-{uuid.uuid4().hex}")
        for task in tasks
    ]
    try:
        _poll(futures, lambda: all(f.done() for f in futures), storage, tasks, bar)
    except BaseException:
        Event(stop_name, client=client).set()
        with contextlib.suppress(BaseException):
            client.gather(futures, errors="skip")
        raise


# --------------------------------------------------------------------------- public API


def _validate_seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, bool):
        raise ValueError(f"seeds must be a count or a list of integers, got {seeds!r}.")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1 (the number of seeds), got {seeds}.")
        return list(range(seeds))
    out = [int(s) for s in seeds]
    if not out or len(set(out)) != len(out) or min(out) < 0:
        raise ValueError(f"seeds must be distinct non-negative integers, got {list(seeds)}.")
    return out


def _settings(
    problem: Problem, spec: SamplerSpec, index: int, seed: int, n_trials: int
) -> dict[str, Any]:
    from optuna_qnas.compare._report import package_version

    return {
        "problem": problem.name,
        "problem_description": problem.description,
        "sampler": spec.name,
        "sampler_description": spec.description,
        "sampler_index": index,
        "seed": seed,
        "n_trials": n_trials,
        "direction": problem.directions[0],
        "view": spec.view,
        "optimum": problem.optimum,
        "target": problem.attrs.get("target"),
        "metric": problem.attrs.get("metric"),
        "log_scale": bool(problem.attrs.get("log_scale", False)),
        "optuna_version": optuna.__version__,
        "optuna_qnas_version": package_version("optuna-qnas"),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def compare_samplers(
    problem_or_objective: Any,
    samplers: str | Sequence[str] | Mapping[str, Any] | None = None,
    *,
    n_trials: int,
    seeds: int | Sequence[int] = 5,
    storage: str | BaseStorage | None = None,
    direction: str | None = None,
    n_workers: int = 1,
    dask_client: Any = None,
    dask_scheduler: str | None = None,
    study_prefix: str = DEFAULT_PREFIX,
    progress: bool = False,
    command: str | None = None,
) -> ComparisonResult:
    """Run the same studies with several samplers, side by side, on one storage.

    Every (problem, sampler, seed) is an ordinary Optuna study in ``storage`` named
    ``{study_prefix}/{problem}/{sampler}/seed={seed}``, with its settings in the study's user
    attribute ``qnas_compare``. Every sampler gets the same seeds, the same budget and the same
    objective (seed ``s`` of every sampler sees the same problem instance and noise stream).
    Re-running the same call resumes; see this module's docstring for the rule.

    Args:
        problem_or_objective:
            A :class:`~optuna_qnas.problems.Problem`, a registered name
            (``"nasbench201-cifar10"``), ``"module:function"``, a ``trial -> float`` callable,
            or a list of these (a comparison over several problems).
        samplers:
            Registry names (``"annealing,tpe,cmaes,random"`` or a list) or a mapping
            ``name -> (seed -> sampler)``; ``None`` for ``annealing, tpe, cmaes, random``.
        n_trials:
            Budget of every run, in counted trials (completed, pruned or failed).
        seeds:
            A number of seeds (``0..seeds-1``) or the list of seeds.
        storage:
            An RDB URL (``sqlite:///comparison.db``, ``postgresql://...``), a storage object, or
            ``None`` for in-memory (single process only).
        direction:
            ``"minimize"``/``"maximize"`` for user objectives (default ``"minimize"``).
        n_workers:
            Worker processes that run studies in parallel (one study per worker at a time).
        dask_client:
            A ``distributed.Client``: run the studies as tasks on its cluster instead.
        dask_scheduler:
            Address of a Dask scheduler (``tcp://host:8786``) to connect a client to.
        study_prefix:
            First component of the study names.
        progress:
            Show a tqdm progress bar over all runs.
        command:
            The command line that started the comparison, recorded in the settings of the
            studies it creates (a re-rendered report shows it).

    Returns:
        The :class:`ComparisonResult`, read back from the storage; its ``n_trials_run`` says how
        many trials this call evaluated (``0`` when every run was already complete).

    Raises:
        ValueError: invalid arguments, an unknown problem or sampler, a storage that cannot be
            opened, or a sampler that cannot be built.
        KeyboardInterrupt: after stopping cleanly on Ctrl-C.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}.")
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}.")
    if dask_client is not None and dask_scheduler is not None:
        raise ValueError("Pass either dask_client or dask_scheduler, not both.")
    if not study_prefix or "/" in study_prefix:
        raise ValueError(f"study_prefix must be non-empty without '/', got {study_prefix!r}.")
    seed_list = _validate_seeds(seeds)
    targets = (
        list(problem_or_objective)
        if isinstance(problem_or_objective, (list, tuple))
        else [problem_or_objective]
    )
    problems = [resolve_problem(p, direction=direction) for p in targets]
    if len({p.name for p in problems}) != len(problems):
        raise ValueError(f"Problems must be distinct, got {[p.name for p in problems]}.")
    specs = resolve_samplers(samplers)
    distributed_run = n_workers > 1 or dask_client is not None or dask_scheduler is not None
    if distributed_run and not isinstance(storage, str):
        raise ValueError(
            "Parallel and Dask runs need a storage URL that every worker can open "
            "(e.g. sqlite:///comparison.db or postgresql://...), not "
            f"{type(storage).__name__ if storage is not None else 'None'}."
        )
    opened = make_storage(storage)
    for spec in specs.values():
        for problem in problems:
            if spec.view == INTEGER_VIEW and problem.make_integer_objective is None:
                raise ValueError(
                    f"Sampler {spec.name!r} searches the integer view, which problem "
                    f"{problem.name!r} does not have; drop it for this problem."
                )
        try:
            sampler = spec.factory(seed_list[0])
        except Exception as e:
            raise ValueError(f"Sampler {spec.name!r} cannot be built: {e}") from None
        if not isinstance(sampler, optuna.samplers.BaseSampler):
            raise ValueError(
                f"Sampler {spec.name!r} factory returned {type(sampler).__name__}, not an "
                "optuna.samplers.BaseSampler."
            )
    task_storage = storage if isinstance(storage, str) else opened
    tasks = [
        RunTask(
            problem=problem,
            sampler=spec,
            seed=seed,
            n_trials=n_trials,
            storage=task_storage,
            study_name=study_name(study_prefix, problem.name, spec.name, seed),
            settings={**_settings(problem, spec, index, seed, n_trials), "command": command},
        )
        for problem in problems
        for seed in seed_list
        for index, spec in enumerate(specs.values())
    ]
    client = dask_client
    if client is None and dask_scheduler is not None:
        from distributed import Client

        try:
            client = Client(dask_scheduler, timeout="10s")
        except Exception as e:
            raise ValueError(
                f"Cannot connect to the Dask scheduler {dask_scheduler!r}: {e}"
            ) from None
    total = len(tasks) * n_trials
    done_before = _count_progress(opened, tasks)
    bar = _make_progress(total, done_before, progress, f"{len(tasks)} runs")
    try:
        if client is not None:
            _run_on_dask_cluster(tasks, client, opened, bar)
        elif n_workers > 1:
            _run_in_pool(tasks, n_workers, opened, bar)
        else:
            _run_in_process(tasks, bar)
    finally:
        if bar is not None:
            bar.close()
        if client is not None and dask_client is None:
            client.close()
    result = load_comparison(opened, study_names=[t.study_name for t in tasks], n_trials=n_trials)
    result.n_trials_run = _count_progress(opened, tasks) - done_before
    return result
