"""Decomposition of wide QUBOs on dwave-hybrid: energy-impact subproblems solved by any solver.

The workflow is dwave-hybrid's decomposition loop::

    Loop(EnergyImpactDecomposer | SolverSubproblemSampler | SplatComposer, convergence=...)

started from a few short simulated-annealing reads of the whole QUBO. Each iteration ranks the
variables by how much flipping each would change the energy at the current sample (hybrid's
energy impact), takes ``subproblem_size`` of them from the top of that ranking (rolling down it,
so successive iterations cover every variable; ``"bfs"`` grows connected subproblems from the
top-ranked variables), clamps the other variables to their current values, solves the sub-QUBO
with the subsolver and writes its lowest sample back. The decomposer is
``ArrayEnergyImpactDecomposer``, hybrid's ``EnergyImpactDecomposer`` with the same selection
computed on arrays. The subsolver is anything with the solver protocol
(``solve(qubo, num_samples, seed)``): a ``DimodSolver`` over simulated annealing, tabu, a QPU
through ``EmbeddingComposite``, or the QAOA / VQE solvers, whose qubit budget is what makes
decomposition necessary.

dwave-hybrid is imported when this module is (``pip install 'optuna-qnas[dwave]'``); the
solvers namespace imports this module on first access only.
"""

from __future__ import annotations

from collections.abc import Callable
import math
import time
from typing import Any

import numpy as np

from optuna_qnas._checks import check_int
from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult
from optuna_qnas.solvers._hybrid_parts import _lowest_sample
from optuna_qnas.solvers._hybrid_parts import ArrayEnergyImpactDecomposer
from optuna_qnas.solvers._hybrid_parts import SolverSubproblemSampler
from optuna_qnas.solvers._hybrid_parts import TRAVERSALS


try:
    import hybrid
    from hybrid import traits
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "DecompositionSolver needs dwave-hybrid: pip install 'optuna-qnas[dwave]'."
    ) from exc


#: Reads per subproblem of the ``"simulated_annealing"`` preset as a subsolver (sweeps: the
#: preset's, 250-1,000 by subproblem width).
SUBPROBLEM_SA_READS = 8
#: Samples asked of each subsolve by default (at most the solve's ``num_samples``): the
#: subsolver's other samples become alternative full samples of the result.
SUBPROBLEM_SAMPLES = 8
_INITIAL = ("annealing", "random")

#: Embedding statistics a QPU-like subsolver reports per solve (``DimodSolver`` over an
#: ``EmbeddingComposite``), aggregated over the subproblems as (key in the result, reduction).
_EMBEDDING_STATS: dict[str, tuple[tuple[str, str], ...]] = {
    "mean_chain_length": (("mean_chain_length", "mean"),),
    "max_chain_length": (("max_chain_length", "max"), ("max_chain_length_mean", "mean")),
    "chain_break_fraction_mean": (("chain_break_fraction_mean", "mean"),),
    "chain_break_fraction_max": (("chain_break_fraction_max", "max"),),
    "num_physical_qubits": (
        ("num_physical_qubits_mean", "mean"),
        ("num_physical_qubits_max", "max"),
    ),
    "chain_strength": (("chain_strength_mean", "mean"), ("chain_strength_max", "max")),
}
#: Per-solve counts and device times that add up over the subproblems.
_SUMMED_STATS = (
    "qpu_access_time",
    "qpu_sampling_time",
    "circuit_evaluations",
    "optimizer_evaluations",
    "num_reads_returned",
)


