"""Gate solvers and samplers pickle on every local backend, before and after use, and an unpickled
sampler continues a seeded study exactly as the original would have (Optuna's way to resume a
seeded study is to pickle its sampler)."""

from __future__ import annotations

from collections.abc import Callable
import pickle
import shutil
from typing import Any

import numpy as np
import optuna
import pytest


pytest.importorskip("qiskit_optimization")
pytest.importorskip("qiskit_aer")
pytest.importorskip("qiskit_ibm_runtime")

from random_qubos import random_qubo

from optuna_qnas import QAOASampler
from optuna_qnas import VQESampler
from optuna_qnas.solvers._qiskit import GroverSolver
from optuna_qnas.solvers._qiskit import QAOASolver
from optuna_qnas.solvers._qiskit import VQESolver


def fake_manila() -> Any:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    return FakeManilaV2()


# Every backend that runs without credentials ("ibm" needs an IBM Quantum account); a BackendV2
# object takes the IBM runtime path, run locally on Aer for a fake device.
BACKENDS: list[tuple[str, Callable[[], Any]]] = [
    ("statevector", lambda: "statevector"),
    ("shots", lambda: "shots"),
    ("mps", lambda: "mps"),
    ("noisy", lambda: "noisy"),
    ("noisy:FakeBelemV2", lambda: "noisy:FakeBelemV2"),
    ("FakeManilaV2()", fake_manila),
]
# Measured here (2 busy shared cores, two 8-trial studies and a ninth trial each): QAOA 2 s on the
# noise-free kinds, 8-10 s noisy, 21 s on the runtime path (a noisy simulator per job); VQE
# 1-2 s noise-free, 12-15 s noisy, 36 s on the runtime path.
SLOW = {
    ("qaoa", "FakeManilaV2()"),
    ("vqe", "FakeManilaV2()"),
    ("vqe", "noisy"),
    ("vqe", "noisy:FakeBelemV2"),
}

# Timings differ from run to run; everything else a proposal records must not.
TIMING_KEYS = {
    "seconds",
    "solve_seconds",
    "solve_cpu_seconds",
    "sampler_seconds",
    "proposal_solve_seconds",
}


def objective(trial: optuna.Trial) -> float:
    a = trial.suggest_categorical("a", ["w", "x", "y", "z"])
    b = trial.suggest_categorical("b", [1, 2, 3, 4])
    return {"w": 0.3, "x": 1.0, "y": -0.5, "z": 0.1}[a] + 0.2 * (b - 2.6) ** 2


def make_sampler(kind: str, backend: Any) -> QAOASampler | VQESampler:
    # 4 + 4 choices are 4 qubits in the binary encoding; few optimiser steps and shots.
    common: dict[str, Any] = dict(backend=backend, seed=3, n_startup_trials=2, shots=64)
    if kind == "qaoa":
        return QAOASampler(reps=1, maxiter=4, **common)
    return VQESampler(reps=1, maxiter=10, **common)


def proposal(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    record = dict(trial.system_attrs.get("qnas:proposal", {}))
    return {k: v for k, v in record.items() if k not in TIMING_KEYS}


def history(study: optuna.Study) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(t.params, proposal(t)) for t in study.trials]


def ask_next(study: optuna.Study) -> tuple[dict[str, Any], dict[str, Any]]:
    trial = study.ask()
    study.tell(trial, objective(trial))
    frozen = study.trials[-1]
    return frozen.params, proposal(frozen)


def sqlite(path: Any) -> str:
    return f"sqlite:///{path}"


def _cases() -> list[Any]:
    cases = []
    for kind in ("qaoa", "vqe"):
        for name, make in BACKENDS:
            marks = [pytest.mark.slow] if (kind, name) in SLOW else []
            cases.append(pytest.param(kind, make, id=f"{kind}-{name}", marks=marks))
    return cases


@pytest.mark.parametrize("kind, make_backend", _cases())
def test_sampler_pickled_before_and_after_use_continues_the_study_exactly(
    kind: str, make_backend: Callable[[], Any], tmp_path: Any
) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = make_sampler(kind, make_backend())

    # Before use: the copy runs the same 8 trials as the original, proposal for proposal.
    copy = pickle.loads(pickle.dumps(sampler))
    original = optuna.create_study(sampler=sampler, storage=sqlite(tmp_path / "a.db"))
    original.optimize(objective, n_trials=8)
    twin = optuna.create_study(sampler=copy, storage=sqlite(tmp_path / "b.db"))
    twin.optimize(objective, n_trials=8)
    assert history(twin) == history(original)
    model_proposals = [p for _, p in history(original) if p.get("mode") == "model"]
    assert len(model_proposals) == 6  # 2 startup trials, then a circuit solve per trial
    assert all("optimal_point" in p for p in model_proposals)

    # After use: same storage (a copy of the database file) and the unpickled sampler propose
    # exactly the original's ninth trial, warm-started angles and sampler seeds included.
    shutil.copy(tmp_path / "a.db", tmp_path / "c.db")
    blob = pickle.dumps(sampler)
    expected = ask_next(original)
    resumed = optuna.load_study(
        study_name=original.study_name,
        storage=sqlite(tmp_path / "c.db"),
        sampler=pickle.loads(blob),
    )
    assert ask_next(resumed) == expected
    assert expected[1]["mode"] == "model" and expected[1]["warm_started"] is True


