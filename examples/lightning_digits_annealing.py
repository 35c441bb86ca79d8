"""Lightning NAS on scikit-learn's digits with the quantum annealing sampler.

Each trial suggests a NAS-Bench-201-style cell (6 edges x 5 operations; or an MLP with
``--model mlp``), builds the network, trains it with a real Lightning Trainer on CPU with the
pruning and model-cost callbacks, and returns the validation accuracy. The costs (parameters,
FLOPs, batch-1 latency, peak memory) are recorded on each trial.

    python examples/lightning_digits_annealing.py --quick     # CI: a few trials, seconds
    python examples/lightning_digits_annealing.py             # full: 30 trials, + TPE, random

Full mode runs the same study with TPE and random search too and prints one table.
"""

from __future__ import annotations

import argparse
import os
import time

import optuna

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.problems._lightning_tasks import format_summary_table
from optuna_qnas.problems._lightning_tasks import make_digits_objective
from optuna_qnas.problems._lightning_tasks import study_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run for CI")
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", choices=["cell", "mlp"], default="cell")
    parser.add_argument("--storage", default=None, help="e.g. sqlite:///digits.db")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    n_trials = args.trials or (4 if args.quick else 30)
    startup = 2 if args.quick else 10
    samplers: dict[str, optuna.samplers.BaseSampler] = {
        "quantum-annealing": QuantumAnnealingSampler(seed=args.seed, n_startup_trials=startup)
    }
    if not args.quick:
        samplers["tpe"] = optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=startup)
        samplers["random"] = optuna.samplers.RandomSampler(seed=args.seed)

    objective = make_digits_objective(args.seed, quick=args.quick, model=args.model)
    rows = []
    for name, sampler in samplers.items():
        study = optuna.create_study(
            study_name=f"digits-{args.model}-{name}-{args.seed}",
            storage=args.storage,
            load_if_exists=True,
            direction="maximize",
            sampler=sampler,
            pruner=optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=1),
        )
        t0 = time.perf_counter()
        study.optimize(objective, n_trials=n_trials)
        print(f"{name}: {n_trials} trials in {time.perf_counter() - t0:.1f} s")
        rows.append(study_summary(name, study))
    print(
        f"\nDigits NAS ({args.model}, {'quick' if args.quick else 'full'} mode, seed {args.seed})"
    )
    print(format_summary_table(rows))


if __name__ == "__main__":
    main()
