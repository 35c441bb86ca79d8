"""CPU cost of the gate-model samplers: a 15-trial mixed study and NAS-Bench-201 proposals.

Two measurements, one process, single-threaded (``OMP_NUM_THREADS=1``), CPU seconds
(``time.process_time``, so the load of a shared machine does not count):

* ``mixed``: each gate sampler with its defaults (``QAOASampler``, ``VQESampler``,
  ``GroverSampler``) runs a 15-trial study on an eight-parameter mixed space (float, log float,
  stepped float, int, log int, stepped int, two categoricals); the CPU seconds of the whole study.
* ``nb201``: ``QAOASampler`` (defaults) on NAS-Bench-201 CIFAR-10, ``--nb201-trials`` trials;
  the CPU seconds of every model-based proposal (the trial's recorded ``sampler_seconds`` is
  wall time, so the proposal's CPU time is taken around ``sample_relative`` here): surrogate
  fit, the circuit's solve of the posterior mean, the annealed posterior draws and the ranking.

Usage::

    python benchmarks/gate_speed.py --seeds 0 1 2 --out results/gate_speed/gate_speed.json
    python benchmarks/gate_speed.py --samplers grover --skip-nb201
    python benchmarks/gate_speed.py --table results/gate_speed/gate_speed.json
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
import os
import statistics
import sys
import time
from typing import Any
import warnings


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import optuna


SAMPLERS = ("qaoa", "vqe", "grover")
#: The targets the defaults were chosen to meet on a 2-core CPU box.
MIXED_TARGET_SECONDS = 60.0
PROPOSAL_TARGET_SECONDS = 0.3


def make_sampler(name: str, seed: int, **kwargs: Any) -> optuna.samplers.BaseSampler:
    """The gate sampler ``name`` (``qaoa``, ``vqe``, ``grover``) with its defaults."""
    from optuna_qnas import GroverSampler
    from optuna_qnas import QAOASampler
    from optuna_qnas import VQESampler

    classes = {"qaoa": QAOASampler, "vqe": VQESampler, "grover": GroverSampler}
    if name not in classes:
        raise ValueError(f"Unknown sampler {name!r}; use one of {', '.join(SAMPLERS)}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return classes[name](seed=seed, **kwargs)


def mixed_objective(trial: optuna.Trial) -> float:
    """An ordinary eight-parameter mixed space with a smooth, deterministic objective."""
    import math

    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    layers = trial.suggest_int("layers", 1, 8)
    units = trial.suggest_int("units", 8, 1024, log=True)
    batch = trial.suggest_int("batch", 16, 256, step=16)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    opt = trial.suggest_categorical("opt", ["sgd", "adam", "rmsprop", "adagrad", "lamb"])

    value = (x - 1.3) ** 2 + (math.log10(lr) + 3.0) ** 2 + 4.0 * (dropout - 0.2) ** 2
    value += 0.3 * (layers - 4) ** 2 + (math.log2(units) - 7.0) ** 2 / 4.0
    value += ((batch - 96) / 64.0) ** 2
    value += {"relu": 0.0, "tanh": 0.6, "gelu": 0.2}[act]
    value += {"sgd": 0.8, "adam": 0.0, "rmsprop": 0.3, "adagrad": 1.0, "lamb": 0.4}[opt]
    return value


def _study(sampler: optuna.samplers.BaseSampler) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize", sampler=sampler)


def time_mixed(name: str, seed: int, trials: int, **kwargs: Any) -> dict[str, Any]:
    """CPU seconds of a ``trials``-trial mixed study with sampler ``name``."""
    sampler = make_sampler(name, seed, **kwargs)
    study = _study(sampler)
    start = time.process_time()
    wall = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(mixed_objective, n_trials=trials)
    cpu = time.process_time() - start
    diag = [t.system_attrs.get("qnas:proposal", {}) for t in study.trials]
    model = [d for d in diag if d.get("mode") == "model"]
    return {
        "sampler": name,
        "seed": seed,
        "trials": trials,
        "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(time.perf_counter() - wall, 3),
        "model_proposals": len(model),
        "circuit_evaluations": int(sum(int(d.get("circuit_evaluations", 0)) for d in model)),
        "best_value": float(study.best_value),
        "settings": {k: repr(v) for k, v in kwargs.items()},
    }


class _CPUTimed:
    """Wraps a sampler's ``sample_relative`` to record its CPU seconds per call."""

    def __init__(self, sampler: Any) -> None:
        self.sampler = sampler
        self.seconds: dict[int, float] = {}
        inner = sampler.sample_relative

        def timed(study: Any, trial: Any, space: Any) -> Any:
            start = time.process_time()
            out = inner(study, trial, space)
            self.seconds[trial.number] = time.process_time() - start
            return out

        sampler.sample_relative = timed


