"""Gate-model solvers on real qiskit-aer circuits: exact optimum among the top samples (brute-force
oracle), every backend kind, decomposition past max_qubits, warm starts, and input validation."""

from __future__ import annotations

import time

import numpy as np
import pytest


pytest.importorskip("qiskit_optimization")
pytest.importorskip("qiskit_aer")

from random_qubos import random_qubo

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._qiskit import GroverSolver
from optuna_qnas.solvers._qiskit import QAOASolver
from optuna_qnas.solvers._qiskit import qubo_to_quadratic_program
from optuna_qnas.solvers._qiskit import VQESolver


def found_optimum(qubo: QUBO, result) -> bool:
    _, energies = qubo.brute_force()
    return bool(np.isclose(result.energies.min(), energies.min()))


def assert_valid_result(qubo: QUBO, result, k: int) -> None:
    n = qubo.num_variables
    assert result.samples.dtype == np.int8
    assert result.samples.shape[1] == n and 1 <= result.samples.shape[0] <= k
    assert set(np.unique(result.samples)) <= {0, 1}
    assert len(np.unique(result.samples, axis=0)) == len(result.samples)  # distinct
    np.testing.assert_allclose(result.energies, qubo.energies(result.samples))
    assert np.all(np.diff(result.energies) >= 0)  # lowest first


# ----- correctness: the exact optimum is among the top samples in most seeded cases --------------


def test_qaoa_statevector_finds_optimum_in_most_cases() -> None:
    solver = QAOASolver(reps=2, maxiter=30, max_qubits=12)  # one circuit up to 12 qubits
    hits = 0
    cases = [(n, seed) for n in (6, 8, 10, 12) for seed in range(3)]
    for n, seed in cases:
        qubo = random_qubo(n, 100 + seed)
        res = solver.solve(qubo, 8, seed=seed)
        assert_valid_result(qubo, res, 8)
        assert res.info["circuit_evaluations"] > 0 and res.info["decomposed"] is False
        hits += found_optimum(qubo, res)
    # Measured: 11/12. 8 of 64-4,096 states per solve; 8 random bitstrings would find the optimum
    # in about 2 of these 12 cases.
    assert hits >= 9, f"QAOA found the optimum in {hits}/{len(cases)} cases"


def test_qaoa_qiskit_optimization_engine_finds_optimum() -> None:
    solver = QAOASolver(reps=2, maxiter=30, engine="qiskit_optimization")
    cases = [(n, seed) for n in (5, 7) for seed in range(3)]
    hits = 0
    for n, seed in cases:
        qubo = random_qubo(n, 200 + seed)
        res = solver.solve(qubo, 6, seed=seed)
        assert_valid_result(qubo, res, 6)
        assert res.info["engine"] == "qiskit_optimization"
        assert res.info["warm_started"] is (
            (n, seed) != cases[0]
        )  # angles carried over after the first
        hits += found_optimum(qubo, res)
    assert hits >= 5, f"MinimumEigenOptimizer(QAOA) found the optimum in {hits}/{len(cases)} cases"


@pytest.mark.parametrize("engine", ["aer", "qiskit_optimization"])
def test_vqe_finds_optimum_in_most_cases(engine: str) -> None:
    solver = VQESolver(reps=1, maxiter=80, engine=engine)
    cases = [(n, seed) for n in (4, 6, 8) for seed in range(2)]
    hits = 0
    for n, seed in cases:
        qubo = random_qubo(n, 300 + seed)
        res = solver.solve(qubo, 8, seed=seed)
        assert_valid_result(qubo, res, 8)
        hits += found_optimum(qubo, res)
    assert hits >= 5, f"VQE ({engine}) found the optimum in {hits}/{len(cases)} cases"


def test_grover_finds_optimum_in_most_cases() -> None:
    solver = GroverSolver(num_value_qubits=8, num_iterations=6)
    cases = [(n, seed) for n in (3, 4, 5) for seed in range(2)]
    hits = 0
    for n, seed in cases:
        qubo = random_qubo(n, 400 + seed)
        res = solver.solve(qubo, 4, seed=seed)
        assert_valid_result(qubo, res, 4)
        assert res.info["num_qubits"] == n + 8 + 1
        hits += found_optimum(qubo, res)
    assert hits >= 5, f"Grover adaptive search found the optimum in {hits}/{len(cases)} cases"


