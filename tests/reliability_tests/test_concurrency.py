"""Parallel and distributed studies with our sampler: threads, processes, SQLite, Journal,
PostgreSQL.

Every worker builds its own sampler and reads everything from the shared storage (Optuna's model
of distributed optimization). The search space (6 edges x 5 operations = 15,625 cells) is far
larger than the budget, so every duplicate configuration is the sampler's doing. Duplicates are
counted by :func:`duplicate_counts`: *sequential* ones (proposed after the first evaluation had
finished) must never happen; *running* ones (two workers evaluating the same cell at once) can
only come from two proposals computed at the same instant, and are bounded (docs/reliability.md).
"""

from __future__ import annotations

import time

from _reliability_helpers import duplicate_counts
from _reliability_helpers import record_figure
from _reliability_helpers import running_duplicate_bound
from _reliability_helpers import start_worker
from _reliability_helpers import wait_all
from _reliability_worker import cell_value
from _reliability_worker import make_sampler
from _reliability_worker import OPS
from _reliability_worker import suggest_cell
import numpy as np
import optuna
from optuna.trial import TrialState
import pytest


optuna.logging.set_verbosity(optuna.logging.WARNING)


def _check(
    trials: list[optuna.trial.FrozenTrial], expected: int, label: str, workers: int
) -> dict[str, int]:
    states = [t.state for t in trials]
    assert len(trials) == expected, f"{label}: {len(trials)} trials, expected {expected}"
    assert states.count(TrialState.COMPLETE) == expected, (
        f"{label}: not all trials finished: {states}"
    )
    assert [t.number for t in sorted(trials, key=lambda t: t.number)] == list(range(expected))
    for t in trials:
        assert t.value == pytest.approx(
            cell_value([OPS.index(t.params[f"e{i}"]) for i in range(6)])
        )
    modes = [t.system_attrs.get("qnas:proposal", {}).get("mode") for t in trials]
    assert modes.count("model") >= expected // 3, (
        f"{label}: the model proposed too few trials: {modes}"
    )
    dups = duplicate_counts(trials)
    record_figure("concurrency", storage=label, workers=workers, trials=expected, **dups)
    assert dups["sequential"] == 0, f"{label}: a finished configuration was proposed again: {dups}"
    assert dups["running"] <= running_duplicate_bound(expected), f"{label}: {dups}"
    return dups


def test_threads_n_jobs_4_share_one_sampler() -> None:
    study = optuna.create_study(sampler=make_sampler(seed=0))

    def objective(trial: optuna.Trial) -> float:
        ops = suggest_cell(trial)
        time.sleep(0.1)
        return cell_value(ops)

    study.optimize(objective, n_trials=20, n_jobs=4)
    _check(study.trials, 20, "in-memory, n_jobs=4 threads", workers=4)


def _run_workers(
    url: str, study_name: str, *, workers: int, trials: int, journal: bool = False
) -> None:
    flags = {"journal": True} if journal else {}
    procs = [
        start_worker(url, study_name, trials=trials, seed=100 + w, sleep=0.2, **flags)
        for w in range(workers)
    ]
    for code, _out, err in wait_all(procs, timeout=300):
        assert code == 0, err[-3000:]
        assert "Traceback" not in err, err[-3000:]


def _storage(kind: str, tmp_path, postgres_url: str | None):
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'study.db'}"
        return url, url, False
    if kind == "journal":
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        path = str(tmp_path / "journal.log")
        return JournalStorage(JournalFileBackend(path)), path, True
    assert postgres_url is not None
    return postgres_url, postgres_url, False


@pytest.mark.parametrize(
    "kind, workers, trials",
    [
        ("sqlite", 4, 6),
        ("journal", 4, 6),
        ("postgresql", 4, 6),
        pytest.param("sqlite", 4, 25, marks=pytest.mark.slow),
        pytest.param("journal", 4, 25, marks=pytest.mark.slow),
        pytest.param("postgresql", 4, 25, marks=pytest.mark.slow),
    ],
)
def test_worker_processes_on_one_storage(
    kind, workers, trials, tmp_path, request, study_name
) -> None:
    postgres_url = request.getfixturevalue("postgres_url") if kind == "postgresql" else None
    storage, url, journal = _storage(kind, tmp_path, postgres_url)
    optuna.create_study(study_name=study_name, storage=storage)
    _run_workers(url, study_name, workers=workers, trials=trials, journal=journal)
    study = optuna.load_study(study_name=study_name, storage=storage)
    trials_ = study.get_trials(deepcopy=False)
    _check(trials_, workers * trials, kind, workers)
    assert len({t.user_attrs["pid"] for t in trials_}) == workers


