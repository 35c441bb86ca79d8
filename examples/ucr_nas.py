"""Time-series NAS: a 1-D CNN / TCN on a UCR dataset bundled with aeon (no download).

    python examples/ucr_nas.py --quick                          # ItalyPowerDemand, 3 trials
    python examples/ucr_nas.py --dataset GunPoint               # full: 25 trials x 3 samplers
    python examples/ucr_nas.py --dataset Coffee --extract-path ~/UCRArchive   # your archive

Trains on the official TRAIN split and reports accuracy on the official TEST split.
"""

from __future__ import annotations

import argparse
import os
import time

import optuna

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.problems._lightning_tasks import bundled_ucr_datasets
from optuna_qnas.problems._lightning_tasks import format_summary_table
from optuna_qnas.problems._lightning_tasks import make_ucr_objective
from optuna_qnas.problems._lightning_tasks import study_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run for CI")
    parser.add_argument("--dataset", default="ItalyPowerDemand")
    parser.add_argument("--extract-path", default=None)
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.extract_path is None:
        print(f"bundled UCR/UEA classification datasets: {', '.join(bundled_ucr_datasets())}")

    n_trials = args.trials or (3 if args.quick else 25)
    startup = 2 if args.quick else 8
    samplers: dict[str, optuna.samplers.BaseSampler] = {
        "quantum-annealing": QuantumAnnealingSampler(seed=args.seed, n_startup_trials=startup)
    }
    if not args.quick:
        samplers["tpe"] = optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=startup)
        samplers["random"] = optuna.samplers.RandomSampler(seed=args.seed)

    objective = make_ucr_objective(
        args.seed, dataset=args.dataset, quick=args.quick, extract_path=args.extract_path
    )
    rows = []
    for name, sampler in samplers.items():
        study = optuna.create_study(direction="maximize", sampler=sampler)
        t0 = time.perf_counter()
        study.optimize(objective, n_trials=n_trials)
        print(f"{name}: {n_trials} trials in {time.perf_counter() - t0:.1f} s")
        rows.append(study_summary(name, study))
    print(
        f"\nUCR NAS on {args.dataset} ({'quick' if args.quick else 'full'} mode, seed {args.seed})"
    )
    print(format_summary_table(rows))


if __name__ == "__main__":
    main()