def test_grover_bounds_its_sub_solves_per_decomposed_solve() -> None:
    # 3 key bits per circuit: offering all 12 variables would take ceil(12 / 3) + 1 = 5
    # sub-solves; the default caps them at 2 so a proposal's cost does not grow with the width.
    qubo = random_qubo(12, 9)
    capped = GroverSolver(num_value_qubits=4, max_qubits=8, num_iterations=1)
    res = capped.solve(qubo, 4, seed=0)
    assert_valid_result(qubo, res, 4)
    assert res.info["decomposed"] is True and res.info["decomposition_rounds"] == 2
    wide = GroverSolver(num_value_qubits=4, max_qubits=8, num_iterations=1, max_rounds=5)
    assert wide.solve(qubo, 4, seed=0).info["decomposition_rounds"] > 2
    # One pass manager per backend, shared by every solve (it holds no seed).
    _, first = capped.backend.qiskit_optimization_sampler(0)
    _, second = capped.backend.qiskit_optimization_sampler(1)
    assert first is second


# ----- backends ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["shots", "mps"])
def test_sampling_backends_find_optimum(backend: str) -> None:
    solver = QAOASolver(reps=2, maxiter=20, backend=backend, shots=2048)
    hits = 0
    for seed in range(3):
        qubo = random_qubo(6, 500 + seed)
        res = solver.solve(qubo, 6, seed=seed)
        assert_valid_result(qubo, res, 6)
        assert backend.replace("mps", "matrix_product_state") in res.info["backend"]
        hits += found_optimum(qubo, res)
    assert hits >= 2, f"QAOA on {backend} found the optimum in {hits}/3 cases"


def test_seeded_shot_solves_are_reproducible() -> None:
    qubo = random_qubo(6, 8)
    a = QAOASolver(backend="shots", shots=256, maxiter=10).solve(qubo, 6, seed=5)
    b = QAOASolver(backend="shots", shots=256, maxiter=10).solve(qubo, 6, seed=5)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.info["optimal_point"] == b.info["optimal_point"]


def test_noisy_fake_device_backend_runs_transpiled_circuits() -> None:
    import warnings

    qubo = random_qubo(4, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # V2 samplers must not warn (circuits are transpiled)
        solver = QAOASolver(reps=1, maxiter=8, backend="noisy:FakeManilaV2", shots=512)
        res = solver.solve(qubo, 4, seed=3)
    assert solver.max_qubits == 5  # capped by the device
    assert res.info["backend"] == "aer_noisy_fake_manila"
    assert_valid_result(qubo, res, 4)
    # With noise the optimum of a 4-bit QUBO is still among a few most probable outcomes.
    assert found_optimum(qubo, res)


def test_hardware_path_offline_with_fake_backend() -> None:
    """A BackendV2 object takes the IBM path: qiskit-ibm-runtime's SamplerV2 + preset pass manager
    (a fake device runs it on local Aer), exactly as a real IBMBackend would."""
    import warnings

    from qiskit.primitives import BaseSamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solver = QAOASolver(reps=1, maxiter=4, backend=FakeManilaV2(), shots=256)
    assert isinstance(solver.backend.sampler, BaseSamplerV2)
    assert type(solver.backend.sampler).__module__.startswith("qiskit_ibm_runtime.")
    assert solver.backend.kind == "ibm" and solver.max_qubits == 5
    qubo = random_qubo(3, 11)
    res = solver.solve(qubo, 4, seed=0)
    assert_valid_result(qubo, res, 4)
    assert res.info["backend"] == "ibm_runtime_fake_manila"


@pytest.fixture
def no_saved_ibm_account(tmp_path, monkeypatch):
    """Point qiskit-ibm-runtime at an empty account file and clear the token variables."""
    from qiskit_ibm_runtime.accounts import management

    monkeypatch.setattr(
        management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "qiskit-ibm.json")
    )
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_URL", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL"):
        monkeypatch.delenv(var, raising=False)


def test_ibm_without_credentials_is_a_clear_error(no_saved_ibm_account) -> None:
    with pytest.raises(ValueError, match="QISKIT_IBM_TOKEN.*save_account"):
        QAOASolver(backend="ibm")


