"""Where the runs of a comparison execute: in this process, in worker processes or on Dask.

Every executor runs :func:`~optuna_qnas.compare._task.run_task` once per run and shows progress
by counting the finished trials in the storage. On Ctrl-C (or any error) worker processes and
Dask tasks are told to stop after the trial they are evaluating, so no trial is left
``RUNNING``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from concurrent.futures import ALL_COMPLETED
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait
import contextlib
import multiprocessing
import pickle
import signal
import sys
import time
from typing import Any
import uuid

from optuna.storages import BaseStorage

from optuna_qnas.compare._storage import is_interrupted
from optuna_qnas.compare._task import run_task
from optuna_qnas.compare._task import RunTask


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


def count_progress(storage: BaseStorage, tasks: Sequence[RunTask]) -> int:
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


def make_progress(total: int, initial: int, enabled: bool, label: str) -> Any:
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


def run_in_process(tasks: Sequence[RunTask], bar: Any) -> None:
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
            bar.n = count_progress(storage, tasks)
            bar.refresh()
            last_count = time.monotonic()
        failed = [f for f in futures if f.done() and f.exception() is not None]
        if failed:
            raise failed[0].exception()
    for future in futures:
        future.result()
    if bar is not None:
        bar.n = count_progress(storage, tasks)
        bar.refresh()


def run_in_pool(tasks: Sequence[RunTask], n_workers: int, storage: BaseStorage, bar: Any) -> None:
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


def run_on_dask_cluster(
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
