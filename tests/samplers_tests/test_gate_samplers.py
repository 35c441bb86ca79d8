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

from optuna_qnas import QUBOSampler
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
        # One-hot categoricals: 6 x 5 = 30 bits, above the default max_qubits of 10: decomposed.
        # The recorded solve is the posterior mean's last: the circuit's, or annealing's when
        # the circuit's samples were mostly invalid codes and the penalty was raised.
        if info["solver"] == "qaoa":
            assert info["decomposed"] is True and info["max_qubits"] == 10
            assert info["circuit_evaluations"] > 0
            assert info["num_variables"] == 30
    assert any(info["solver"] == "qaoa" for info in model_trials)


def test_defaults_and_pass_through() -> None:
    from qiskit_aer.primitives import SamplerV2

    from optuna_qnas.samplers._gate import auto_encoding

    assert QAOASampler()._auto_encoding and VQESampler()._auto_encoding
    assert GroverSampler()._auto_encoding
    assert not QAOASampler(encoding="binary")._auto_encoding
    assert QAOASampler(encoding="one_hot")._encoding == "one_hot"
    space = {
        "op": optuna.distributions.CategoricalDistribution(OPS),
        "lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
        "depth": optuna.distributions.IntDistribution(1, 8),
    }
    assert auto_encoding(space) == {"lr": "binary", "depth": "binary"}
    s = QAOASampler(primitive=SamplerV2(default_shots=256), reps=3, max_qubits=10)
    assert s.solver.backend.kind == "custom" and s.solver.reps == 3 and s.solver.max_qubits == 10
    assert VQESampler(reps=2).solver.reps == 2
    assert GroverSampler(num_value_qubits=7).solver.num_value_qubits == 7
    # The annealing sampler's pool: the mean on the circuit, two draws on simulated annealing.
    default = QAOASampler()
    assert default.pool.n_draws == 2
    assert type(default.draw_solver).__name__ == "DimodSolver"
    assert QAOASampler(draw_solver="circuit").draw_solver is None
    grover = GroverSampler().solver
    assert (grover.num_value_qubits, grover.max_qubits, grover.max_rounds) == (6, 14, 2)


class _CountingSolver:
    """Simulated annealing that counts the QUBOs it is given."""

    def __init__(self) -> None:
        from optuna_qnas.solvers import make_solver

        self.inner = make_solver("simulated_annealing", num_reads=8)
        self.calls = 0

    def solve(self, qubo, num_samples, seed=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.inner.solve(qubo, num_samples, seed)


def test_circuit_solves_the_mean_and_annealing_the_draws() -> None:
    draws = _CountingSolver()
    sampler = QAOASampler(
        seed=0,
        n_startup_trials=3,
        reps=1,
        maxiter=6,
        num_samples=4,
        draw_solver=draws,
        encoding="binary",
    )
    study = optuna.create_study(sampler=sampler)
    study.optimize(_cell_objective, n_trials=6)
    proposals = [t.system_attrs.get("qnas:proposal", {}) for t in study.trials]
    model = [p for p in proposals if p.get("mode") == "model"]
    assert len(model) == 3
    # Binary encoding, no penalty: one solve per QUBO, the mean on QAOA, two draws annealed.
    assert draws.calls == 2 * len(model)
    assert all(p["solver"] == "qaoa" and p["circuit_evaluations"] > 0 for p in model)


def test_the_mean_and_its_penalty_retries_run_on_the_circuit_up_to_the_cap() -> None:
    import pickle

    from optuna_qnas._qubo import QUBO
    from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression

    class Pulling(BayesianQuadraticRegression):
        """The regression's mean with every bit pulled on: one-hot codes break until the
        penalty has doubled a few times, so the mean is solved again within a proposal."""

        def mean_qubo(self) -> QUBO:
            q = super().mean_qubo()
            n = q.num_variables
            return q + QUBO(np.full(n, -10.0), np.zeros((n, n)), 0.0)

    # Counting solvers in both roles show where each solve went.
    def run(cap: int | None) -> tuple[int, int, int]:
        mean, draws = _CountingSolver(), _CountingSolver()
        sampler = QUBOSampler(
            seed=0, n_startup_trials=3, solver=mean, draw_solver=draws, surrogate=Pulling
        )
        sampler._max_mean_solves = cap
        study = optuna.create_study(sampler=sampler)
        study.optimize(_cell_objective, n_trials=8)
        proposals = [t.system_attrs.get("qnas:proposal", {}) for t in study.trials]
        return mean.calls, draws.calls, sum(p.get("mode") == "model" for p in proposals)

    free_mean, free_draws, n_model = run(None)
    assert n_model == 5
    assert free_mean > n_model and free_draws >= 2 * n_model  # the mean was retried
    capped_mean, capped_draws, _ = run(1)
    assert capped_mean == n_model  # one solve of the mean per proposal on the expensive solver
    # Same seeds, so the same schedule: the retries the cap moved went to the draw solver.
    assert capped_mean + capped_draws == free_mean + free_draws
    assert GroverSampler._max_mean_solves == 2 and QAOASampler._max_mean_solves is None
    # Without a draw solver every solve is the solver's, whatever the cap.
    only = _CountingSolver()
    sampler = QUBOSampler(seed=0, n_startup_trials=3, solver=only)
    sampler._max_mean_solves = 1
    optuna.create_study(sampler=sampler).optimize(_cell_objective, n_trials=6)
    assert only.calls >= 3 * 3
    # The sampler pickles with both solvers (no per-thread state to drop).
    copy = pickle.loads(pickle.dumps(QAOASampler(reps=1)))
    assert copy.solver.reps == 1 and type(copy.draw_solver).__name__ == "DimodSolver"


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
    with pytest.raises(ValueError, match="draw_solver must be a preset name"):
        VQESampler(draw_solver=3)