def test_ibm_token_never_leaks(no_saved_ibm_account, monkeypatch, caplog, capsys) -> None:
    import logging

    secret = "fake-token-do-not-print-7f3a9c"
    monkeypatch.setenv("QISKIT_IBM_TOKEN", secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RuntimeError) as excinfo:
        QAOASolver(backend="ibm:ibm_brisbane")  # fails offline: bad token / no network
    assert secret not in str(excinfo.value)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__
    assert secret not in caplog.text
    out = capsys.readouterr()
    assert secret not in out.out and secret not in out.err


def test_user_primitive_and_algorithms() -> None:
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2
    from qiskit_optimization.minimum_eigensolvers import QAOA
    from qiskit_optimization.minimum_eigensolvers import SamplingVQE
    from qiskit_optimization.optimizers import COBYLA

    qubo = random_qubo(4, 21)
    prim = SamplerV2(default_shots=1024, seed=1)
    pm = generate_preset_pass_manager(optimization_level=1, backend=AerSimulator())
    res = QAOASolver(sampler=prim, maxiter=15).solve(qubo, 4, seed=0)
    assert res.info["backend"] == "SamplerV2" and found_optimum(qubo, res)
    res = QAOASolver(qaoa=QAOA(prim, COBYLA(maxiter=30), reps=2, pass_manager=pm)).solve(
        qubo, 4, seed=0
    )
    assert res.info["engine"] == "qiskit_optimization" and found_optimum(qubo, res)
    from qiskit.circuit.library import real_amplitudes

    vqe = SamplingVQE(prim, real_amplitudes(4, reps=2), COBYLA(maxiter=60), pass_manager=pm)
    res = VQESolver(vqe=vqe).solve(qubo, 4, seed=0)
    assert_valid_result(qubo, res, 4)


# ----- scale: decomposition and width checks -----------------------------------------------------


def test_sixty_bit_qubo_is_decomposed() -> None:
    qubo = random_qubo(60, 42)
    solver = QAOASolver(reps=1, maxiter=10, max_qubits=10)
    start = time.perf_counter()
    res = solver.solve(qubo, 8, seed=0)
    elapsed = time.perf_counter() - start
    assert_valid_result(qubo, res, 8)
    assert len(res.samples) == 8
    info = res.info
    assert info["decomposed"] is True and info["decomposition_width"] == 10
    assert 1 <= info["decomposition_rounds"] <= 7
    assert info["circuit_evaluations"] > 0
    # The last sub-solve's angles, where the next solve's warm start begins.
    np.testing.assert_allclose(info["optimal_point"], solver._warm_point)
    # Improvements are only ever accepted: the result is no worse than the annealed incumbent.
    assert res.energies[0] <= info["incumbent_energy_initial"] + 1e-9
    assert np.isclose(res.energies[0], info["incumbent_energy_final"])
    assert elapsed < 60


def test_decomposition_improves_a_poor_incumbent() -> None:
    """Sub-QUBO solves do real work: from a deliberately weak annealer incumbent (one read, a
    greedy-free start) they reach the brute-force optimum of a 16-bit QUBO."""
    from optuna_qnas.solvers._qiskit_decompose import decomposed_solve

    qubo = random_qubo(16, 5)
    solver = QAOASolver(reps=2, maxiter=30, max_qubits=8)
    res = decomposed_solve(
        qubo, solver._solve_small, width=8, num_samples=4, seed=1, max_rounds=12, incumbent_reads=1
    )
    assert found_optimum(qubo, res)


def test_too_wide_without_decomposition_fails_before_building_anything() -> None:
    solver = QAOASolver(decompose=False, max_qubits=12)
    assert solver.max_variables == 12
    start = time.perf_counter()
    with pytest.raises(ValueError, match="decompose=True.*max_qubits"):
        solver.solve(random_qubo(64, 0), 4, seed=0)
    assert time.perf_counter() - start < 1.0  # refused up front, no 2^64 state vector attempted
    assert QAOASolver().max_variables is None


def test_max_qubits_guards_memory_and_device() -> None:
    from optuna_qnas.solvers._qiskit import statevector_qubit_limit

    with pytest.raises(ValueError, match="backend='mps'"):
        QAOASolver(max_qubits=statevector_qubit_limit() + 1)
    with pytest.raises(ValueError, match="exceeds the 5 qubits"):
        QAOASolver(backend="noisy:FakeManilaV2", max_qubits=6)
    with pytest.raises(ValueError, match="max_qubits >= 10"):
        GroverSolver(num_value_qubits=8, max_qubits=9)


