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

from collections.abc import Mapping
from collections.abc import Sequence
import datetime
from typing import Any

import optuna
from optuna.storages import BaseStorage

from optuna_qnas.compare._execution import count_progress
from optuna_qnas.compare._execution import make_progress
from optuna_qnas.compare._execution import run_in_pool
from optuna_qnas.compare._execution import run_in_process
from optuna_qnas.compare._execution import run_on_dask_cluster
from optuna_qnas.compare._problems import resolve_problem
from optuna_qnas.compare._result import ComparisonResult
from optuna_qnas.compare._result import load_comparison
from optuna_qnas.compare._samplers import INTEGER_VIEW
from optuna_qnas.compare._samplers import resolve_samplers
from optuna_qnas.compare._samplers import SamplerSpec
from optuna_qnas.compare._storage import DEFAULT_PREFIX
from optuna_qnas.compare._storage import make_storage
from optuna_qnas.compare._storage import study_name
from optuna_qnas.compare._task import RunTask
from optuna_qnas.compare._versions import package_version
from optuna_qnas.problems import Problem


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
    done_before = count_progress(opened, tasks)
    bar = make_progress(total, done_before, progress, f"{len(tasks)} runs")
    try:
        if client is not None:
            run_on_dask_cluster(tasks, client, opened, bar)
        elif n_workers > 1:
            run_in_pool(tasks, n_workers, opened, bar)
        else:
            run_in_process(tasks, bar)
    finally:
        if bar is not None:
            bar.close()
        if client is not None and dask_client is None:
            client.close()
    result = load_comparison(opened, study_names=[t.study_name for t in tasks], n_trials=n_trials)
    result.n_trials_run = count_progress(opened, tasks) - done_before
    return result
