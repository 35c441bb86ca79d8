"""The digits NAS study of lightning_digits_annealing.py, unchanged, with Optuna's samplers.

The objective and the search space are the same; only the sampler differs: TPE (the bar to
beat), and CMA-ES on the ordinal (integer) view of the same space, which CMA-ES can move
through (on categoricals it falls back to random sampling).

    python examples/lightning_digits_tpe.py --quick
    python examples/lightning_digits_tpe.py
"""

from __future__ import annotations

import argparse
import os
import time

import optuna

from optuna_qnas.problems._lightning_tasks import format_summary_table
from optuna_qnas.problems._lightning_tasks import make_digits_objective
from optuna_qnas.problems._lightning_tasks import study_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run for CI")
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", choices=["cell", "mlp"], default="cell")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    n_trials = args.trials or (4 if args.quick else 30)
    startup = 2 if args.quick else 10
    runs: dict[str, tuple[optuna.samplers.BaseSampler, bool]] = {
        "tpe": (optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=startup), False)
    }
    if not args.quick:
        cmaes = optuna.samplers.CmaEsSampler(
            seed=args.seed, n_startup_trials=startup, warn_independent_sampling=False
        )
        runs["cmaes (ordinal view)"] = (cmaes, True)

    rows = []
    for name, (sampler, ordinal) in runs.items():
        objective = make_digits_objective(
            args.seed, quick=args.quick, model=args.model, ordinal=ordinal
        )
        study = optuna.create_study(
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
