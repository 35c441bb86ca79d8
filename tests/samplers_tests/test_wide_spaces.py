"""The default sampler on wide spaces: decomposition presets and a mock QPU on subproblems."""

from __future__ import annotations

import optuna
import pytest

from optuna_qnas import QuantumAnnealingSampler


N_PARAMS = 40  # 4 levels each, one-hot: 160 bits


def _objective(trial: optuna.Trial) -> float:
    levels = [trial.suggest_categorical(f"p{i:02d}", [0, 1, 2, 3]) for i in range(N_PARAMS)]
    return float(sum(levels) + 3 * (levels[0] == levels[1]))


def test_the_decomposition_preset_drives_a_wide_study() -> None:
    pytest.importorskip("hybrid")
    sampler = QuantumAnnealingSampler(seed=0, solver="decomposition", n_startup_trials=6)
    assert type(sampler.solver).__name__ == "DecompositionSolver"
    study = optuna.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=9)
    proposal = study.trials[-1].system_attrs["qnas:proposal"]
    assert proposal["mode"] == "model"
    assert proposal["decomposition_subproblems"] >= 1
    assert proposal["penalty_strength"] > 0


def test_a_mock_qpu_on_subproblems_records_its_embedding_on_the_trial() -> None:
    pytest.importorskip("hybrid")
    from dwave.system import EmbeddingComposite
    from dwave.system.testing import MockDWaveSampler

    from optuna_qnas.solvers import DecompositionSolver
    from optuna_qnas.solvers import DimodSolver

    qpu = DimodSolver(EmbeddingComposite(MockDWaveSampler()), num_reads=10)
    solver = DecompositionSolver(qpu, subproblem_size=16, max_iterations=2, convergence=2)
    study = optuna.create_study(
        sampler=QuantumAnnealingSampler(seed=0, solver=solver, n_startup_trials=6)
    )
    study.optimize(_objective, n_trials=7)
    proposal = study.trials[-1].system_attrs["qnas:proposal"]
    assert proposal["mode"] == "model"
    assert proposal["max_chain_length"] >= proposal["mean_chain_length"] >= 1.0
    assert proposal["num_physical_qubits_max"] >= 16
    # Every trial of the study finished: a QPU on subproblems proposes real configurations.
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
