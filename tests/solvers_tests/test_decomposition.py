"""DecompositionSolver: dwave-hybrid's decomposition loop over any solver of the package."""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

import dimod
import hybrid
import networkx as nx
import numpy as np
import pytest

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers import DecompositionSolver
from optuna_qnas.solvers import DimodSolver
from optuna_qnas.solvers import make_solver
from optuna_qnas.solvers import QUBOSolver
from optuna_qnas.solvers import SolverSubproblemSampler
from optuna_qnas.solvers._decomposition import aggregate_subproblem_info
from optuna_qnas.solvers._decomposition import ArrayEnergyImpactDecomposer
from optuna_qnas.solvers._dimod import qubo_to_bqm


def gauged_ferromagnet(n: int, degree: int, seed: int) -> tuple[QUBO, np.ndarray, float]:
    """A ferromagnet on a random regular graph under a random gauge, with a small field
    towards the gauge: its unique ground state is the gauge itself, with every coupling and
    every field satisfied. Returns (QUBO, ground state, ground energy)."""
    rng = np.random.default_rng(seed)
    graph = nx.random_regular_graph(degree, n, seed=int(rng.integers(2**31)))
    gauge = rng.choice([-1, 1], size=n)
    linear, quadratic, offset = np.zeros(n), np.zeros((n, n)), 0.0
    for a, b in graph.edges:
        a, b = min(a, b), max(a, b)
        j = -rng.uniform(0.5, 1.0) * gauge[a] * gauge[b]  # J s_a s_b with s = 2x - 1
        quadratic[a, b] += 4 * j
        linear[a] -= 2 * j
        linear[b] -= 2 * j
        offset += j
    h = -0.1 * gauge  # h s, lowest at s = gauge
    linear += 2 * h
    offset -= h.sum()
    qubo = QUBO(linear, quadratic, offset)
    ground = ((gauge + 1) // 2).astype(np.int8)
    return qubo, ground, float(qubo.energies(ground))


def sparse_qubo(n: int, per_variable: int, seed: int, integer: bool = False) -> QUBO:
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, size=(2, n * per_variable // 2))
    keep = i != j
    quadratic = np.zeros((n, n))
    values = rng.normal(size=keep.sum())
    if integer:
        values = np.round(4 * values)
    np.add.at(quadratic, (np.minimum(i, j)[keep], np.maximum(i, j)[keep]), values)
    linear = rng.normal(size=n)
    return QUBO(np.round(4 * linear) if integer else linear, quadratic)


def _check_result(result: Any, qubo: QUBO, num_samples: int) -> None:
    assert 1 <= len(result.samples) <= num_samples
    assert result.samples.shape[1] == qubo.num_variables
    assert len(np.unique(result.samples, axis=0)) == len(result.samples)
    assert np.all(np.diff(result.energies) >= 0)
    np.testing.assert_allclose(result.energies, qubo.energies(result.samples))


@pytest.mark.parametrize("seed", [0, 1])
def test_reaches_the_planted_ground_state_from_a_random_start(seed: int) -> None:
    qubo, ground, e_min = gauged_ferromagnet(256, 4, seed)
    solver = DecompositionSolver(
        "simulated_annealing", subproblem_size=32, traversal="bfs", initial="random"
    )
    assert isinstance(solver, QUBOSolver)
    result = solver.solve(qubo, num_samples=6, seed=seed)
    _check_result(result, qubo, 6)
    assert result.energies[0] == pytest.approx(e_min, abs=1e-9)
    np.testing.assert_array_equal(result.samples[0], ground)
    info = result.info
    # The random start is far off: the subproblems did the work.
    assert info["initial_energy"] > e_min + 0.3 * abs(e_min)
    assert info["decomposition_improvements"] >= 3
    assert info["decomposition_subproblems"] == info["decomposition_iterations"] >= 8
    assert 0 < info["subsolver_seconds"] <= info["solve_seconds"]
    assert info["subproblem_info"]["num_reads_returned"]["total"] > 0
    # Several distinct low-energy samples, collected along the way.
    assert len(result.samples) == 6


@pytest.mark.parametrize("subsolver", ["simulated_annealing", "steepest_descent"])
def test_a_seeded_solve_is_reproducible(subsolver: str) -> None:
    qubo = sparse_qubo(300, 6, 3)
    solver = DecompositionSolver(subsolver, subproblem_size=40, initial="random")
    a = solver.solve(qubo, 5, seed=11)
    b = DecompositionSolver(subsolver, subproblem_size=40, initial="random").solve(
        qubo, 5, seed=11
    )
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.energies, b.energies)
    assert a.info["decomposition_iterations"] == b.info["decomposition_iterations"]
    # The loop never gives up energy (a poor subsolve keeps the current values).
    assert a.energies[0] <= a.info["initial_energy"] + 1e-9


def test_few_distinct_subsolves_are_filled_up_with_the_best_single_flips() -> None:
    qubo = sparse_qubo(150, 4, 9)
    result = DecompositionSolver().solve(qubo, 16, seed=0)
    _check_result(result, qubo, 16)
    assert len(result.samples) == 16
    added = result.info["neighbour_samples"]
    assert added >= 1
    # The added rows are single flips of the best sample.
    flips = (result.samples != result.samples[0]).sum(axis=1)
    assert (flips == 1).sum() >= added


@pytest.mark.parametrize("traversal", ["energy", "bfs"])
def test_array_decomposer_selects_what_hybrids_decomposer_selects(traversal: str) -> None:
    # Integer biases: the flip gains are exact, so both rank the variables identically.
    qubo = sparse_qubo(120, 5, 7, integer=True)
    bqm = qubo_to_bqm(qubo)
    ours = ArrayEnergyImpactDecomposer(25, traversal=traversal)
    theirs = hybrid.EnergyImpactDecomposer(25, traversal=traversal)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=120)
    for step in range(14):  # past one rolling pass (5 subproblems), with changing samples
        if step % 3 == 0:
            x = rng.integers(0, 2, size=120)
        state = hybrid.State.from_sample((x[None, :], range(120)), bqm)
        sub_ours = ours.next(state).subproblem
        sub_theirs = theirs.next(state).subproblem
        assert set(sub_ours.variables) == set(sub_theirs.variables), step
        assert sub_ours == sub_theirs, step