# ----- warm start --------------------------------------------------------------------------------


def test_warm_start_reuses_angles_and_cuts_evaluations() -> None:
    base = random_qubo(10, 77)
    rng = np.random.default_rng(0)
    solver = QAOASolver(reps=2, maxiter=30)
    cold = solver.solve(base, 8, seed=0)
    assert cold.info["warm_started"] is False
    nudged = QUBO(base.linear + 0.05 * rng.normal(size=10), base.quadratic, base.offset)
    warm = solver.solve(nudged, 8, seed=1)
    assert warm.info["warm_started"] is True
    assert warm.info["circuit_evaluations"] < cold.info["circuit_evaluations"]
    assert found_optimum(nudged, warm)
    off = QAOASolver(reps=2, maxiter=30, warm_start=False)
    off.solve(base, 8, seed=0)
    assert off.solve(nudged, 8, seed=1).info["warm_started"] is False


# ----- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(reps=0), "reps must be an integer >= 1"),
        (dict(optimizer="adam"), "Unknown optimizer 'adam'.*cobyla"),
        (dict(optimizer=3), "optimizer must be a name"),
        (dict(shots=0), "shots must be a positive integer"),
        (dict(shots=2.5), "shots must be a positive integer"),
        (dict(maxiter=0), "maxiter must be an integer >= 1"),
        (dict(max_qubits=0), "max_qubits must be an integer >= 1"),
        (dict(cvar_alpha=1.5), r"cvar_alpha must be None or a number in \(0, 1\]"),
        (dict(engine="cuda"), "engine must be one of aer, qiskit_optimization"),
        (dict(backend="gpu"), "Unknown backend 'gpu'"),
        (dict(backend="noisy:FakeNowhere"), "Unknown fake device 'FakeNowhere'"),
        (dict(backend=42), "backend must be one of"),
        (dict(sampler="aer"), "sampler must be a qiskit BaseSamplerV2"),
        (dict(decompose="yes"), "decompose must be True or False"),
        (dict(max_rounds=0), "max_rounds must be an integer >= 1"),
        (dict(qaoa="QAOA"), "qaoa must be a qiskit_optimization"),
    ],
)
def test_bad_qaoa_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        QAOASolver(**kwargs)


def test_bad_vqe_and_grover_arguments() -> None:
    with pytest.raises(ValueError, match="reps must be"):
        VQESolver(reps=0)
    with pytest.raises(ValueError, match="ansatz must be a parameterised"):
        VQESolver(ansatz="real_amplitudes")
    with pytest.raises(ValueError, match="num_value_qubits must be an integer >= 3"):
        GroverSolver(num_value_qubits=2)
    with pytest.raises(ValueError, match="num_samples must be"):
        QAOASolver().solve(random_qubo(3, 0), 0)
    with pytest.raises(ValueError, match="initial_point has 3 values"):
        QAOASolver(reps=2, initial_point=[0.1, 0.2, 0.3]).solve(random_qubo(3, 0), 2)


# ----- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 5, 9])
def test_ising_form_and_diagonal_energies_match_the_qubo(n: int) -> None:
    from optuna_qnas.solvers._qiskit_variational import diagonal_energies
    from optuna_qnas.solvers._qiskit_variational import index_to_bits
    from optuna_qnas.solvers._qiskit_variational import qubo_to_ising

    qubo = random_qubo(n, n)
    xs, e = qubo.brute_force()
    idx = (xs.astype(np.int64) << np.arange(n)).sum(axis=1)
    np.testing.assert_allclose(diagonal_energies(qubo)[idx], e)
    np.testing.assert_array_equal(index_to_bits(idx, n), xs)
    h, j, const = qubo_to_ising(qubo)
    z = 1 - 2 * xs.astype(float)
    np.testing.assert_allclose(const + z @ h + np.einsum("mi,ij,mj->m", z, j, z), e)
    qp = qubo_to_quadratic_program(qubo)
    assert qp.get_num_binary_vars() == n
    np.testing.assert_allclose([qp.objective.evaluate(x) for x in xs], e)


