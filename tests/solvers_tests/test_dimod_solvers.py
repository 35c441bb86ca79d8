from __future__ import annotations

import dimod
import numpy as np
import pytest

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers import DimodSolver
from optuna_qnas.solvers import make_solver
from optuna_qnas.solvers import QUBOSolver
from optuna_qnas.solvers._dimod import qubo_to_bqm
from optuna_qnas.solvers._dimod import sampleset_to_array


def _random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.RandomState(seed)
    return QUBO.from_dense(rng.normal(size=(n, n)))


def test_bqm_round_trip_preserves_energies() -> None:
    q = _random_qubo(6, 0)
    bqm = qubo_to_bqm(q)
    xs, e = q.brute_force()
    ss = dimod.SampleSet.from_samples_bqm([dict(enumerate(x)) for x in xs], bqm)
    back = sampleset_to_array(ss, 6)
    np.testing.assert_allclose(q.energies(back), ss.record.energy)


@pytest.mark.parametrize("name", ["simulated_annealing", "tabu", "exact", "sa"])
def test_presets_find_the_brute_force_optimum(name: str) -> None:
    hits = 0
    for seed in range(10):
        q = _random_qubo(12, seed)
        _, e = q.brute_force()
        solver = make_solver(name, num_reads=32)
        assert isinstance(solver, QUBOSolver)
        result = solver.solve(q, num_samples=5, seed=seed)
        assert result.samples.shape[1] == 12 and len(result.samples) <= 5
        assert len(np.unique(result.samples, axis=0)) == len(result.samples)
        assert np.all(np.diff(result.energies) >= 0)
        np.testing.assert_allclose(result.energies, q.energies(result.samples))
        hits += np.isclose(result.energies[0], e.min())
    assert hits >= 9, hits


def test_seeded_solves_are_reproducible() -> None:
    q = _random_qubo(20, 3)
    a = make_solver().solve(q, 8, seed=7)
    b = make_solver().solve(q, 8, seed=7)
    np.testing.assert_array_equal(a.samples, b.samples)


def test_mock_qpu_embedding_path_records_statistics() -> None:
    from dwave.system import EmbeddingComposite
    from dwave.system.testing import MockDWaveSampler

    # The default Chimera mock cannot embed a dense 30-variable QUBO; a Pegasus P16 mock can. Its
    # inner solver is steepest descent: this tests the interface, the minor-embedding and the
    # chain statistics, not solution quality.
    mock = MockDWaveSampler(topology_type="pegasus", topology_shape=[16])
    solver = DimodSolver(EmbeddingComposite(mock), num_reads=20)
    q = _random_qubo(30, 4)
    result = solver.solve(q, num_samples=5, seed=0)
    assert result.samples.shape[1] == 30
    info = result.info
    assert info["num_physical_qubits"] >= 30
    assert info["max_chain_length"] >= 2
    assert 0.0 <= info["chain_break_fraction_mean"] <= 1.0
    np.testing.assert_allclose(result.energies, q.energies(result.samples))


