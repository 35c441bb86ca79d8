"""Solver ablation on the sampler's own QUBOs: which solver gets lowest in equal time?

The default sampler (``QuantumAnnealingSampler(seed=s)``) runs a study on each problem; every QUBO
it hands its solver at the recorded trials (the posterior mean and the posterior draws with the
encoding penalty at the strength used) is kept. Each kept QUBO is then solved again by:

- ``annealing``: the default solver (simulated annealing with its automatic budget); its wall
  time ``t`` on that QUBO is the budget every other solver gets;
- ``random``: seeded uniformly random reads, drawn in batches until ``t`` is spent;
- ``steepest``: steepest descent from random starts, in batches until ``t`` is spent;
- ``tabu``: 4 tabu reads of ``t / 4`` each (at least 1 ms, tabu's resolution);
- ``decomposition``: dwave-hybrid decomposition with simulated-annealing subproblems, stopped
  at ``t`` (only where ``optuna_qnas.solvers.DecompositionSolver`` is installed);
- ``reference`` (not timed): 64 reads x 1,000 sweeps of simulated annealing, for the best known
  energy.

The table gives, per problem and solver, the mean gap to the best energy any solver found on
that QUBO (in the QUBO's units: the surrogate is fitted on normal scores, so one unit is about
one standard deviation of the objective's ranks), the fraction of QUBOs on which the solver
found that best energy, and the mean time per solve.

Usage::

    python benchmarks/solver_ablation.py --out results/solver-ablation
    python benchmarks/solver_ablation.py --problems planted-qubo-500 --seeds 0-2 --trials 40
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import optuna

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas._qubo import QUBO
from optuna_qnas.problems import get_problem
from optuna_qnas.solvers import make_solver
from optuna_qnas.solvers import SolverResult


sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import parse_seeds
from run import SUITES


SOLVERS = ("annealing", "random", "steepest", "tabu", "decomposition")


class Recorder:
    """The default solver, keeping every QUBO it is asked to solve at the chosen trials."""

    def __init__(self, record_at: set[int]) -> None:
        self.inner = make_solver("simulated_annealing")
        self.record_at = record_at
        self.trial = -1
        self.qubos: list[tuple[int, QUBO]] = []

    @property
    def max_variables(self) -> int | None:
        return None

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult:
        if self.trial in self.record_at:
            self.qubos.append((self.trial, qubo))
        return self.inner.solve(qubo, num_samples, seed)


def collect(problem: str, seed: int, trials: int, record_at: set[int]) -> list[tuple[int, QUBO]]:
    """Run the default sampler on ``problem`` and return the QUBOs of the recorded trials."""
    prob = get_problem(problem)
    recorder = Recorder(record_at)
    sampler = QuantumAnnealingSampler(seed=seed, solver=recorder)
    study = optuna.create_study(directions=[*prob.directions], sampler=sampler)  # type: ignore[list-item]
    objective = prob.make_objective(seed)

    def tracked(trial: optuna.Trial) -> Any:
        recorder.trial = trial.number
        return objective(trial)

    study.optimize(tracked, n_trials=trials)
    return recorder.qubos


def _batched(sample: Any, bqm: Any, budget: float, reads: int, seed: int) -> float:
    """Lowest energy of ``sample(bqm, num_reads=reads, seed=...)`` repeated until ``budget``."""
    best, k, start = np.inf, 0, time.perf_counter()
    while k == 0 or time.perf_counter() - start < budget:
        ss = sample(bqm, num_reads=reads, seed=seed + k)
        best = min(best, float(ss.first.energy))
        k += 1
    return best


def solve_all(qubo: QUBO, seed: int) -> dict[str, tuple[float, float]]:
    """``{solver: (best energy, seconds)}`` on one QUBO, every solver within the default's time."""
    import dwave.samplers as ds

    from optuna_qnas.solvers._dimod import qubo_to_bqm

    out: dict[str, tuple[float, float]] = {}
    start = time.perf_counter()
    result = make_solver("simulated_annealing").solve(qubo, 16, seed)
    budget = time.perf_counter() - start
    out["annealing"] = (float(result.energies[0]), budget)
    bqm = qubo_to_bqm(qubo)
    for name, sampler, reads in (
        ("random", ds.RandomSampler(), 64),
        ("steepest", ds.SteepestDescentSampler(), 4),
    ):
        start = time.perf_counter()
        energy = _batched(sampler.sample, bqm, budget, reads, seed)
        out[name] = (energy, time.perf_counter() - start)
    start = time.perf_counter()
    timeout = max(1, int(round(1000 * budget / 4)))
    ss = ds.TabuSampler().sample(bqm, num_reads=4, timeout=timeout, seed=seed)
    out["tabu"] = (float(ss.first.energy), time.perf_counter() - start)
    try:
        from optuna_qnas.solvers import DecompositionSolver
    except (ImportError, AttributeError):
        DecompositionSolver = None
    if DecompositionSolver is not None:
        try:
            solver = DecompositionSolver(time_limit=budget)
        except TypeError:
            solver = DecompositionSolver()
        start = time.perf_counter()
        res = solver.solve(qubo, 1, seed)
        out["decomposition"] = (float(res.energies[0]), time.perf_counter() - start)
    reference = ds.SimulatedAnnealingSampler().sample(
        bqm, num_reads=64, num_sweeps=1000, seed=seed
    )
    out["reference"] = (float(reference.first.energy), float("nan"))
    return out


def table(rows: list[dict[str, Any]]) -> str:
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    solvers = [s for s in SOLVERS if any(s in r["energies"] for r in rows)]
    lines = [
        "| problem | bits | QUBOs | "
        + " | ".join(f"{s}: gap / best / ms" for s in solvers)
        + " |",
        "|---|---:|---:|" + "---:|" * len(solvers),
    ]
    for problem in problems:
        sub = [r for r in rows if r["problem"] == problem]
        cells = []
        for s in solvers:
            gaps, hits, ms = [], [], []
            for r in sub:
                best = min(e for e, _ in r["energies"].values())
                e, t = r["energies"][s]
                gaps.append(e - best)
                hits.append(e - best <= 1e-9 * max(1.0, abs(best)))
                ms.append(1000 * t)
            cells.append(f"{np.mean(gaps):.3f} / {np.mean(hits):.0%} / {np.mean(ms):.0f}")
        lines.append(f"| {problem} | {sub[0]['bits']} | {len(sub)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default=None, help="default: the large suite's problems")
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--record", default="30,59", help="trial numbers whose QUBOs are kept")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    record_at = {int(v) for v in args.record.split(",")}
    rows: list[dict[str, Any]] = []
    problems = args.problems.split(",") if args.problems else list(SUITES["large"].problems)
    for problem in problems:
        for seed in parse_seeds(args.seeds):
            for trial, qubo in collect(problem, seed, args.trials, record_at):
                energies = solve_all(qubo, seed)
                rows.append(
                    {
                        "problem": problem,
                        "seed": seed,
                        "trial": trial,
                        "bits": qubo.num_variables,
                        "energies": energies,
                    }
                )
            print(f"{problem} seed {seed}: {len(rows)} QUBOs so far", flush=True)
    text = table(rows)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    settings = {k: str(v) for k, v in vars(args).items()}
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    (args.out / "solver_ablation.json").write_text(
        json.dumps({"settings": settings, "machine": machine, "rows": rows}, indent=1)
    )
    (args.out / "solver_ablation.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
