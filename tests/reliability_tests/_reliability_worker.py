"""A study worker process for the reliability tests (run as a script, one per worker).

    python _reliability_worker.py --storage URL --study NAME --trials N --seed S [--sleep SEC]
                      [--journal] [--heartbeat] [--hang-at K]

It loads the study (``optuna.load_study``), builds its own :class:`QuantumAnnealingSampler`
(one sampler per process, as Optuna runs distributed studies) and optimizes ``N`` trials of a
6 x 5 categorical cell objective (15,625 configurations). Each trial records, as user
attributes, the wall-clock time at which its parameters were known (``proposed_at``) and the
worker's pid. ``--hang-at K`` makes the K-th trial of this worker sleep for an hour after its
parameters are stored (a trial to kill mid-evaluation). ``--heartbeat`` opens the RDB storage
with ``heartbeat_interval=1, grace_period=2``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import optuna


OPS = ["none", "skip", "conv1", "conv3", "pool"]
N_EDGES = 6
_RNG = np.random.RandomState(7)
_UNARY = _RNG.normal(size=(N_EDGES, len(OPS)))
_PAIR = _RNG.normal(scale=0.5, size=(N_EDGES, N_EDGES, len(OPS), len(OPS)))


def cell_value(ops: list[int]) -> float:
    value = sum(_UNARY[i, o] for i, o in enumerate(ops))
    value += sum(
        _PAIR[i, j, ops[i], ops[j]] for i in range(N_EDGES) for j in range(i + 1, N_EDGES)
    )
    return float(value)


def suggest_cell(trial: optuna.Trial) -> list[int]:
    ops = [OPS.index(trial.suggest_categorical(f"e{i}", OPS)) for i in range(N_EDGES)]
    trial.set_user_attr("proposed_at", time.time())
    trial.set_user_attr("pid", os.getpid())
    return ops


def make_sampler(seed: int):
    from optuna_qnas import QuantumAnnealingSampler

    # 5 startup trials so that most proposals come from the model (the interesting path).
    return QuantumAnnealingSampler(seed=seed, num_reads=16, n_startup_trials=5)


def open_storage(url: str, journal: bool, heartbeat: bool):
    if journal:
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(url))
    if heartbeat:
        return optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=2)
    return url


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--storage", required=True)
    p.add_argument("--study", required=True)
    p.add_argument("--trials", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--sleep", type=float, default=0.3)
    p.add_argument("--journal", action="store_true")
    p.add_argument("--heartbeat", action="store_true")
    p.add_argument("--hang-at", type=int, default=-1)
    args = p.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(args.storage, args.journal, args.heartbeat)
    study = optuna.load_study(
        study_name=args.study, storage=storage, sampler=make_sampler(args.seed)
    )
    count = {"n": 0}

    def objective(trial: optuna.Trial) -> float:
        ops = suggest_cell(trial)
        k = count["n"]
        count["n"] += 1
        if k == args.hang_at:
            trial.set_user_attr("hanging", True)
            print(f"HANGING {trial.number}", flush=True)
            time.sleep(3600)
        time.sleep(args.sleep)
        return cell_value(ops)

    study.optimize(objective, n_trials=args.trials)
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
