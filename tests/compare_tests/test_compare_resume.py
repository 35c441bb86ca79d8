"""Resuming a comparison: nothing finished is lost or repeated, leftovers are repaired."""

from __future__ import annotations

import logging
import os
from pathlib import Path
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import optuna
from optuna.trial import TrialState
import pytest

from optuna_qnas.compare import compare_samplers
from optuna_qnas.compare import load_comparison
from optuna_qnas.compare._storage import INTERRUPTED_ATTR
from optuna_qnas.compare._storage import make_storage
from optuna_qnas.compare._storage import SEGMENTS_ATTR
from optuna_qnas.compare._task import resume_seed


REPO = Path(__file__).resolve().parents[2]
OBJECTIVES = "tests/compare_tests/objectives_for_tests.py"


def _snapshot(url):
    """{study name: [(number, state, params, value)]} of every study in the storage."""
    storage = optuna.storages.RDBStorage(url)
    out = {}
    for study in storage.get_all_studies():
        trials = storage.get_all_trials(study._study_id)
        out[study.study_name] = [
            (t.number, t.state, t.params, t.value, t.system_attrs.get(INTERRUPTED_ATTR, False))
            for t in trials
        ]
    return out


def _counted(rows):
    return [r for r in rows if r[1].is_finished() and not r[4]]


def test_larger_budget_extends_and_same_budget_skips(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    first = compare_samplers(
        "nasbench201-cifar10", "tpe,random", n_trials=5, seeds=[3], storage=url
    )
    before = _snapshot(url)
    second = compare_samplers(
        "nasbench201-cifar10", "tpe,random", n_trials=9, seeds=[3], storage=url
    )
    after = _snapshot(url)
    for name, rows in before.items():
        assert after[name][:5] == rows  # finished trials untouched
        assert len(after[name]) == 9
    for a, b in zip(first.runs, second.runs):
        np.testing.assert_array_equal(b.values[:5], a.values)
    storage = optuna.storages.RDBStorage(url)
    for study in storage.get_all_studies():
        segments = storage.get_study_system_attrs(study._study_id)[SEGMENTS_ATTR]
        assert segments == [
            {"first_trial": 0, "sampler_seed": 3},
            {"first_trial": 5, "sampler_seed": resume_seed(3, 5)},
        ]
    # The same budget again: every study is finished, nothing runs.
    compare_samplers("nasbench201-cifar10", "tpe,random", n_trials=9, seeds=[3], storage=url)
    assert _snapshot(url) == after
    # A smaller budget reads the first trials only.
    small = load_comparison(url, n_trials=5)
    assert all(len(r.values) == 5 for r in small.runs)
    # A second comparison of the same runs under another prefix must be told apart.
    compare_samplers(
        "nasbench201-cifar10", "random", n_trials=2, seeds=[3], storage=url, study_prefix="other"
    )
    with pytest.raises(ValueError, match="study_prefix"):
        load_comparison(url)
    assert len(load_comparison(url, study_prefix="other").runs) == 1
    assert len(load_comparison(url, study_prefix="qnas").runs) == 2


def test_running_leftovers_are_marked_interrupted_and_replaced(tmp_path):
    url = f"sqlite:///{tmp_path}/c.db"
    compare_samplers("nasbench201-cifar10", "random", n_trials=3, seeds=[0], storage=url)
    name = "qnas/nasbench201-cifar10/random/seed=0"
    study = optuna.load_study(study_name=name, storage=url)
    leftover = study.ask()  # a trial a dead worker never told
    leftover.suggest_categorical(
        "Op0", ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    )
    result = compare_samplers("nasbench201-cifar10", "random", n_trials=5, seeds=[0], storage=url)
    trials = optuna.load_study(study_name=name, storage=url).trials
    assert trials[3].state == TrialState.FAIL
    assert trials[3].system_attrs[INTERRUPTED_ATTR] is True
    assert [t.state for t in trials].count(TrialState.COMPLETE) == 5
    (run,) = result.runs
    assert len(run.values) == 5 and run.n_interrupted == 1
    assert np.all(np.isfinite(run.values))


def test_failed_and_pruned_trials_use_budget_and_are_reported(tmp_path):
    result = compare_samplers(
        f"{OBJECTIVES}:flaky", "random", n_trials=30, seeds=[0], direction="minimize"
    )
    (run,) = result.runs
    assert len(run.values) == 30
    assert run.n_failed > 0 and run.n_pruned > 0
    assert run.n_failed + run.n_pruned + int(np.isfinite(run.values).sum()) == 30
    assert all(reason.startswith("RuntimeError: diverged") for reason in run.fail_reasons)
    assert len(run.fail_reasons) == run.n_failed


def _start(tmp_path, *extra, sleep="0.1"):
    env = {**os.environ, "QNAS_TEST_SLEEP": sleep, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-m", "optuna_qnas", "compare",
        "--problem", f"{OBJECTIVES}:slow_sphere",
        "--samplers", "random,tpe", "--trials", "10", "--seeds", "1",
        "--storage", f"sqlite:///{tmp_path}/kill.db", "--out", str(tmp_path),
        "--no-progress", "--no-report", *extra,
    ]  # fmt: skip
    return (
        subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_sigint_as_in_a_terminal,
        ),
        cmd,
        env,
    )