def _backend_params(slow: set[str]) -> list[Any]:
    return [
        pytest.param(name, make, id=name, marks=[pytest.mark.slow] if name in slow else [])
        for name, make in BACKENDS
    ]


@pytest.mark.parametrize("name, make_backend", _backend_params({"FakeManilaV2()"}))
@pytest.mark.parametrize("solver_cls", [QAOASolver, VQESolver], ids=["qaoa", "vqe"])
def test_solver_pickled_after_use_solves_exactly_like_the_original(
    solver_cls: type, name: str, make_backend: Callable[[], Any]
) -> None:
    solver = solver_cls(backend=make_backend(), reps=1, maxiter=4, shots=64)
    first, second = random_qubo(3, 1), random_qubo(3, 2)
    solver.solve(first, 4, seed=1)
    copy = pickle.loads(pickle.dumps(solver))
    np.testing.assert_array_equal(copy._warm_point, solver._warm_point)
    want = solver.solve(second, 4, seed=2)
    got = copy.solve(second, 4, seed=2)
    np.testing.assert_array_equal(got.samples, want.samples)
    assert got.info["optimal_point"] == want.info["optimal_point"]
    assert got.info["warm_started"] is True  # the warm-start angles travelled with the pickle


@pytest.mark.parametrize("name, make_backend", _backend_params(set()))
def test_pickles_hold_no_qiskit_runtime_objects(
    name: str, make_backend: Callable[[], Any]
) -> None:
    solver = QAOASolver(backend=make_backend(), reps=1, maxiter=4, shots=64)
    solver.solve(random_qubo(3, 1), 4, seed=1)
    backend = solver.backend
    if name != "statevector":
        assert backend.sampler is not None
    if name.startswith("noisy") or name.endswith("()"):
        assert backend.pass_manager is not None
        # A preset pass manager itself does not pickle (it holds lambdas).
        with pytest.raises((AttributeError, pickle.PicklingError)):
            pickle.dumps(backend.pass_manager)
    blob = pickle.dumps(solver)
    # The device travels by name, or as the small fake-device object the user passed; never the
    # noise model (400 kB for FakeManilaV2, 6.4 MB for FakeBrisbane).
    assert len(blob) < 50_000, len(blob)
    restored = pickle.loads(blob)
    assert restored.backend._cache == {}  # rebuilt on first use, not when unpickled
    assert restored.backend.name == backend.name
    assert restored.max_qubits == solver.max_qubits


def test_construction_builds_no_pass_manager() -> None:
    solver = QAOASolver(backend="noisy:FakeBelemV2")
    assert solver.backend._cache == {}
    assert solver.max_qubits == 5  # the device is known without building anything


def test_grover_solver_pickles_and_continues() -> None:
    solver = GroverSolver(num_value_qubits=4, num_iterations=2)
    qubo = random_qubo(3, 4)
    copy = pickle.loads(pickle.dumps(solver))
    a, b = solver.solve(qubo, 4, seed=0), copy.solve(qubo, 4, seed=0)
    np.testing.assert_array_equal(a.samples, b.samples)


def test_unpicklable_user_pass_manager_is_a_clear_error() -> None:
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2

    pm = generate_preset_pass_manager(optimization_level=1, backend=AerSimulator())
    solver = QAOASolver(sampler=SamplerV2(default_shots=64, seed=1), pass_manager=pm)
    with pytest.raises(TypeError, match="the pass_manager you passed .* cannot be pickled"):
        pickle.dumps(solver)
    # A picklable user primitive without a pass manager pickles.
    plain = QAOASolver(sampler=SamplerV2(default_shots=64, seed=1))
    assert pickle.loads(pickle.dumps(plain)).backend.kind == "custom"


def test_unpicklable_user_algorithm_is_a_clear_error() -> None:
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2
    from qiskit_optimization.minimum_eigensolvers import QAOA
    from qiskit_optimization.optimizers import COBYLA

    pm = generate_preset_pass_manager(optimization_level=1, backend=AerSimulator())
    qaoa = QAOA(SamplerV2(default_shots=64, seed=1), COBYLA(maxiter=5), pass_manager=pm)
    with pytest.raises(TypeError, match=r"the algorithm \(qaoa= / vqe=\) you passed"):
        pickle.dumps(QAOASampler(qaoa=qaoa, seed=0))
