"""The gate-model front samplers: Optuna's own sampler test cases, valid decoded proposals on a
NAS-Bench-201-like cell, defaults (binary encoding), solver pass-through and bad input."""

from __future__ import annotations

import numpy as np
import optuna
import pytest


pytest.importorskip("qiskit_optimization")
pytest.importorskip("qiskit_aer")

from optuna.testing.pytest_samplers import BasicSamplerTestCase
from optuna.testing.pytest_samplers import MultiObjectiveSamplerTestCase
from optuna.testing.pytest_samplers import RelativeSamplerTestCase

from optuna_qnas.samplers._gate import GroverSampler
from optuna_qnas.samplers._gate import QAOASampler
from optuna_qnas.samplers._gate import VQESampler


# Small circuits and few optimiser iterations keep Optuna's cases fast; the code path is the one
# the defaults take (exact Aer state vector, binary encoding, decomposition above max_qubits).
_FAST = {
    "qaoa": lambda: QAOASampler(seed=0, n_startup_trials=3, reps=1, maxiter=6, num_samples=4),
    "vqe": lambda: VQESampler(seed=0, n_startup_trials=3, maxiter=10, num_samples=4, max_qubits=8),
    "grover": lambda: GroverSampler(
        seed=0,
        n_startup_trials=3,
        num_value_qubits=5,
        num_iterations=1,
        max_qubits=10,
        num_samples=4,
    ),
}


class _QAOA:
    @pytest.fixture
    def sampler(self):  # type: ignore[no-untyped-def]
        return _FAST["qaoa"]


class _VQEAndGrover:
    @pytest.fixture(params=["vqe", "grover"])
    def sampler(self, request):  # type: ignore[no-untyped-def]
        return _FAST[request.param]


# QAOASampler runs every case of all three suites. VQE and Grover differ from it only in the
# solver behind the same QUBOSampler glue, so they run the relative (model-based) suite, which is
# where the solver is called.
class TestQAOABasic(_QAOA, BasicSamplerTestCase):
    pass


class TestQAOARelative(_QAOA, RelativeSamplerTestCase):
    pass


class TestQAOAMultiObjective(_QAOA, MultiObjectiveSamplerTestCase):
    pass


class TestVQEAndGroverRelative(_VQEAndGrover, RelativeSamplerTestCase):
    pass


# ----- behaviour on a NAS-Bench-201-like cell ---------------------------------------------------

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def _cell_objective(trial: optuna.Trial) -> float:
    """A NAS-Bench-201-shaped toy: 6 edges x 5 ops, op scores plus pairwise interactions."""
    rng = np.random.default_rng(0)
    unary = rng.normal(size=(6, 5))
    pair = rng.normal(scale=0.5, size=(6, 5, 6, 5))
    ops = [OPS.index(trial.suggest_categorical(f"Op{i}", OPS)) for i in range(6)]
    value = sum(unary[i, o] for i, o in enumerate(ops))
    value += sum(pair[i, ops[i], j, ops[j]] for i in range(6) for j in range(i + 1, 6))
    return float(value)


def test_qaoa_sampler_on_a_cell_proposes_valid_decoded_architectures() -> None:
    from optuna_qnas import QAOASampler as Exported

    assert Exported is QAOASampler  # lazily exported by the package
    sampler = QAOASampler(seed=1, n_startup_trials=6, maxiter=12)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_cell_objective, n_trials=10)
    assert len({tuple(t.params.values()) for t in study.trials}) == 10  # never repeats
    for t in study.trials:
        assert set(t.params) == {f"Op{i}" for i in range(6)}
        assert all(v in OPS for v in t.params.values())
    # Trial 0 has no relative search space yet (Optuna samples it independently), so no record.
    proposals = [t.system_attrs.get("qnas:proposal", {}) for t in study.trials]
    model_trials = [p for p in proposals if p.get("mode") == "model"]
    assert len(model_trials) == 4
    for info in model_trials:
        # Binary code: 6 x ceil(log2 5) = 18 qubits, above the default max_qubits of 14:
        # decomposed.
        assert info["solver"] == "qaoa" and info["num_variables"] == 18
        assert info["decomposed"] is True and info["max_qubits"] == 14
        assert info["circuit_evaluations"] > 0


def test_defaults_and_pass_through() -> None:
    from qiskit_aer.primitives import SamplerV2

    assert QAOASampler()._encoding == "binary"
    assert VQESampler()._encoding == "binary"
    assert GroverSampler()._encoding == "binary"
    assert QAOASampler(encoding="one_hot")._encoding == "one_hot"
    s = QAOASampler(primitive=SamplerV2(default_shots=256), reps=3, max_qubits=10)
    assert s.solver.backend.kind == "custom" and s.solver.reps == 3 and s.solver.max_qubits == 10
    assert VQESampler(reps=2).solver.reps == 2
    assert GroverSampler(num_value_qubits=7).solver.num_value_qubits == 7


def test_bad_sampler_arguments() -> None:
    with pytest.raises(ValueError, match="reps must be an integer >= 1"):
        QAOASampler(reps=0)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        VQESampler(optimizer="adam")
    with pytest.raises(ValueError, match="QUBOSampler\\(solver=...\\)"):
        QAOASampler(solver="simulated_annealing")
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        GroverSampler(shots=-1)
    with pytest.raises(ValueError, match="Unknown encoding|encoding"):
        QAOASampler(encoding="gray")