def test_two_proposals_computed_at_the_same_instant_differ() -> None:
    # Two workers at the same instant, made deterministic: both trials are asked and their
    # relative parameters computed before either trial stores a parameter. With 30 trials of an
    # additive objective whose optimum (all 'none') is unevaluated, the model is confident and
    # both draws land on that optimum in most seeds.
    from optuna.distributions import CategoricalDistribution

    collisions = 0
    for seed in range(4):
        rng = np.random.RandomState(seed)
        study = optuna.create_study(sampler=make_sampler(seed))
        dists = {f"e{i}": CategoricalDistribution(OPS) for i in range(6)}
        while len(study.trials) < 30:
            levels = rng.randint(len(OPS), size=6)
            if levels.sum() == 0:
                continue
            params = {f"e{i}": OPS[lv] for i, lv in enumerate(levels)}
            study.add_trial(
                optuna.trial.create_trial(
                    params=params, distributions=dists, value=float(levels.sum())
                )
            )
        first, second = study.ask(), study.ask()
        a, b = first.relative_params, second.relative_params
        collisions += int(a == b)
    record_figure("simultaneous_proposals", pairs=4, identical_pairs=collisions)
    assert collisions == 0


def _near_optimum_race(
    seed: int, sampler: optuna.samplers.BaseSampler | None = None, race: bool = True
) -> tuple[tuple, set[tuple], dict]:
    """One proposal whose storage snapshot predates a burst of finished trials.

    Replays, in one process and deterministically, what happens under load when a proposal is
    slow and trials are fast: the proposal reads the storage, then other workers finish every
    cell with at most two operations other than 'none' (the region the model's picks come
    from, for the additive objective whose optimum is all 'none'), then it computes. Returns
    the proposed cell, the cells of every other trial, and the proposal's record.
    """
    import itertools

    from optuna.distributions import CategoricalDistribution

    rng = np.random.RandomState(seed)
    study = optuna.create_study(sampler=sampler or make_sampler(seed))
    dists = {f"e{i}": CategoricalDistribution(OPS) for i in range(6)}

    def add(levels) -> None:
        params = {f"e{i}": OPS[lv] for i, lv in enumerate(levels)}
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=dists, value=float(sum(levels)))
        )

    while len(study.trials) < 30:
        levels = rng.randint(len(OPS), size=6)
        if (levels != 0).sum() > 2:  # the start-up trials stay outside the region finished later
            add(levels)
    trial = study.ask()
    study._get_trials(deepcopy=False, use_cache=True)  # the proposal's snapshot of the storage
    for levels in itertools.product(range(len(OPS)), repeat=6):
        if race and sum(lv != 0 for lv in levels) <= 2:
            add(levels)
    params = trial.relative_params
    cell = tuple(params[f"e{i}"] for i in range(6))
    others = {
        tuple(t.params[f"e{i}"] for i in range(6))
        for t in study.trials
        if t.number != trial.number and t.params
    }
    record = study._storage.get_trial(trial._trial_id).system_attrs.get("qnas:proposal", {})
    return cell, others, record


@pytest.mark.parametrize("seed", range(3))
def test_a_proposal_avoids_every_cell_finished_while_it_was_computed(seed) -> None:
    # A conflict must exclude everything other workers hold, not only the conflicting cell:
    # the next picks are taken too, and after three conflicts a finished cell was proposed.
    cell, others, record = _near_optimum_race(seed)
    assert record.get("claim_conflicts", 0) >= 1, f"the race was not provoked: {record}"
    assert cell not in others, f"a finished cell was proposed again: {cell} ({record})"


def test_when_every_retry_is_taken_the_proposal_falls_back_to_an_unheld_cell(monkeypatch) -> None:
    # With no retries left, the fallback (the nearest cell nobody holds) must still be new.
    from optuna_qnas.samplers._qubo import _state

    monkeypatch.setattr(_state, "MAX_CLAIM_ATTEMPTS", 1)
    cell, others, record = _near_optimum_race(0)
    assert record.get("claim_conflicts") == 1, record
    assert record.get("source") == "claim fallback", record
    assert cell not in others, f"a finished cell was proposed again: {cell} ({record})"


class _CountingSolver:
    """Simulated annealing that counts its solves."""

    def __init__(self) -> None:
        from optuna_qnas.solvers import make_solver

        self.inner = make_solver("simulated_annealing", num_reads=16)
        self.calls = 0

    def solve(self, qubo, num_samples, seed=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.inner.solve(qubo, num_samples, seed)


def test_a_claim_conflict_walks_the_ranked_pool_without_solving_again() -> None:
    from optuna_qnas import QuantumAnnealingSampler

    counts = {}
    for race in (False, True):
        solver = _CountingSolver()
        sampler = QuantumAnnealingSampler(seed=0, solver=solver)
        cell, others, record = _near_optimum_race(0, sampler=sampler, race=race)
        counts[race] = solver.calls
        assert cell not in others
        assert record.get("claim_conflicts", 0) >= (1 if race else 0), record
    # The fit sees the same snapshot either way, so the solves are the same proposal's.
    assert counts[True] == counts[False] > 0, counts