def _sigint_as_in_a_terminal():
    # A program started from a terminal has SIGINT at its default, and Python turns it into
    # KeyboardInterrupt. A test run launched in the background of a non-interactive shell (a CI
    # script's `cmd &`) passes SIGINT on *ignored*, Python then installs no handler, and the
    # comparison would run to the end however often it is interrupted.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_trials(url, n, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            rows = [r for rs in _snapshot(url).values() for r in rs]
        except Exception:  # the database is still being created
            rows = []
        if len(_counted(rows)) >= n:
            return
        time.sleep(0.1)
    raise AssertionError("the comparison made no progress")


def _check_complete(url, before):
    after = _snapshot(url)
    assert len(after) == 2
    for name, rows in after.items():
        assert all(r[1] != TrialState.RUNNING for r in rows)
        numbers = [r[0] for r in rows]
        assert numbers == list(range(len(rows)))  # no duplicated or lost numbers
        assert len(_counted(rows)) == 10
        finished_before = [r for r in before.get(name, []) if r[1].is_finished()]
        assert rows[: len(finished_before)] == finished_before
    return after


def test_sigkill_mid_run_then_resume(tmp_path):
    url = f"sqlite:///{tmp_path}/kill.db"
    proc, cmd, env = _start(tmp_path)
    _wait_for_trials(url, 4, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    before = _snapshot(url)
    running = [r for rows in before.values() for r in rows if r[1] == TrialState.RUNNING]
    assert len(running) <= 1
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _check_complete(url, before)
    interrupted = [r for rows in after.values() for r in rows if r[4]]
    assert len(interrupted) == len(running)  # the leftover became an interrupted FAIL


@pytest.mark.parametrize(
    "workers",
    # Worker processes take ~30 s here (spawn + imports on a shared 2-core box): slow.
    ["1", pytest.param("2", marks=pytest.mark.slow)],
)
def test_ctrl_c_leaves_a_consistent_storage(tmp_path, workers):
    url = f"sqlite:///{tmp_path}/kill.db"
    # 0.2 s per trial: the 20 trials are still running when Ctrl-C arrives, with seconds to spare.
    proc, cmd, env = _start(tmp_path, "--workers", workers, sleep="0.2")
    _wait_for_trials(url, 3, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    out, err = proc.communicate(timeout=60)
    counted = len(_counted([r for rs in _snapshot(url).values() for r in rs]))
    assert counted < 20, (
        "the comparison ran to the end: Ctrl-C came too late or SIGINT was ignored"
    )
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("optuna-qnas: interrupted"), err
    assert "Traceback" not in err
    before = _snapshot(url)
    rows = [r for rs in before.values() for r in rs]
    assert all(r[1] != TrialState.RUNNING for r in rows)
    if workers == "2":
        # Workers finish the trial they are evaluating: nothing is cut short.
        assert not any(r[4] for r in rows)
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    _check_complete(url, before)


class _BrokenSampler(optuna.samplers.RandomSampler):
    """Random search that loses a dependency from its third trial on."""

    def sample_independent(self, study, trial, param_name, param_distribution):
        if trial.number >= 2:
            raise ImportError("cmaes is not installed")
        return super().sample_independent(study, trial, param_name, param_distribution)


def test_a_failing_sampler_stops_the_run_instead_of_failing_trials(tmp_path):
    from optuna_qnas.compare import SamplerCallError

    url = f"sqlite:///{tmp_path}/c.db"
    with pytest.raises(SamplerCallError, match="ImportError: cmaes is not installed"):
        compare_samplers(
            "nasbench201-cifar10", {"broken": _BrokenSampler}, n_trials=6, seeds=[0], storage=url
        )
    trials = optuna.load_study(
        study_name="qnas/nasbench201-cifar10/broken/seed=0", storage=url
    ).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert (
        trials[2].system_attrs[INTERRUPTED_ATTR] is True
    )  # not counted: a fixed re-run redoes it
    assert "cmaes is not installed" in trials[2].user_attrs["fail_reason"]
    (run,) = load_comparison(url).runs
    assert len(run.values) == 2 and not run.finished


def _log_cursor_close_failure(storage, during_interrupt: bool) -> None:
    """What SQLAlchemy does when closing a cursor fails: log it through the pool's logger."""
    try:
        if during_interrupt:
            raise KeyboardInterrupt
        raise RuntimeError("no interrupt")
    except BaseException:
        try:
            raise sqlite3.ProgrammingError("Cannot operate on a closed cursor.")
        except Exception:
            storage.engine.pool.logger.error("Error closing cursor", exc_info=True)


def test_ctrl_c_inside_a_query_logs_no_cursor_traceback(tmp_path, caplog):
    # Ctrl-C during a fetch made SQLAlchemy print "Error closing cursor" with a traceback before
    # the clean "interrupted" message; that record is dropped, other cursor errors are not.
    storage = make_storage(f"sqlite:///{tmp_path}/quiet.db")
    with caplog.at_level(logging.WARNING):
        _log_cursor_close_failure(storage, during_interrupt=True)
    assert not [r for r in caplog.records if r.getMessage() == "Error closing cursor"]
    with caplog.at_level(logging.WARNING):
        _log_cursor_close_failure(storage, during_interrupt=False)
    assert [r for r in caplog.records if r.getMessage() == "Error closing cursor"]
