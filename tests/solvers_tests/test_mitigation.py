"""Readout-error mitigation (mthree) on noisy simulated backends, and the GPU option of the Aer
simulators: calibration caching, mitigated counts against the noiseless distribution, pickling,
input errors, and the message where Aer has no GPU."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import optuna
import pytest


pytest.importorskip("qiskit_optimization")
pytest.importorskip("qiskit_aer")
pytest.importorskip("qiskit_ibm_runtime")
pytest.importorskip("mthree")

from random_qubos import random_qubo

from optuna_qnas import GroverSampler
from optuna_qnas import QAOASampler
from optuna_qnas import VQESampler
from optuna_qnas.solvers._qiskit import GroverSolver
from optuna_qnas.solvers._qiskit import QAOASolver
from optuna_qnas.solvers._qiskit import VQESolver
from optuna_qnas.solvers._qiskit_backends import gpu_available


def total_variation(
    bits_a: np.ndarray, probs_a: np.ndarray, bits_b: np.ndarray, probs_b: np.ndarray
) -> float:
    a = {tuple(b): float(p) for b, p in zip(bits_a.tolist(), probs_a)}
    b = {tuple(x): float(p) for x, p in zip(bits_b.tolist(), probs_b)}
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


# ----- the calibration is built once and reused -------------------------------------------------


def test_calibration_is_built_once_for_repeated_solves() -> None:
    qubo = random_qubo(4, 0, offset=False)
    solver = QAOASolver(reps=1, maxiter=4, backend="noisy", shots=256, mitigation="mthree")
    first = solver.solve(qubo, 4, seed=5)
    mitigator = solver.backend.mitigator
    assert first.info["mitigation"] == "mthree"
    assert mitigator.calibrations_built == 1
    (qubits,) = mitigator._calibrations
    calibration = mitigator.calibration(qubits)
    for _ in range(2):  # same seed: same layout, same qubits
        solver.solve(random_qubo(4, 1, offset=False), 4, seed=5)
    assert solver.backend.mitigator is mitigator
    assert mitigator.calibrations_built == 1
    assert mitigator.calibration(qubits) is calibration
    # Other seeds may route onto other qubits: one calibration per distinct set, never more.
    for seed in range(4):
        solver.solve(qubo, 4, seed=seed)
    assert mitigator.calibrations_built == len(mitigator._calibrations) <= 5


def test_a_seeded_mitigated_solve_is_reproducible_in_a_fresh_solver() -> None:
    # The calibration is seeded, so a fresh solver (with a fresh calibration) repeats a solve.
    qubo = random_qubo(4, 2, offset=False)
    kwargs: dict[str, Any] = dict(
        reps=1, maxiter=5, backend="noisy", shots=256, mitigation="mthree", warm_start=False
    )
    a = QAOASolver(**kwargs).solve(qubo, 4, seed=3)
    b = QAOASolver(**kwargs).solve(qubo, 4, seed=3)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.info["objective"] == b.info["objective"]
    raw = QAOASolver(**{**kwargs, "mitigation": None}).solve(qubo, 4, seed=3)
    assert raw.info["objective"] != a.info["objective"]  # the optimiser saw mitigated values


# ----- mitigated counts are closer to the noiseless distribution ---------------------------------


def test_mitigated_counts_are_closer_to_the_noiseless_distribution() -> None:
    # A 4-qubit QAOA state at fixed angles on FakeManilaV2's noise, 4,000 shots. Measured: total
    # variation distance to the exact distribution 0.11-0.13 raw, 0.06-0.07 mitigated (ratio
    # 0.58-0.64 over seeds 0-3); gate errors remain, so the margin asked for is a ratio of 0.8.
    qubo = random_qubo(4, 3, offset=False)
    point = [0.8, 0.4]
    exact_bits, exact_probs = QAOASolver(reps=1).distribution(qubo, point)
    raw = QAOASolver(reps=1, backend="noisy", shots=4000)
    mitigated = QAOASolver(reps=1, backend="noisy", shots=4000, mitigation="mthree")
    for seed in range(3):
        raw_bits, raw_probs = raw.distribution(qubo, point, seed=seed)
        mit_bits, mit_probs = mitigated.distribution(qubo, point, seed=seed)
        assert np.all(mit_probs >= 0) and np.isclose(mit_probs.sum(), 1.0)
        d_raw = total_variation(exact_bits, exact_probs, raw_bits, raw_probs)
        d_mit = total_variation(exact_bits, exact_probs, mit_bits, mit_probs)
        assert d_mit < 0.8 * d_raw, (seed, d_raw, d_mit)


def test_mitigation_on_a_fake_backend_object() -> None:
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    solver = QAOASolver(reps=1, backend=FakeManilaV2(), shots=512, mitigation="mthree")
    bits, probs = solver.distribution(random_qubo(3, 4, offset=False), [0.8, 0.4], seed=0)
    assert solver.backend.kind == "ibm" and solver.backend.mitigator.calibrations_built == 1
    assert bits.shape[1] == 3 and np.isclose(probs.sum(), 1.0) and np.all(probs >= 0)


# ----- pickling ---------------------------------------------------------------------------------


def objective(trial: optuna.Trial) -> float:
    a = trial.suggest_categorical("a", ["w", "x", "y", "z"])
    b = trial.suggest_categorical("b", [1, 2, 3, 4])
    return {"w": 0.3, "x": 1.0, "y": -0.5, "z": 0.1}[a] + 0.2 * (b - 2.6) ** 2


def proposals(study: optuna.Study) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    timing = {
        "seconds",
        "solve_seconds",
        "solve_cpu_seconds",
        "sampler_seconds",
        "proposal_solve_seconds",
    }
    out = []
    for t in study.trials:
        record = dict(t.system_attrs.get("qnas:proposal", {}))
        out.append((t.params, {k: v for k, v in record.items() if k not in timing}))
    return out


def test_sampler_with_mitigation_pickles_before_and_after_use() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    options: dict[str, Any] = dict(backend="noisy", shots=64, mitigation="mthree")
    sampler = QAOASampler(reps=1, maxiter=4, seed=3, n_startup_trials=2, **options)
    before = pickle.dumps(sampler)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=4)
    assert any(
        t.system_attrs.get("qnas:proposal", {}).get("mitigation") == "mthree" for t in study.trials
    )
    after = pickle.dumps(sampler)
    # No calibration, simulator or noise model travels: the pickle stays small either way.
    for blob in (before, after):
        assert b"M3Mitigation" not in blob and b"NoiseModel" not in blob
        assert len(blob) < 50_000
    # The copy made after use rebuilds the calibration on first use and proposes what the
    # original proposes next.
    copy = pickle.loads(after)
    twin = optuna.create_study(sampler=copy)
    for t in study.trials:
        twin.add_trial(t)
    study.optimize(objective, n_trials=2)
    twin.optimize(objective, n_trials=2)
    assert proposals(twin)[-2:] == proposals(study)[-2:]
    # The copy made before use runs the same study as the original did.
    fresh = optuna.create_study(sampler=pickle.loads(before))
    fresh.optimize(objective, n_trials=4)
    assert proposals(fresh) == proposals(study)[:4]


# ----- input errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mitigation="m3"), "mitigation must be None or one of 'mthree'"),
        (dict(mitigation=True), "mitigation must be None or one of 'mthree'"),
        (dict(mitigation="mthree"), "only noisy backends have.*backend='noisy'"),
        (dict(mitigation="mthree", backend="shots"), "'shots' backend samples without noise"),
        (dict(mitigation="mthree", backend="mps"), "'mps' backend samples without noise"),
        (dict(mitigation="mthree", backend="ibm"), "only available on simulated noisy.*twirling"),
        (
            dict(mitigation="mthree", backend="noisy", engine="qiskit_optimization"),
            "engine='aer' or mitigation=None",
        ),
        (dict(device="TPU"), "device must be one of 'CPU', 'GPU'"),
        (dict(device="GPU", backend="mps"), "matrix-product-state method runs on the CPU only"),
    ],
)
def test_bad_mitigation_and_device_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        QAOASolver(**kwargs)


def test_mitigation_with_a_user_sampler_is_refused() -> None:
    from qiskit_aer.primitives import SamplerV2

    with pytest.raises(ValueError, match="a sampler you pass is used as it is"):
        VQESolver(sampler=SamplerV2(), mitigation="mthree")


def test_samplers_pass_the_options_through() -> None:
    with pytest.raises(ValueError, match="only noisy backends have"):
        QAOASampler(mitigation="mthree")
    with pytest.raises(ValueError, match="only noisy backends have"):
        VQESampler(backend="shots", mitigation="mthree")
    with pytest.raises(ValueError, match="device must be one of"):
        GroverSampler(device="cuda")
    sampler = VQESampler(backend="noisy", mitigation="MThree", device="cpu")
    assert sampler._solver.backend.mitigation == "mthree"
    assert sampler._solver.backend.aer_device == "CPU"
    with pytest.raises(ValueError, match="extrapolates away gate noise"):
        QAOASampler(mitigation="zne")
    zne = QAOASampler(backend="noisy", mitigation="zne:1,2,3:richardson")._solver.backend
    assert zne.mitigation == "zne" and zne.zne.scale_factors == (1.0, 2.0, 3.0)
    assert zne.mitigator is None  # no readout calibration without "mthree"


# ----- GPU --------------------------------------------------------------------------------------

HAS_GPU = gpu_available()


@pytest.mark.skipif(HAS_GPU, reason="this qiskit-aer has a GPU, so device='GPU' raises no error")
@pytest.mark.parametrize(
    "make",
    [
        lambda: QAOASolver(device="GPU"),
        lambda: VQESolver(backend="shots", device="GPU"),
        lambda: GroverSolver(backend="noisy", device="GPU"),
        lambda: QAOASampler(device="GPU"),
    ],
)
def test_gpu_without_a_gpu_says_how_to_get_one(make: Any) -> None:
    with pytest.raises(ValueError) as info:
        make()
    message = str(info.value)
    assert "device='GPU' needs a GPU build of qiskit-aer and an NVIDIA CUDA GPU" in message
    assert "pip install qiskit-aer-gpu" in message and "device='CPU'" in message


@pytest.mark.skipif(
    not HAS_GPU,
    reason="no GPU: AerSimulator().available_devices() lacks 'GPU' (needs qiskit-aer-gpu and a "
    "CUDA GPU)",
)
def test_gpu_statevector_matches_cpu() -> None:
    qubo = random_qubo(8, 5, offset=False)
    point = [0.4, 0.7, 0.8, 0.3]
    _, cpu = QAOASolver(reps=2).distribution(qubo, point)
    _, gpu = QAOASolver(reps=2, device="GPU").distribution(qubo, point)
    np.testing.assert_allclose(gpu, cpu, atol=1e-6)
