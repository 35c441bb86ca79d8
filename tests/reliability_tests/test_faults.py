"""Faults: a worker killed with SIGKILL mid-trial, leftovers, and a storage that disappears.

An interrupted *comparison* (Ctrl-C, SIGKILL, resume) is covered by the comparison engineer's
tests in tests/compare_tests/test_compare_resume.py; these tests cover plain studies driven by
our sampler.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from _reliability_helpers import kill_group
from _reliability_helpers import record_figure
from _reliability_helpers import start_postgres
from _reliability_helpers import start_worker
from _reliability_helpers import stop_postgres
from _reliability_helpers import with_driver
from _reliability_helpers import worker_env
from _reliability_worker import cell_value
from _reliability_worker import make_sampler
from _reliability_worker import suggest_cell
import optuna
from optuna.trial import TrialState
import pytest


optuna.logging.set_verbosity(optuna.logging.WARNING)
GRACE = 2


def _wait_for(predicate, timeout: float, proc: subprocess.Popen | None = None, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(
                f"worker exited ({proc.returncode}) before {what}: {proc.stderr.read()[-3000:]}"
            )
        time.sleep(0.2)
    if proc is not None:
        kill_group(proc)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def _hanging_trial(url: str, name: str):
    trials = optuna.load_study(study_name=name, storage=url).get_trials(deepcopy=False)
    return next(
        (t for t in trials if t.user_attrs.get("hanging") and t.state == TrialState.RUNNING), None
    )


def _finished(trials):
    return [(t.number, t.params, t.value) for t in trials if t.state == TrialState.COMPLETE]


def _objective(trial: optuna.Trial) -> float:
    return cell_value(suggest_cell(trial))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def test_sigkill_mid_trial_with_heartbeat(kind, tmp_path, request, study_name) -> None:
    url = (
        f"sqlite:///{tmp_path / 'study.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    optuna.create_study(study_name=study_name, storage=url)
    # The worker's 7th trial stores its parameters, then hangs: it is killed there.
    proc = start_worker(url, study_name, trials=50, seed=1, sleep=0.02, heartbeat=True, hang_at=6)
    hanging = _wait_for(lambda: _hanging_trial(url, study_name), 180, proc, "the hanging trial")
    kill_group(proc)
    proc.wait(timeout=30)
    before = optuna.load_study(study_name=study_name, storage=url).get_trials(deepcopy=False)
    finished_before = _finished(before)
    assert len(finished_before) == 6

    # A RUNNING leftover without a heartbeat (e.g. a worker that does not use heartbeats).
    plain = optuna.load_study(
        study_name=study_name, storage=url, sampler=optuna.samplers.RandomSampler(seed=5)
    )
    leftover = plain.ask()
    suggest_cell(leftover)

    heartbeat = optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=GRACE)
    study = optuna.load_study(
        study_name=study_name, storage=heartbeat, sampler=make_sampler(seed=9)
    )
    assert study._storage.get_trial(hanging._trial_id).state == TrialState.RUNNING
    time.sleep(GRACE + 1.5)
    # The next worker's optimize fails the stale trial first, then goes on.
    study.optimize(_objective, n_trials=4)

    after = study.get_trials(deepcopy=False)
    by_number = {t.number: t for t in after}
    assert by_number[hanging.number].state == TrialState.FAIL
    assert by_number[leftover.number].state == TrialState.RUNNING  # no heartbeat, never stale
    finished_after = _finished(after)
    lost = [row for row in finished_before if row not in finished_after]
    assert lost == []
    assert len(finished_after) == len(finished_before) + 4
    new = [t for t in after if t.number > leftover.number]
    assert [t.state for t in new] == [TrialState.COMPLETE] * 4
    # The sampler kept proposing from its model with FAIL and RUNNING leftovers in the study, and
    # proposed neither leftover's configuration again.
    assert all(t.system_attrs["qnas:proposal"]["mode"] == "model" for t in new)
    taken = {tuple(sorted(by_number[n].params.items())) for n in (hanging.number, leftover.number)}
    assert not taken & {tuple(sorted(t.params.items())) for t in new}
    record_figure(
        "sigkill",
        storage=kind,
        faults_injected=1,
        finished_before=len(finished_before),
        finished_after=len(finished_after),
        finished_lost=len(lost),
        stale_trial_state="FAIL",
        trials_after_fault=4,
    )


_VANISHING_SQLITE = textwrap.dedent(
    """
    import shutil, sys, optuna
    from _reliability_worker import cell_value, make_sampler, suggest_cell
    folder, url = sys.argv[1], sys.argv[2]
    study = optuna.create_study(storage=url, sampler=make_sampler(seed=0))

    def objective(trial):
        ops = suggest_cell(trial)
        if trial.number == 3:
            shutil.rmtree(folder)  # the storage disappears under a running study
        return cell_value(ops)

    study.optimize(objective, n_trials=20)
    """
)


def test_sqlite_storage_removed_mid_run_is_an_error_not_a_hang(tmp_path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    url = f"sqlite:///{folder / 'study.db'}"
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _VANISHING_SQLITE, str(folder), url],
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    assert proc.returncode != 0
    # Optuna's loop ends with its own "Should not reach" assertion, but the chained cause names
    # the storage failure (SQLite cannot write the vanished file).
    assert "readonly database" in proc.stderr or "unable to open database" in proc.stderr, (
        proc.stderr[-3000:]
    )
    record_figure(
        "storage_vanished",
        storage="sqlite (folder removed)",
        exit_code=proc.returncode,
        seconds=round(elapsed, 1),
        error=proc.stderr.strip().splitlines()[-1][:200],
    )


@pytest.mark.slow  # starts and stops a server of its own (about 20 s)
def test_postgresql_server_stopped_mid_run_is_an_error_not_a_hang(study_name) -> None:
    url, directory, error = start_postgres()  # a server of its own: this test stops it
    if url is None:
        from _reliability_helpers import no_postgres

        no_postgres(error)
    url = with_driver(url)
    try:
        optuna.create_study(study_name=study_name, storage=url)
        proc = start_worker(url, study_name, trials=1000, seed=2, sleep=0.1)
        _wait_for(
            lambda: (
                len(_finished(optuna.load_study(study_name=study_name, storage=url).trials)) >= 3
            ),
            180,
            proc,
            "3 finished trials",
        )
    finally:
        stopped = time.monotonic()
        stop_postgres(directory)
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        pytest.fail("the worker hung after its PostgreSQL server stopped")
    elapsed = time.monotonic() - stopped
    assert proc.returncode != 0
    assert "OperationalError" in err, err[-3000:]
    record_figure(
        "storage_vanished",
        storage="postgresql (server stopped)",
        exit_code=proc.returncode,
        seconds=round(elapsed, 1),
        error=err.strip().splitlines()[-1][:200],
    )
