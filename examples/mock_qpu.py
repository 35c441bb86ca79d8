"""The QPU code path, offline: the same sampler with a D-Wave QPU test double.

``MockDWaveSampler`` has a real Pegasus topology, so the QUBO goes through real minor-embedding
and chains (its inner solver is a classical steepest descent: this exercises the interface and
the embedding, not quantum solution quality). With a Leap token, replace the mock by
``DWaveSampler()`` — or just pass ``solver="qpu"`` — and nothing else changes.

    python examples/mock_qpu.py [--quick]
"""

from __future__ import annotations

import argparse

from dwave.system import EmbeddingComposite
from dwave.system.testing import MockDWaveSampler
import optuna

from optuna_qnas import QuantumAnnealingSampler


def objective(trial: optuna.Trial) -> float:
    depth = trial.suggest_int("depth", 1, 4)
    act = trial.suggest_categorical("activation", ["relu", "gelu", "tanh"])
    width = trial.suggest_categorical("width", [16, 32, 64, 128])
    # A made-up cost with an interaction: wide shallow nets like relu, deep ones gelu.
    score = abs(depth - 3) + (0.5 if act == "tanh" else 0.0) + abs(width - 64) / 64
    score += 0.7 * ((act == "relu") and depth > 2)
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="7 trials instead of 25 (CI)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    qpu = EmbeddingComposite(MockDWaveSampler(topology_type="pegasus", topology_shape=[6]))
    sampler = QuantumAnnealingSampler(solver=qpu, num_reads=20, seed=0, n_startup_trials=4)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=7 if args.quick else 25)
    print("best params:", study.best_params, "value:", round(study.best_value, 3))
    for t in study.trials:
        info = t.system_attrs.get("qnas:proposal", {})
        if info.get("mode") == "model":
            print(
                f"trial {t.number}: {info['num_physical_qubits']} physical qubits, "
                f"max chain {info['max_chain_length']}, "
                f"chain-break fraction {info['chain_break_fraction_mean']:.3f}, "
                f"solve {info['solve_seconds'] * 1e3:.0f} ms"
            )


if __name__ == "__main__":
    main()