@pytest.mark.parametrize("name", ["qpu", "hybrid"])
def test_cloud_presets_without_credentials_fail_with_one_clear_error(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.delenv("DWAVE_API_TOKEN", raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(tmp_path / "missing.conf"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="DWAVE_API_TOKEN"):
        make_solver(name)


def test_cloud_connection_errors_never_echo_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "DEV-fake0123456789abcdef-secret"
    monkeypatch.setenv("DWAVE_API_TOKEN", secret)
    # A non-routable endpoint on loopback: the client fails without leaving the machine.
    monkeypatch.setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:9/sapi/v2/")
    monkeypatch.setenv("DWAVE_API_REGION", "")
    with pytest.raises(RuntimeError) as info:
        make_solver("qpu")
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert info.value.__cause__ is None and "simulated_annealing" in str(info.value)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_solver("annealing-ish"), "Unknown solver"),
        (lambda: make_solver(3), "preset name"),  # type: ignore[arg-type]
        (lambda: make_solver("sa", num_reads=0), "num_reads"),
        (lambda: DimodSolver(object()), "dimod.Sampler"),
    ],
)
def test_bad_input(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def _schedule_qubos() -> list[QUBO]:
    rng = np.random.RandomState(11)
    sparse = rng.normal(size=(40, 40)) * (rng.random_sample((40, 40)) < 0.1)
    ties = np.round(rng.normal(size=(30, 30)) * 2) / 2  # many equal smallest biases
    isolated = np.zeros((8, 8))
    isolated[0, 1], isolated[2, 2] = 1.5, -0.25  # variables 3..7 have no bias at all
    return [
        _random_qubo(69, 5),
        QUBO.from_dense(sparse),
        QUBO.from_dense(ties),
        QUBO.from_dense(isolated),
    ]


@pytest.mark.parametrize("index", range(4))
def test_vectorised_beta_range_gives_the_samplers_own_anneal(index: int) -> None:
    from dwave.samplers import SimulatedAnnealingSampler

    from optuna_qnas.solvers._dimod import ising_beta_range

    q = _schedule_qubos()[index]
    bqm = qubo_to_bqm(q)
    own = SimulatedAnnealingSampler().sample(bqm, num_reads=16, num_sweeps=100, seed=3)
    ours = SimulatedAnnealingSampler().sample(
        bqm, num_reads=16, num_sweeps=100, seed=3, beta_range=ising_beta_range(bqm)
    )
    # The same schedule, so the same seeded anneal, read for read.
    np.testing.assert_array_equal(ours.record.sample, own.record.sample)
    np.testing.assert_array_equal(ours.record.energy, own.record.energy)
    # And the adapter passes it: its best samples are those of the plain sampler.
    via_solver = make_solver(num_reads=16, num_sweeps=100).solve(q, 4, seed=3)
    plain = DimodSolver(
        _PlainSampler(SimulatedAnnealingSampler()), num_reads=16, sample_kwargs={"num_sweeps": 100}
    )
    np.testing.assert_array_equal(via_solver.samples, plain.solve(q, 4, seed=3).samples)


class _PlainSampler:
    """The sampler without the adapter's schedule shortcut (not an instance of its class)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.parameters = inner.parameters  # type: ignore[attr-defined]

    def sample(self, bqm: object, **kwargs: object) -> object:
        return self.inner.sample(bqm, **kwargs)  # type: ignore[attr-defined]


def test_constant_qubo_and_user_schedule_keep_the_samplers_behaviour() -> None:
    from optuna_qnas.solvers._dimod import ising_beta_range

    assert ising_beta_range(qubo_to_bqm(QUBO.from_dense(np.zeros((3, 3))))) is None
    solver = make_solver(num_reads=8, beta_range=[0.5, 2.0])
    assert solver.sample_kwargs["beta_range"] == [0.5, 2.0]
    from dwave.samplers import SimulatedAnnealingSampler

    q = _random_qubo(10, 1)
    direct = SimulatedAnnealingSampler().sample(
        qubo_to_bqm(q), num_reads=8, num_sweeps=250, seed=0, beta_range=[0.5, 2.0]
    )
    result = solver.solve(q, 8, seed=0)
    expected = np.unique(sampleset_to_array(direct, 10), axis=0)
    assert sorted(map(tuple, result.samples)) == sorted(map(tuple, expected))


def test_automatic_reads_keep_the_annealing_work_per_solve_bounded() -> None:
    from optuna_qnas.solvers._dimod import SA_WORK

    narrow, wide = _random_qubo(30, 0), _random_qubo(69, 0)
    auto = make_solver()
    assert "auto" in repr(auto)
    assert auto.solve(narrow, 8, seed=0).info["num_reads_returned"] == 64
    wide_reads = auto.solve(wide, 8, seed=0).info["num_reads_returned"]
    sweeps = 4 * 69
    assert wide_reads == SA_WORK // (sweeps * (69 + 69 * 68 // 2)) < 64
    # As many reads as samples asked for while that stays near the budget (the sampler's 16 at
    # 69 bits); an explicit count is obeyed as given.
    assert auto.solve(wide, 16, seed=0).info["num_reads_returned"] == 16
    assert make_solver(num_reads=64).solve(wide, 8, seed=0).info["num_reads_returned"] == 64
    # Other samplers keep 64 reads by default.
    assert make_solver("steepest_descent").num_reads == 64


@pytest.mark.parametrize(("n_bits", "n_interactions"), [(69, 300), (206, 250), (206, 21115)])
def test_sparse_qubos_stay_within_the_visit_budget(n_bits: int, n_interactions: int) -> None:
    # A screened model's wide QUBO has few couplings: the work budget alone allowed 49 reads of
    # 824 sweeps at 206 bits, eight times the spin visits of the budget.
    from optuna_qnas.solvers._dimod import annealing_schedule
    from optuna_qnas.solvers._dimod import default_sweeps
    from optuna_qnas.solvers._dimod import SA_VISITS_32
    from optuna_qnas.solvers._dimod import SA_VISITS_EXPONENT
    from optuna_qnas.solvers._dimod import SA_WIDE_READS

    budget = SA_VISITS_32 * (n_bits / 32) ** SA_VISITS_EXPONENT
    reads, sweeps = annealing_schedule(n_bits, n_interactions, num_samples=16)
    assert reads * sweeps * n_bits <= budget
    assert sweeps == default_sweeps(n_bits)  # the budget takes reads first, sweeps last
    assert reads >= min(16, SA_WIDE_READS)


@pytest.mark.parametrize("n_bits", [300, 2000])
def test_wide_qubos_get_a_bounded_number_of_spin_visits(n_bits: int) -> None:
    from optuna_qnas.solvers._dimod import annealing_schedule
    from optuna_qnas.solvers._dimod import SA_MIN_SWEEPS
    from optuna_qnas.solvers._dimod import SA_VISITS_32
    from optuna_qnas.solvers._dimod import SA_VISITS_EXPONENT

    budget = SA_VISITS_32 * (n_bits / 32) ** SA_VISITS_EXPONENT
    reads, sweeps = annealing_schedule(n_bits, 3 * n_bits, num_samples=16)
    # Fewer reads than samples asked for: the budget wins on wide QUBOs.
    assert reads < 16 and sweeps >= SA_MIN_SWEEPS
    assert reads * sweeps * n_bits <= budget
    # A real solve of a sparse wide QUBO returns at most that many reads, all scored.
    rng = np.random.default_rng(0)
    m = 3 * n_bits
    rows, cols = rng.integers(0, n_bits, m), rng.integers(0, n_bits, m)
    quad = np.zeros((n_bits, n_bits))
    quad[np.minimum(rows, cols), np.maximum(rows, cols)] = rng.normal(size=m)
    np.fill_diagonal(quad, 0.0)
    q = QUBO(rng.normal(size=n_bits), quad)
    result = make_solver().solve(q, 16, seed=0)
    assert result.info["num_reads_returned"] == reads
    assert 1 <= len(result.samples) <= reads
    np.testing.assert_allclose(result.energies, q.energies(result.samples))


def test_tabu_gets_a_budget_from_the_qubo_size() -> None:
    from optuna_qnas.solvers._dimod import tabu_schedule

    assert tabu_schedule(30, 16) == (16, 1)
    assert tabu_schedule(2000, 16) == (4, 8)
    tabu = make_solver("tabu")
    assert "auto" in repr(tabu)
    narrow = _random_qubo(30, 0)
    assert tabu.solve(narrow, 16, seed=0).info["num_reads_returned"] == 16
    # The best of the budgeted solve is the brute-force optimum of a 16-bit QUBO.
    small = _random_qubo(16, 3)
    _, energies = small.brute_force()
    assert tabu.solve(small, 4, seed=0).energies[0] == pytest.approx(energies.min())
    # An explicit count and timeout are obeyed as given.
    explicit = make_solver("tabu", num_reads=3, timeout=2)
    assert explicit.solve(narrow, 1, seed=0).info["num_reads_returned"] == 3