def time_nb201(
    name: str, seed: int, trials: int, problem: str = "nasbench201-cifar10", **kwargs: Any
) -> dict[str, Any]:
    """CPU seconds per model-based proposal of sampler ``name`` on a tabular NAS problem."""
    from optuna.study import StudyDirection

    from optuna_qnas.problems import get_problem

    prob = get_problem(problem)
    sampler = make_sampler(name, seed, **kwargs)
    timed = _CPUTimed(sampler)
    directions = [StudyDirection[d.upper()] for d in prob.directions]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=directions, sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(prob.make_objective(seed), n_trials=trials)
    per: list[float] = []
    evals: list[int] = []
    sources: dict[str, int] = {}
    for t in study.trials:
        d = t.system_attrs.get("qnas:proposal", {})
        if d.get("mode") != "model":
            continue
        per.append(timed.seconds.get(t.number, float("nan")))
        evals.append(int(d.get("circuit_evaluations", 0)))
        sources[str(d.get("source"))] = sources.get(str(d.get("source")), 0) + 1
    warm = per[1:] if len(per) > 1 else per  # the first solve of a study is a cold one
    return {
        "sampler": name,
        "problem": problem,
        "seed": seed,
        "trials": trials,
        "model_proposals": len(per),
        "proposal_cpu_mean": round(statistics.fmean(per), 4) if per else None,
        "proposal_cpu_median": round(statistics.median(per), 4) if per else None,
        "proposal_cpu_max": round(max(per), 4) if per else None,
        "proposal_cpu_mean_after_first": round(statistics.fmean(warm), 4) if warm else None,
        "circuit_evaluations_mean": round(statistics.fmean(evals), 2) if evals else None,
        "sources": sources,
        "best_observed": float(max(t.values[0] for t in study.trials if t.values)),
        "settings": {k: repr(v) for k, v in kwargs.items()},
    }


def table(results: dict[str, Any]) -> str:
    """Markdown tables of a results dict written by :func:`main`."""
    lines = [
        f"Machine: {results.get('machine', '?')}",
        "",
        f"**{results['mixed_trials']}-trial mixed study (8 parameters), CPU seconds** "
        f"(target < {MIXED_TARGET_SECONDS:g} s)",
        "",
        "| sampler | seed | CPU s | wall s | model proposals | circuit evaluations |",
        "|---|---|---|---|---|---|",
    ]
    for row in results.get("mixed", []):
        lines.append(
            f"| {row['sampler']} | {row['seed']} | {row['cpu_seconds']:.1f} | "
            f"{row['wall_seconds']:.1f} | {row['model_proposals']} | "
            f"{row['circuit_evaluations']} |"
        )
    if results.get("nb201"):
        lines += [
            "",
            f"**NAS-Bench-201 CIFAR-10, {results['nb201_trials']} trials: CPU seconds per "
            f"model-based proposal** (target <= {PROPOSAL_TARGET_SECONDS:g} s)",
            "",
            "| sampler | seed | mean | median | max | mean after the first | "
            "circuit evaluations |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in results["nb201"]:
            lines.append(
                f"| {row['sampler']} | {row['seed']} | {row['proposal_cpu_mean']:.3f} | "
                f"{row['proposal_cpu_median']:.3f} | {row['proposal_cpu_max']:.3f} | "
                f"{row['proposal_cpu_mean_after_first']:.3f} | "
                f"{row['circuit_evaluations_mean']:.1f} |"
            )
    return "\n".join(lines)


def _machine() -> str:
    import platform

    return f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samplers", default=",".join(SAMPLERS), help="comma-separated")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--mixed-trials", type=int, default=15)
    parser.add_argument("--nb201-trials", type=int, default=100)
    parser.add_argument(
        "--nb201-samplers", default="qaoa", help="samplers timed on NAS-Bench-201 (default qaoa)"
    )
    parser.add_argument("--skip-mixed", action="store_true")
    parser.add_argument("--skip-nb201", action="store_true")
    parser.add_argument("--out", help="JSON file for the results")
    parser.add_argument("--table", help="print the tables of an earlier JSON file and exit")
    args = parser.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(table(json.load(f)))
        return 0
    names = [s.strip() for s in args.samplers.split(",") if s.strip()]
    nb201_names = [s.strip() for s in args.nb201_samplers.split(",") if s.strip()]
    for name in names + nb201_names:
        if name not in SAMPLERS:
            parser.error(f"unknown sampler {name!r}; use {', '.join(SAMPLERS)}.")
    results: dict[str, Any] = {
        "machine": _machine(),
        "mixed_trials": args.mixed_trials,
        "nb201_trials": args.nb201_trials,
        "mixed": [],
        "nb201": [],
    }
    if not args.skip_mixed:
        for name in names:
            for seed in args.seeds:
                row = time_mixed(name, seed, args.mixed_trials)
                results["mixed"].append(row)
                print(f"mixed {name} seed {seed}: {row['cpu_seconds']:.1f} s CPU", flush=True)
    if not args.skip_nb201:
        for name in nb201_names:
            for seed in args.seeds:
                row = time_nb201(name, seed, args.nb201_trials)
                results["nb201"].append(row)
                print(
                    f"nb201 {name} seed {seed}: {row['proposal_cpu_mean']:.3f} s CPU per proposal",
                    flush=True,
                )
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