class _Recorder(traits.NotValidated, hybrid.Runnable):
    """Keeps the distinct full samples a loop passes through: the state's sample after each
    composition, and the state with the subproblem's other subsamples written in instead."""

    def __init__(self, archive: _Archive) -> None:
        super().__init__()
        self.archive = archive
        self.energies: list[float] = []

    def next(self, state: Any, **runopts: Any) -> Any:
        bqm = state.problem  # BINARY, labels 0..n-1
        full = _lowest_sample(state.samples, bqm.variables, bqm.vartype).astype(np.int8)
        energy = float(np.min(state.samples.record.energy))
        self.energies.append(energy)
        self.archive.add(full[None, :], np.array([energy]))
        sub = state.get("subsamples")
        if sub is not None and len(sub) > 1:
            cols = np.asarray(list(sub.variables), dtype=np.int64)
            alts = np.repeat(full[None, :], len(sub) - 1, axis=0)
            alts[:, cols] = sub.record.sample[1:]
            # Energies relative to the written subsample: the clamped variables cancel.
            self.archive.add(alts, energy + sub.record.energy[1:] - sub.record.energy[0])
        return state


class _Archive:
    """The ``keep`` lowest distinct rows seen (first seen wins a tie)."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._rows: dict[bytes, tuple[float, int, np.ndarray]] = {}
        self._count = 0

    def add(self, rows: np.ndarray, energies: np.ndarray) -> None:
        for row, e in zip(np.asarray(rows, dtype=np.int8), np.asarray(energies, dtype=float)):
            key = row.tobytes()
            if key not in self._rows:
                self._rows[key] = (float(e), self._count, row.copy())
                self._count += 1
        if len(self._rows) > 4 * self.keep:
            self._prune()

    def _prune(self) -> None:
        kept = sorted(self._rows.items(), key=lambda item: item[1][:2])[: self.keep]
        self._rows = dict(kept)

    def rows(self) -> np.ndarray:
        """The kept rows, lowest energy first."""
        self._prune()
        return np.stack([value[2] for value in self._rows.values()])


def _best_flips(qubo: QUBO, x: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` single-bit flips of ``x`` that raise the energy least, lowest first, shape
    ``(min(k, n), n)``."""
    chosen = np.argsort(qubo.flip_deltas(x), kind="stable")[:k]
    flips = np.repeat(x[None, :].astype(np.int8), len(chosen), axis=0)
    flips[np.arange(len(chosen)), chosen] ^= 1
    return flips