@pytest.mark.parametrize(
    "subsolver", [make_solver("tabu"), make_solver("steepest_descent"), "tabu"]
)
def test_dimod_subsolvers(subsolver: Any) -> None:
    qubo, _, e_min = gauged_ferromagnet(200, 4, 5)
    solver = DecompositionSolver(subsolver, subproblem_size=32, traversal="bfs", initial="random")
    result = solver.solve(qubo, num_samples=4, seed=2)
    _check_result(result, qubo, 4)
    # Within 1 % of the ground energy from a start about 50 % above it.
    assert result.info["initial_energy"] > e_min + 0.3 * abs(e_min)
    assert result.energies[0] <= e_min + 0.01 * abs(e_min)


def test_mock_qpu_subsolver_records_embedding_statistics() -> None:
    from dwave.system import EmbeddingComposite
    from dwave.system.testing import MockDWaveSampler

    qpu = DimodSolver(EmbeddingComposite(MockDWaveSampler()), num_reads=10)
    qubo = sparse_qubo(60, 4, 1)
    solver = DecompositionSolver(qpu, subproblem_size=12, max_iterations=4, convergence=10)
    result = solver.solve(qubo, num_samples=3, seed=0)
    _check_result(result, qubo, 3)
    info = result.info
    assert info["decomposition_subproblems"] == 4
    per_solve = info["subproblem_info"]
    assert per_solve["mean_chain_length"]["max"] >= 1.0
    assert info["mean_chain_length"] == pytest.approx(per_solve["mean_chain_length"]["mean"])
    assert info["max_chain_length"] >= info["mean_chain_length"] >= 1.0
    assert info["num_physical_qubits_max"] >= info["num_physical_qubits_mean"] >= 12
    assert 0.0 <= info["chain_break_fraction_mean"] <= info["chain_break_fraction_max"] <= 1.0
    assert info["qpu_access_time"] == pytest.approx(per_solve["qpu_access_time"]["total"])
    assert result.energies[0] <= info["initial_energy"] + 1e-9


def test_qaoa_subsolver_within_its_qubit_budget() -> None:
    pytest.importorskip("qiskit_aer")
    from optuna_qnas.solvers import QAOASolver

    qaoa = QAOASolver(max_qubits=5, decompose=False, reps=1, maxiter=20)
    qubo = sparse_qubo(30, 4, 2)
    solver = DecompositionSolver(qaoa, subproblem_size=5, max_iterations=3, convergence=10)
    result = solver.solve(qubo, num_samples=3, seed=1)
    _check_result(result, qubo, 3)
    info = result.info
    assert info["decomposition_subproblems"] == 3
    assert info["subproblem_info"]["num_qubits"]["max"] == 5
    assert info["circuit_evaluations"] == info["subproblem_info"]["circuit_evaluations"]["total"]
    assert info["circuit_evaluations"] >= 3
    assert result.energies[0] <= info["initial_energy"] + 1e-9


