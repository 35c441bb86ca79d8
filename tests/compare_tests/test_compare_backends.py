"""The same small comparison on every backend gives the same per-seed trajectories.

TPE and Random are deterministic given their seed and the trials they see, and the tabular
problem's noise is a function of (seed, trial number), so in-memory, SQLite, worker processes,
PostgreSQL and a Dask LocalCluster must all reproduce a plain Optuna study trial for trial.
14 trials take TPE past its 10 random start-up trials, so its model is exercised too.
"""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from optuna_qnas.compare import compare_samplers
from optuna_qnas.compare import load_comparison
from optuna_qnas.compare._storage import SETTINGS_ATTR
from optuna_qnas.problems import get_problem


PROBLEM = "nasbench201-cifar10"
SAMPLERS = "tpe,random"
N_TRIALS = 14
SEEDS = [0, 1]


@pytest.fixture(scope="module")
def reference():
    """Values of plain Optuna studies: {(sampler, seed): values}."""
    problem = get_problem(PROBLEM)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = {}
    for seed in SEEDS:
        for name, sampler in [
            ("tpe", optuna.samplers.TPESampler(seed=seed)),
            ("random", optuna.samplers.RandomSampler(seed=seed)),
        ]:
            study = optuna.create_study(direction="maximize", sampler=sampler)
            study.optimize(problem.make_objective(seed), n_trials=N_TRIALS)
            out[(name, seed)] = np.array([t.value for t in study.trials])
    return out


def _check(result, reference, storage=None):
    assert len(result.runs) == len(SEEDS) * 2
    for run in result.runs:
        assert run.finished and len(run.values) == N_TRIALS
        np.testing.assert_array_equal(run.values, reference[(run.sampler, run.seed)])
        assert np.all(np.diff(run.best_so_far) >= 0)
        assert run.final_best == reference[(run.sampler, run.seed)].max()
        # The timing proxy stored a positive sampler time with every trial.
        assert np.all(np.isfinite(run.sampler_time)) and np.all(run.sampler_time > 0)
        assert np.all(run.trial_time >= run.sampler_time)
        assert run.study_name == f"qnas/{PROBLEM}/{run.sampler}/seed={run.seed}"
        assert run.settings["n_trials"] == N_TRIALS and run.settings["problem"] == PROBLEM
    if storage is not None:
        # The studies are ordinary Optuna studies with their settings attached.
        summaries = optuna.get_all_study_summaries(storage)
        names = {s.study_name for s in summaries}
        assert {r.study_name for r in result.runs} <= names
        study = optuna.load_study(study_name=result.runs[0].study_name, storage=storage)
        assert study.user_attrs[SETTINGS_ATTR]["sampler"] == result.runs[0].sampler
        assert len(study.trials) == N_TRIALS
        again = {r.study_name: r for r in load_comparison(storage).runs}
        for run in result.runs:
            np.testing.assert_array_equal(again[run.study_name].values, run.values)


def test_in_memory_matches_plain_optuna(reference):
    result = compare_samplers(PROBLEM, SAMPLERS, n_trials=N_TRIALS, seeds=SEEDS)
    _check(result, reference)


def test_sqlite_with_worker_processes(reference, tmp_path):
    url = f"sqlite:///{tmp_path}/cmp.db"
    result = compare_samplers(
        PROBLEM, SAMPLERS, n_trials=N_TRIALS, seeds=SEEDS, storage=url, n_workers=2
    )
    _check(result, reference, url)


def test_postgresql(reference, postgres_url):
    storage = optuna.storages.RDBStorage(
        postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    )
    for study in storage.get_all_studies():  # a server reused across runs starts clean
        storage.delete_study(study._study_id)
    result = compare_samplers(
        PROBLEM, SAMPLERS, n_trials=N_TRIALS, seeds=SEEDS, storage=postgres_url
    )
    _check(result, reference, storage)


def test_dask_local_cluster(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    url = f"sqlite:///{tmp_path}/dask.db"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = compare_samplers(
            PROBLEM, SAMPLERS, n_trials=N_TRIALS, seeds=SEEDS, storage=url, dask_client=client
        )
    _check(result, reference, url)
