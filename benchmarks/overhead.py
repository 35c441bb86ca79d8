"""Sampler overhead: CPU time per trial spent in the sampler, by width of the space.

Each problem runs one study of ``--trials`` trials per sampler and seed, in this process, on
in-memory storage. The sampler is wrapped so that the CPU time (``time.process_time``) of every
call Optuna makes to it (search-space inference, relative and independent sampling, the trial
hooks) is added up per trial: the sampler's overhead; the table gives its mean over the last
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
    "gp": lambda seed: optuna.samplers.GPSampler(seed=seed),
}


class CPUTimedSampler(optuna.samplers.BaseSampler):
    """Delegates to ``inner`` and adds up the CPU time of every sampler call per trial."""

    def __init__(self, inner: optuna.samplers.BaseSampler) -> None:
        self.inner = inner
        self.seconds: dict[int, float] = {}

    def _timed(self, trial: Any, call: Any, *args: Any) -> Any:
        start = time.process_time()
        try:
            return call(*args)
        finally:
            number = trial.number
            self.seconds[number] = self.seconds.get(number, 0.0) + time.process_time() - start

    def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
        return self._timed(trial, self.inner.infer_relative_search_space, study, trial)

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> Any:
        return self._timed(trial, self.inner.sample_relative, study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return self._timed(trial, self.inner.sample_independent, study, trial, name, dist)

    def before_trial(self, study: Any, trial: Any) -> None:
        self._timed(trial, self.inner.before_trial, study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self._timed(trial, self.inner.after_trial, study, trial, state, values)


def run(problem: str, sampler: str, seed: int, trials: int) -> dict[str, Any]:
    prob = get_problem(problem)
    timed = CPUTimedSampler(SAMPLERS[sampler](seed))
    study = optuna.create_study(
        directions=[*prob.directions],  # type: ignore[list-item]
        sampler=timed,
    )
    study.optimize(prob.make_objective(seed), n_trials=trials)
    per_trial = [timed.seconds.get(t.number, 0.0) for t in study.trials]
    dists = study.trials[-1].distributions
    bits = SearchSpaceEncoding(dists).n_bits
    return {
        "problem": problem,
        "sampler": sampler,
        "seed": seed,
        "bits": bits,
        "parameters": len(dists),
        "overhead_ms": [1000 * t for t in per_trial],
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