def test_cvar() -> None:
    from optuna_qnas.solvers._qiskit_variational import cvar

    values = np.array([3.0, 1.0, 2.0])
    probs = np.array([0.5, 0.25, 0.25])
    assert cvar(values, probs, None) == pytest.approx(2.25)
    assert cvar(values, probs, 0.25) == pytest.approx(1.0)
    assert cvar(values, probs, 0.5) == pytest.approx(1.5)


def test_cvar_objective_runs() -> None:
    qubo = random_qubo(8, 9)
    res = QAOASolver(reps=1, maxiter=20, cvar_alpha=0.2).solve(qubo, 8, seed=0)
    assert_valid_result(qubo, res, 8)
    assert found_optimum(qubo, res)


def test_importing_the_package_does_not_import_qiskit() -> None:
    import subprocess
    import sys

    code = (
        "import sys, optuna_qnas, optuna_qnas.solvers, optuna_qnas.solvers._qiskit, "
        "optuna_qnas.samplers._gate\n"
        "bad = [m for m in sys.modules\n"
        "       if m.split('.')[0] in ('qiskit', 'qiskit_aer', 'qiskit_optimization')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_aer_circuit_matches_a_numpy_state_vector() -> None:
    """The QAOA circuit Aer runs is the textbook one: same probabilities as a direct numpy
    simulation of exp(i b X)^n exp(-i g E / scale) |+>^n on the diagonal energies."""
    from optuna_qnas.solvers._qiskit_backends import resolve_backend
    from optuna_qnas.solvers._qiskit_variational import _Evaluator
    from optuna_qnas.solvers._qiskit_variational import diagonal_energies
    from optuna_qnas.solvers._qiskit_variational import ising_scale
    from optuna_qnas.solvers._qiskit_variational import qaoa_circuit
    from optuna_qnas.solvers._qiskit_variational import qubo_to_ising

    n, theta = 6, np.array([0.3, 0.7, 0.9, 0.2])
    qubo = random_qubo(n, 3)
    h, j, _ = qubo_to_ising(qubo)
    scale = ising_scale(h, j)
    circuit, params = qaoa_circuit(h, j, 2, scale)
    idx, probs, _ = _Evaluator(
        qubo, circuit, params, resolve_backend("statevector"), cvar_alpha=None, seed=0
    ).distribution(theta)
    e = diagonal_energies(qubo)
    psi = np.full(2**n, 2 ** (-n / 2), dtype=complex)
    for g, b in zip(theta[:2], theta[2:]):
        psi *= np.exp(-1j * g * e / scale)
        for q in range(n):
            v = psi.reshape(-1, 2, 2**q)
            a0 = v[:, 0, :].copy()
            v[:, 0, :] = np.cos(b) * a0 + 1j * np.sin(b) * v[:, 1, :]
            v[:, 1, :] = 1j * np.sin(b) * a0 + np.cos(b) * v[:, 1, :]
    np.testing.assert_allclose(probs[idx], np.abs(psi) ** 2, atol=1e-10)


@pytest.mark.parametrize(
    "make", [lambda: QAOASolver(reps=1), lambda: VQESolver(), lambda: GroverSolver()]
)
def test_constant_qubo_returns_valid_samples_without_a_circuit(make) -> None:
    # The posterior mean of a model fitted to a constant objective is a constant QUBO: a QAOA
    # cost layer would have no parameter to bind. Every assignment is a minimum.
    qubo = QUBO(np.zeros(5), np.zeros((5, 5)), 2.5)
    result = make().solve(qubo, 4, seed=3)
    assert_valid_result(qubo, result, 4)
    assert result.info["constant_qubo"] is True
    np.testing.assert_allclose(result.energies, 2.5)


def test_the_exact_qaoa_path_works_in_a_fresh_process() -> None:
    # The exact (state-vector) path must not rely on qiskit_aer having been imported earlier
    # by something else in the process: a user's first solve runs in a fresh interpreter.
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from optuna_qnas import QUBO\n"
        "from optuna_qnas.solvers import QAOASolver\n"
        "q = QUBO(np.array([1.0, -2.0, 0.5]), np.triu(np.ones((3, 3)), 1) * 0.3)\n"
        "r = QAOASolver(reps=1, maxiter=5).solve(q, 2, seed=0)\n"
        "print(r.samples.shape[1])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "3"
