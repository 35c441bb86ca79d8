"""Example for the OptunaHub package samplers/quantum_annealing.

Published, the package loads with ``optunahub.load_module("samplers/quantum_annealing")``;
from a checkout of optuna-qnas this script loads the same files with ``load_local_module``.
"""

from __future__ import annotations

import os

import optuna
import optunahub


def objective(trial: optuna.Trial) -> float:
    # A small NAS-like space: three categorical choices and an integer.
    op = trial.suggest_categorical("op", ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"])
    width = trial.suggest_categorical("width", [8, 16, 32, 64])
    act = trial.suggest_categorical("activation", ["relu", "gelu", "tanh"])
    depth = trial.suggest_int("depth", 1, 4)
    score = {"none": 0.0, "skip_connect": 0.5, "nor_conv_1x1": 0.8, "nor_conv_3x3": 1.0}[op]
    score += {8: 0.1, 16: 0.3, 32: 0.5, 64: 0.4}[width] + {"relu": 0.2, "gelu": 0.3, "tanh": 0.0}[
        act
    ]
    return score - 0.1 * abs(depth - 3)


if __name__ == "__main__":
    registry_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    module = optunahub.load_local_module(
        package="samplers/quantum_annealing", registry_root=registry_root
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = module.QuantumAnnealingSampler(seed=0, n_startup_trials=4)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=12)
    print(f"best value {study.best_value:.2f} with {study.best_params}")
