"""Fixed-seed regression check of the default sampler's proposals.

Runs ``QuantumAnnealingSampler(seed=s)`` on NAS-Bench-201 CIFAR-10 (problem seed ``s``) for
``--trials`` trials per seed, in one process on in-memory storage, and writes every proposed
configuration to a JSON file. ``--compare FILE`` reports, per seed, the first trial where the
proposals differ from an earlier recording (none: the refactor changed no proposal).

    python benchmarks/proposal_regression.py --out /tmp/new.json \
        --compare benchmarks/reference/nb201_cifar10_proposals.json

``benchmarks/reference/nb201_cifar10_proposals.json`` holds the proposals of seeds 0-4 at 100
trials as of version 0.2.0 (identical to 0.1.0's). A change that alters proposals on purpose
re-measures the search-quality tables and records a new reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import optuna
from optuna.study import StudyDirection

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.problems import get_problem


def record(seeds: list[int], trials: int, problem: str) -> dict[str, list[dict[str, object]]]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    prob = get_problem(problem)
    out: dict[str, list[dict[str, object]]] = {}
    for seed in seeds:
        start = time.process_time()
        directions = [StudyDirection[d.upper()] for d in prob.directions]
        study = optuna.create_study(
            directions=directions, sampler=QuantumAnnealingSampler(seed=seed)
        )
        study.optimize(prob.make_objective(seed), n_trials=trials)
        out[str(seed)] = [t.params for t in study.trials]
        cpu = time.process_time() - start
        print(f"seed {seed}: {trials} trials, {cpu:.1f} s CPU, best {study.best_value:.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="nasbench201-cifar10")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (default 5)")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--out", required=True, help="JSON file to write the proposals to")
    parser.add_argument("--compare", help="an earlier recording to compare with")
    args = parser.parse_args(argv)
    proposals = record(list(range(args.seeds)), args.trials, args.problem)
    with open(args.out, "w") as f:
        json.dump({"problem": args.problem, "trials": args.trials, "proposals": proposals}, f)
    if not args.compare:
        return 0
    with open(args.compare) as f:
        before = json.load(f)["proposals"]
    same = True
    for seed, params in proposals.items():
        old = before.get(seed)
        if old is None:
            print(f"seed {seed}: not in {args.compare}")
            same = False
            continue
        # A shorter run is compared with the start of a longer recording.
        diff = next((i for i, (a, b) in enumerate(zip(old, params)) if a != b), None)
        if diff is None and len(old) >= len(params):
            print(f"seed {seed}: all {len(params)} proposals identical")
        else:
            same = False
            print(f"seed {seed}: first difference at trial {diff}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
