"""Sampler overhead: CPU time per trial spent outside the objective, by width of the space.

Each problem runs one study of ``--trials`` trials per sampler and seed, in this process, on
in-memory storage. The CPU time (``time.process_time``) of each trial minus the CPU time inside
the objective (the same parameters evaluated again on a ``FixedTrial``) is the sampler's
(and Optuna's) overhead; the table gives its mean over the last
ten trials (the cost "after 100 trials") and over the whole study. CPU time, not wall time, so
that other work on the machine does not inflate it.

Usage::

    python benchmarks/overhead.py --out results/overhead
    python benchmarks/overhead.py --problems planted-qubo-2000 --samplers annealing --seeds 1
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import time
from typing import Any


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import optuna

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas.problems import get_problem


PROBLEMS = (
    "nasbench201-cifar10",
    "bocs-contamination-100",
    "ackley-153",
    "ising-sparsification-4x30",
    "nas-macro-nb201",
    "planted-qubo-500",
    "planted-qubo-2000",
)
SAMPLERS = {
    "annealing": lambda seed: QuantumAnnealingSampler(seed=seed),
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
}


def run(problem: str, sampler: str, seed: int, trials: int) -> dict[str, Any]:
    prob = get_problem(problem)
    objective = prob.make_objective(seed)
    study = optuna.create_study(
        directions=[*prob.directions],  # type: ignore[list-item]
        sampler=SAMPLERS[sampler](seed),
    )
    per_trial: list[float] = []
    inside: list[float] = []
    for _ in range(trials):
        start = time.process_time()
        study.optimize(objective, n_trials=1)
        total = time.process_time() - start
        # Optuna samples inside the objective (at each suggest); the objective's own cost is
        # measured by evaluating the same parameters again on a FixedTrial.
        start = time.process_time()
        objective(optuna.trial.FixedTrial(study.trials[-1].params))
        inside.append(time.process_time() - start)
        per_trial.append(total - inside[-1])
    dists = study.trials[-1].distributions
    bits = SearchSpaceEncoding(dists).n_bits
    return {
        "problem": problem,
        "sampler": sampler,
        "seed": seed,
        "bits": bits,
        "parameters": len(dists),
        "overhead_ms": [1000 * t for t in per_trial],
        "objective_ms": 1000 * float(np.mean(inside)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--samplers", default="annealing,tpe")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = args.samplers.split(",")
    rows = [
        run(problem, sampler, seed, args.trials)
        for problem in args.problems.split(",")
        for sampler in samplers
        for seed in range(args.seeds)
    ]
    lines = [
        "| problem | parameters | bits | "
        + " | ".join(f"{s}: ms/trial, last 10 (all)" for s in samplers)
        + " |",
        "|---|---:|---:|" + "---:|" * len(samplers),
    ]
    for problem in args.problems.split(","):
        sub = [r for r in rows if r["problem"] == problem]
        cells = []
        for s in samplers:
            ms = np.array([r["overhead_ms"] for r in sub if r["sampler"] == s])
            cells.append(f"{ms[:, -10:].mean():.0f} ({ms.mean():.0f})")
        lines.append(
            f"| {problem} | {sub[0]['parameters']} | {sub[0]['bits']} | "
            + " | ".join(cells)
            + " |"
        )
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    (args.out / "overhead.json").write_text(
        json.dumps(
            {"settings": vars(args) | {"out": str(args.out)}, "machine": machine, "rows": rows}
        )
    )
    (args.out / "overhead.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