def _is_in(rows: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Per row of ``rows``, whether it is a row of ``pool``."""
    seen = {r.tobytes() for r in np.asarray(pool, dtype=np.int8)}
    return np.array([r.tobytes() in seen for r in np.asarray(rows, dtype=np.int8)], dtype=bool)


def _lowest_energy(state: Any) -> float:
    return float(np.min(state.samples.record.energy))


def _resolve_subsolver(subsolver: Any) -> Any:
    from optuna_qnas.solvers._dimod import _is_simulated_annealing
    from optuna_qnas.solvers._dimod import as_solver

    if isinstance(subsolver, str) and subsolver.lower() == "decomposition":
        raise ValueError(
            "A decomposition cannot solve its own subproblems: use subsolver="
            "'simulated_annealing', 'tabu', 'steepest_descent', 'qpu', or a solver object."
        )
    solver = as_solver(subsolver, what="subsolver")
    if isinstance(subsolver, str) and _is_simulated_annealing(getattr(solver, "sampler", None)):
        # A subproblem needs far fewer reads than a whole QUBO: on sparse QUBOs of 300-2,000
        # variables 8 reads per 100-variable subproblem reached the same energies as the
        # preset's 64 in a third of the time (benchmarks/solver_scaling.py).
        solver = as_solver(subsolver, num_reads=SUBPROBLEM_SA_READS)
    return solver


def _optional_int(name: str, value: Any) -> int | None:
    return None if value is None else check_int(name, value, hint=" or None")


class DecompositionSolver:
    """Minimise a wide QUBO by solving subproblems of ``subproblem_size`` variables in turn.

    dwave-hybrid's decomposition loop (``ArrayEnergyImpactDecomposer``, the array form of
    ``EnergyImpactDecomposer`` | ``SolverSubproblemSampler`` | ``SplatComposer``, in
    ``hybrid.Loop``), started from the lowest of ``initial_reads`` short simulated-annealing
    reads of the whole QUBO (or from a uniform random sample). The result holds the
    ``num_samples`` lowest distinct samples the loop passed through (the initial reads, the state
    after each iteration, and the state with each of the subsolver's other samples of that
    subproblem), filled up, where those are fewer, with the single-bit flips of the best sample
    that raise its energy least; all scored under the QUBO.

    Args:
        subsolver:
            What solves each subproblem: a preset name of ``make_solver``
            (``"simulated_annealing"``, ``"tabu"``, ``"steepest_descent"``, ``"exact"``,
            ``"qpu"``, ``"hybrid"``; simulated annealing gets ``SUBPROBLEM_SA_READS`` reads
            per subproblem), any object with ``solve(qubo, num_samples, seed)`` (a
            ``DimodSolver``, ``QAOASolver``, ``VQESolver`` ...), or a ``dimod.Sampler`` (wrapped
            in ``DimodSolver``). A subsolver whose ``max_variables`` is below
            ``subproblem_size`` is refused.
        subproblem_size:
            Variables per subproblem. A QUBO of at most this many variables is handed to the
            subsolver whole.
        traversal:
            ``"bfs"`` (breadth-first searches through the couplings from the highest-impact
            variables, so that a subproblem holds connected variables; reached lower energies
            than ``"energy"`` on sparse QUBOs of 1,000 and 2,000 variables) or ``"energy"``
            (the next ``subproblem_size`` variables by energy impact, connected or not).
        max_iterations:
            Subproblems per solve at most; ``None``: 10 passes over the variables
            (``10 * ceil(n / subproblem_size)``).
        convergence:
            Stop after this many subproblems in a row without a lower energy; ``None``: one
            pass over the variables (``ceil(n / subproblem_size)``).
        initial:
            ``"annealing"`` (``initial_reads`` simulated-annealing reads of ``initial_sweeps``
            sweeps of the whole QUBO, dwave-samplers) or ``"random"`` (a uniform random
            sample).
        initial_reads:
            Reads of the initial anneal.
        initial_sweeps:
            Sweeps per read of the initial anneal.
        subproblem_samples:
            Samples asked of each subsolve; ``None``: the solve's ``num_samples``, at most
            ``SUBPROBLEM_SAMPLES`` (a ``DimodSolver`` runs at least that many reads).
        time_limit:
            Seconds per solve; the loop stops after the first subproblem that ends past it
            (``None``: no limit). A solve stopped by time is not reproducible.

    ``solve`` records in the result's ``info``: ``decomposition_iterations`` (loop iterations),
    ``decomposition_subproblems`` (subsolves; one per iteration), ``decomposition_improvements``,
    ``initial_energy``, ``initial_seconds``, ``neighbour_samples`` (single flips added to reach
    ``num_samples``), ``subsolver_seconds`` (total wall time in the subsolver), ``solve_seconds``;
    for QPU-like subsolvers the embedding statistics over the subproblems
    (``mean_chain_length``: mean, ``max_chain_length``: max, ``chain_break_fraction_mean`` /
    ``_max``, ``num_physical_qubits_mean`` / ``_max``, summed ``qpu_access_time``); and
    ``subproblem_info``: mean, max and total of every numeric entry of the subsolver's ``info``.

    .. note:: Requires ``dwave-hybrid`` (``pip install 'optuna-qnas[dwave]'``).
    """

    max_variables = None

    def __init__(
        self,
        subsolver: Any = "simulated_annealing",
        *,
        subproblem_size: int = 100,
        traversal: str = "bfs",
        max_iterations: int | None = None,
        convergence: int | None = None,
        initial: str = "annealing",
        initial_reads: int = 4,
        initial_sweeps: int = 1000,
        subproblem_samples: int | None = None,
        time_limit: float | None = None,
    ) -> None:
        self.subproblem_size = check_int("subproblem_size", subproblem_size)
        if traversal not in TRAVERSALS:
            raise ValueError(
                f"traversal must be one of {', '.join(TRAVERSALS)}; got {traversal!r}."
            )
        if initial not in _INITIAL:
            raise ValueError(f"initial must be one of {', '.join(_INITIAL)}; got {initial!r}.")
        self.traversal = traversal
        self.max_iterations = _optional_int("max_iterations", max_iterations)
        self.convergence = _optional_int("convergence", convergence)
        self.initial = initial
        self.initial_reads = check_int("initial_reads", initial_reads)
        self.initial_sweeps = check_int("initial_sweeps", initial_sweeps)
        self.subproblem_samples = _optional_int("subproblem_samples", subproblem_samples)
        if time_limit is not None and (
            isinstance(time_limit, bool)
            or not isinstance(time_limit, (int, float, np.integer, np.floating))
            or not math.isfinite(time_limit)
            or time_limit <= 0
        ):
            raise ValueError(
                f"time_limit must be a positive number of seconds or None; got {time_limit!r}."
            )
        self.time_limit = None if time_limit is None else float(time_limit)
        self.subsolver = _resolve_subsolver(subsolver)
        limit = getattr(self.subsolver, "max_variables", None)
        if limit is not None and int(limit) < self.subproblem_size:
            raise ValueError(
                f"The subsolver {self.subsolver!r} accepts at most {limit} variables, fewer "
                f"than subproblem_size={self.subproblem_size}; use subproblem_size <= {limit}."
            )

    def __repr__(self) -> str:
        return (
            f"DecompositionSolver({self.subsolver!r}, subproblem_size={self.subproblem_size}, "
            f"traversal={self.traversal!r})"
        )

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult:
        from optuna_qnas.solvers._dimod import qubo_to_bqm

        num_samples = check_int("num_samples", num_samples)
        n = qubo.num_variables
        start = time.perf_counter()
        if n == 0:
            return SolverResult(np.zeros((1, 0), dtype=np.int8), np.array([qubo.offset]), {})
        rng = np.random.default_rng(seed)

        def next_seed() -> int | None:
            return None if seed is None else int(rng.integers(2**31))

        if n <= self.subproblem_size:
            t0 = time.perf_counter()
            res = self.subsolver.solve(qubo, num_samples, next_seed())
            infos = [{**res.info, "seconds": time.perf_counter() - t0}]
            info = self._info(infos, iterations=0, improvements=0, initial_energy=None)
            info.update(initial_seconds=0.0, solve_seconds=round(time.perf_counter() - start, 6))
            return SolverResult(res.samples, res.energies, info)

        bqm = qubo_to_bqm(qubo)
        archive = _Archive(num_samples)
        initial = self._initial_samples(bqm, n, next_seed())
        initial_energies = np.asarray(bqm.energies((initial, range(n))), dtype=float)
        archive.add(initial, initial_energies)
        best = int(np.argmin(initial_energies))
        state = hybrid.State.from_sample((initial[best : best + 1], range(n)), bqm)
        initial_seconds = time.perf_counter() - start

        sub_sampler = SolverSubproblemSampler(
            self.subsolver,
            num_samples=self.subproblem_samples or min(num_samples, SUBPROBLEM_SAMPLES),
            seed=next_seed(),
        )
        recorder = _Recorder(archive)
        passes = math.ceil(n / self.subproblem_size)
        remaining = None if self.time_limit is None else self.time_limit - initial_seconds
        if remaining is None or remaining > 0:
            workflow = hybrid.Loop(
                ArrayEnergyImpactDecomposer(self.subproblem_size, traversal=self.traversal)
                | sub_sampler
                | hybrid.SplatComposer()
                | recorder,
                max_iter=self.max_iterations or 10 * passes,
                convergence=self.convergence or passes,
                max_time=remaining,
                # The lowest energy of the state; hybrid's default key (samples.first.energy)
                # builds a sample view over every variable, a millisecond at 2,000 variables.
                key=_lowest_energy,
            )
            workflow.run(state, executor=hybrid.immediate_executor).result()
        energies = [float(initial_energies[best]), *recorder.energies]
        improvements = int(np.sum(np.diff(np.minimum.accumulate(energies)) < 0))
        info = self._info(
            sub_sampler.infos,
            iterations=len(recorder.energies),
            improvements=improvements,
            initial_energy=float(initial_energies[best]),
        )
        info["initial_seconds"] = round(initial_seconds, 6)
        rows = archive.rows()
        info["neighbour_samples"] = 0
        if len(rows) < num_samples:
            # Subsolves of small subproblems often agree on one sample: fill up with the
            # lowest-energy single flips of the best sample, so that a caller asking for
            # num_samples distinct candidates gets them.
            extra = _best_flips(qubo, rows[0], num_samples)
            extra = extra[~_is_in(extra, rows)][: num_samples - len(rows)]
            info["neighbour_samples"] = len(extra)
            rows = np.vstack([rows, extra])
        result = SolverResult.from_samples(qubo, rows, num_samples, info)
        result.info["solve_seconds"] = round(time.perf_counter() - start, 6)
        return result

    def _initial_samples(self, bqm: Any, n: int, seed: int | None) -> np.ndarray:
        """Rows to start from, shape ``(m, n)``."""
        if self.initial == "random":
            return np.random.default_rng(seed).integers(0, 2, size=(1, n), dtype=np.int8)
        from dwave.samplers import SimulatedAnnealingSampler

        from optuna_qnas.solvers._dimod import ising_beta_range
        from optuna_qnas.solvers._dimod import sampleset_to_array

        kwargs: dict[str, Any] = {
            "num_reads": self.initial_reads,
            "num_sweeps": self.initial_sweeps,
        }
        beta_range = ising_beta_range(bqm)
        if beta_range is not None:
            kwargs["beta_range"] = beta_range
        if seed is not None:
            kwargs["seed"] = seed
        return sampleset_to_array(SimulatedAnnealingSampler().sample(bqm, **kwargs), n)

    def _info(
        self,
        infos: list[dict[str, Any]],
        *,
        iterations: int,
        improvements: int,
        initial_energy: float | None,
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "solver": "decomposition",
            "subsolver": repr(self.subsolver),
            "subproblem_size": self.subproblem_size,
            "traversal": self.traversal,
            "decomposition_iterations": iterations,
            "decomposition_subproblems": len(infos),
            "decomposition_improvements": improvements,
            "initial_energy": initial_energy,
            "subsolver_seconds": round(sum(float(i["seconds"]) for i in infos), 6),
        }
        info.update(aggregate_subproblem_info(infos))
        return info


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


_REDUCE: dict[str, Callable[[list[float]], float]] = {
    "mean": lambda v: float(np.mean(v)),
    "max": lambda v: float(np.max(v)),
    "total": lambda v: float(np.sum(v)),
}


def aggregate_subproblem_info(infos: list[dict[str, Any]]) -> dict[str, Any]:
    """The subsolver's per-solve ``info`` over the subproblems, JSON-serialisable.

    Embedding statistics keep their ``DimodSolver`` names where the aggregate keeps their
    meaning (``mean_chain_length``: the mean over subproblems, ``max_chain_length``: the
    maximum, ``chain_break_fraction_mean`` / ``_max``), with ``_mean`` / ``_max`` names
    otherwise (``num_physical_qubits_mean``); counts and device times are summed
    (``qpu_access_time``, ``circuit_evaluations``). ``subproblem_info`` holds the mean, max and
    total of every numeric entry.
    """
    out: dict[str, Any] = {}
    values: dict[str, list[float]] = {}
    for entry in infos:
        for key, value in entry.items():
            if _numeric(value):
                values.setdefault(key, []).append(float(value))
    for key, reductions in _EMBEDDING_STATS.items():
        if key in values:
            for name, how in reductions:
                out[name] = _REDUCE[how](values[key])
    for key in _SUMMED_STATS:
        if key in values:
            out[key] = _REDUCE["total"](values[key])
    out["subproblem_info"] = {
        key: {how: round(fn(v), 9) for how, fn in _REDUCE.items()} for key, v in values.items()
    }
    return out