def test_subsolvers_narrower_than_the_subproblem_are_refused() -> None:
    with pytest.raises(ValueError, match="subproblem_size <= 20"):
        DecompositionSolver("exact", subproblem_size=30)
    DecompositionSolver("exact", subproblem_size=20)  # exactly its limit is fine
    pytest.importorskip("qiskit_aer")
    from optuna_qnas.solvers import QAOASolver

    with pytest.raises(ValueError, match="subproblem_size <= 4"):
        DecompositionSolver(QAOASolver(max_qubits=4, decompose=False), subproblem_size=6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"subproblem_size": 0}, "subproblem_size"),
        ({"subproblem_size": 2.5}, "subproblem_size"),
        ({"traversal": "pfs"}, "traversal"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"convergence": -1}, "convergence"),
        ({"initial": "zeros"}, "initial"),
        ({"initial_reads": 0}, "initial_reads"),
        ({"initial_sweeps": True}, "initial_sweeps"),
        ({"subproblem_samples": 0}, "subproblem_samples"),
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": float("nan")}, "time_limit"),
        ({"subsolver": 42}, "subsolver"),
        ({"subsolver": "annealing-ish"}, "Unknown solver"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DecompositionSolver(**kwargs)


def test_bad_num_samples() -> None:
    with pytest.raises(ValueError, match="num_samples"):
        DecompositionSolver().solve(sparse_qubo(80, 4, 0), 0)


def test_a_qubo_that_fits_one_subproblem_is_solved_whole() -> None:
    qubo = sparse_qubo(12, 4, 4)
    result = DecompositionSolver("exact", subproblem_size=16).solve(qubo, 3, seed=0)
    _, energies = qubo.brute_force()
    np.testing.assert_allclose(result.energies, np.sort(energies)[:3])
    assert result.info["decomposition_subproblems"] == 1
    assert result.info["decomposition_iterations"] == 0


def test_time_limit_stops_the_loop() -> None:
    qubo = sparse_qubo(200, 4, 6)
    result = DecompositionSolver(subproblem_size=20, time_limit=1e-6).solve(qubo, 2, seed=0)
    # The initial anneal alone takes longer than the limit: no subproblem is solved.
    assert result.info["decomposition_subproblems"] == 0
    assert result.energies[0] == pytest.approx(result.info["initial_energy"])


def test_a_dimod_sampler_is_wrapped_and_the_solver_pickles() -> None:
    from dwave.samplers import SteepestDescentSampler

    solver = DecompositionSolver(SteepestDescentSampler(), subproblem_size=30)
    assert isinstance(solver.subsolver, DimodSolver)
    qubo = sparse_qubo(100, 4, 8)
    again = pickle.loads(pickle.dumps(solver))
    np.testing.assert_array_equal(
        solver.solve(qubo, 3, seed=5).samples, again.solve(qubo, 3, seed=5).samples
    )


def test_subproblem_sampler_in_a_hybrid_workflow_on_a_spin_model() -> None:
    # String labels and SPIN values: the sampler relabels to 0..k-1 and converts back.
    rng = np.random.default_rng(3)
    labels = [f"v{i}" for i in range(40)]
    graph = nx.random_regular_graph(3, 40, seed=3)
    bqm = dimod.BinaryQuadraticModel(
        {labels[i]: rng.normal() for i in range(40)},
        {(labels[a], labels[b]): rng.normal() for a, b in graph.edges},
        0.0,
        dimod.SPIN,
    )
    sampler = SolverSubproblemSampler(make_solver("exact"), num_samples=3, seed=0)
    workflow = hybrid.Loop(
        hybrid.EnergyImpactDecomposer(size=10) | sampler | hybrid.SplatComposer(),
        max_iter=8,
    )
    start = hybrid.State.from_sample({v: 1 for v in labels}, bqm)
    out = workflow.run(start, executor=hybrid.immediate_executor).result()
    assert set(out.samples.first.sample.values()) <= {-1, 1}
    assert out.samples.first.energy < start.samples.first.energy
    assert out.samples.first.energy == pytest.approx(bqm.energy(out.samples.first.sample))
    assert len(sampler.infos) == 8 and all("seconds" in i for i in sampler.infos)
    with pytest.raises(ValueError, match="solve"):
        SolverSubproblemSampler(object())


def test_aggregation_of_subsolver_info() -> None:
    infos: list[dict[str, Any]] = [
        {"mean_chain_length": 1.5, "max_chain_length": 2, "qpu_access_time": 10.0, "ok": True},
        {"mean_chain_length": 2.5, "max_chain_length": 4, "qpu_access_time": 30.0, "x": "a"},
    ]
    out = aggregate_subproblem_info(infos)
    assert out["mean_chain_length"] == 2.0
    assert out["max_chain_length"] == 4.0 and out["max_chain_length_mean"] == 3.0
    assert out["qpu_access_time"] == 40.0
    assert out["subproblem_info"]["max_chain_length"] == {"mean": 3.0, "max": 4.0, "total": 6.0}
    assert "ok" not in out["subproblem_info"] and "x" not in out["subproblem_info"]


def test_import_is_lazy_and_a_missing_hybrid_names_the_extra() -> None:
    code = (
        "import sys\n"
        "import optuna_qnas, optuna_qnas.solvers\n"
        "assert 'hybrid' not in sys.modules, 'hybrid imported eagerly'\n"
        "from optuna_qnas.solvers import DecompositionSolver\n"
        "assert 'hybrid' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    missing = (
        "import sys\n"
        "sys.modules['hybrid'] = None\n"
        "try:\n"
        "    from optuna_qnas.solvers import DecompositionSolver\n"
        "except ImportError as exc:\n"
        "    assert \"pip install 'optuna-qnas[dwave]'\" in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", missing], check=True)


def test_a_decomposition_is_refused_as_its_own_subsolver() -> None:
    with pytest.raises(ValueError, match="cannot solve its own subproblems"):
        DecompositionSolver("decomposition")
