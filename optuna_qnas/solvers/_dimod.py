"""Adapter from any ``dimod.Sampler`` (or composite) to the QUBO solver protocol, and presets.

D-Wave's SDKs are imported lazily: ``import optuna_qnas`` does not import dimod.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import logging
import math
import os
import time
from typing import Any

import numpy as np

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult


_DEFAULT_READS = 64
#: Work one automatic-reads annealing solve may spend, in reads x sweeps x (variables +
#: couplings): a sweep visits every variable and each accepted flip updates the fields of its
#: neighbours. 64 reads x 250 sweeps of a dense 32-bit QUBO; wider QUBOs get fewer reads, so
#: that the proposal time does not grow with the bits (the 69-bit mixed space took 5x the
#: time of a 30-bit NAS-Bench-201 cell).
SA_WORK = 64 * 250 * (32 + 32 * 31 // 2)
#: Spin visits (reads x sweeps x variables) one automatic-reads annealing solve may spend on an
#: ``n``-bit QUBO: what 64 reads x 250 sweeps of a 32-bit QUBO visit, times ``(n / 32) ** 0.4``
#: (wider QUBOs need longer anneals to mix, but the proposal time must stay within a budget:
#: about 20 ms per solve at 300 bits, 40 ms at 2,000 on the 2-core test machine). QUBOs up to
#: 69 bits stay within it at the ``SA_WORK`` settings.
SA_VISITS_32 = 64 * 250 * 32
SA_VISITS_EXPONENT = 0.4
#: Reads of a solve whose ``SA_WORK`` settings would exceed the visit budget, and the fewest
#: sweeps it may get.
SA_WIDE_READS = 4
SA_MIN_SWEEPS = 64


def default_sweeps(n: int) -> int:
    """Sweeps of an annealing solve of ``n`` variables unless told otherwise: 250, ``4 n`` above
    62 bits, at most 1,000 (dwave-samplers' own default)."""
    return int(min(max(4 * n, 250), 1000))


def annealing_schedule(
    n: int, n_interactions: int, num_samples: int, reads: int = _DEFAULT_READS
) -> tuple[int, int]:
    """``(num_reads, num_sweeps)`` of an automatic simulated-annealing solve.

    Up to 32 bits: ``reads`` reads of 250 sweeps. Wider: more sweeps (``4 n``, at most 1,000)
    and fewer reads, within two budgets: ``reads x sweeps x (n + couplings)`` within ``SA_WORK``
    (dense QUBOs) and ``reads x sweeps x n`` spin visits within
    ``SA_VISITS_32 * (n / 32) ** SA_VISITS_EXPONENT`` (sparse ones: a screened model's wide
    QUBO has few couplings, so the work budget alone let a 206-bit solve take 49 reads of 824
    sweeps, eight times the visits). The reads stay at least ``num_samples`` where that fits the
    visit budget; where it does not (hundreds of bits), as many reads as both budgets allow but
    at least ``SA_WIDE_READS``, with as many sweeps as the visit budget allows (at least
    ``SA_MIN_SWEEPS``), so that a solve of a 2,000-bit QUBO costs tens of milliseconds.
    """
    sweeps = default_sweeps(n)
    visits = int(SA_VISITS_32 * max(1.0, n / 32) ** SA_VISITS_EXPONENT)
    within = min(
        reads,
        SA_WORK // (sweeps * max(n + n_interactions, 1)),
        visits // (sweeps * max(n, 1)),
    )
    if within >= num_samples:
        return within, sweeps
    if num_samples * sweeps * n <= visits:  # a little over SA_WORK for num_samples reads
        return int(num_samples), sweeps
    wide_reads = max(1, min(reads, max(SA_WIDE_READS, within)))
    return wide_reads, int(min(sweeps, max(SA_MIN_SWEEPS, visits // (wide_reads * max(n, 1)))))


def tabu_schedule(n: int, num_samples: int) -> tuple[int, int]:
    """``(num_reads, timeout in ms per read)`` of an automatic tabu solve.

    Tabu search restarts until its time limit runs out, so its cost is reads x timeout. Up to
    128 bits: ``num_samples`` reads of 1 ms (sampler-sized QUBOs; 64 reads of 20 ms made a
    30-bit NAS-Bench-201 proposal take 4.6 s). Wider: 4 reads of ``ceil(n / 250)`` ms (8 ms at
    2,000 bits), so that one solve stays within a few tens of milliseconds.
    """
    if n <= 128:
        return int(num_samples), 1
    return 4, int(math.ceil(n / 250))


def qubo_to_bqm(qubo: QUBO) -> Any:
    """``QUBO`` -> ``dimod.BinaryQuadraticModel`` over variables ``0..n-1``."""
    import dimod

    n = qubo.num_variables
    rows, cols = np.nonzero(qubo.quadratic)
    bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
        qubo.linear, (rows, cols, qubo.quadratic[rows, cols]), qubo.offset, dimod.BINARY
    )
    # Keep isolated all-zero variables so that every sample has n entries in order.
    bqm.add_variables_from((i, 0.0) for i in range(n) if i not in bqm.variables)
    return bqm


def ising_beta_range(bqm: Any, excitation_rate: float = 0.01) -> list[float] | None:
    """Hot and cold inverse temperatures of dwave-samplers' default annealing schedule, vectorised.

    ``SimulatedAnnealingSampler`` derives its default ``beta_range`` from the spin-form biases:
    the hot end lets the spin with the largest total absolute bias flip with probability 1/2;
    the cold end makes an excitation across the smallest non-zero bias unlikely (``rate``
    summed over the spins that share it). It does so in a Python loop over the couplings, which
    on a 69-bit dense QUBO took 10 ms per solve, as long as a 250-sweep anneal. The same
    quantities, summed in the same order (so the schedule is identical), cost a few
    microseconds here. ``None`` when every bias is zero (the sampler's own warning path).
    """
    import dimod

    spin = bqm.change_vartype(dimod.SPIN, inplace=False)
    order = list(spin.variables)
    h, (row, col, J), _ = spin.to_numpy_vectors(variable_order=order)
    h_abs, J_abs = np.abs(np.asarray(h, dtype=float)), np.abs(np.asarray(J, dtype=float))
    total = h_abs.copy()
    # Each coupling adds to both ends, first end first, coupling by coupling.
    np.add.at(total, np.column_stack([row, col]).ravel(), np.repeat(J_abs, 2))
    smallest = np.where(h_abs != 0, h_abs, np.inf)
    nonzero = J_abs != 0
    np.minimum.at(smallest, row[nonzero], J_abs[nonzero])
    np.minimum.at(smallest, col[nonzero], J_abs[nonzero])
    smallest = smallest[np.isfinite(smallest)]
    if smallest.size == 0:
        return None
    max_field = float(total.max(initial=0.0))
    hot = 1.0 if max_field == 0 else float(np.log(2) / (2 * max_field))
    min_field = smallest.min()
    cold = float(np.log(np.sum(smallest == min_field) / excitation_rate) / (2 * min_field))
    return [hot, cold]


def _is_tabu(sampler: Any) -> bool:
    try:
        from dwave.samplers import TabuSampler
    except ImportError:  # pragma: no cover - dwave-samplers is a dependency
        return False
    return isinstance(sampler, TabuSampler)


def _is_simulated_annealing(sampler: Any) -> bool:
    try:
        from dwave.samplers import SimulatedAnnealingSampler
    except ImportError:  # pragma: no cover - dwave-samplers is a dependency
        return False
    return isinstance(sampler, SimulatedAnnealingSampler)


def sampleset_to_array(sampleset: Any, n: int) -> np.ndarray:
    """``dimod.SampleSet`` -> samples of shape ``(m, n)`` ordered by variable label ``0..n-1``."""
    if n == 0:
        return np.zeros((len(sampleset), 0), dtype=np.int8)
    arr = np.asarray(sampleset.record.sample, dtype=np.int8)
    labels = list(sampleset.variables)
    order = np.argsort(np.asarray(labels, dtype=int))
    out = arr[:, order]
    # Spin-valued samplers return -1/+1; map to 0/1.
    return ((out + 1) // 2).astype(np.int8) if out.min(initial=0) < 0 else out


class DimodSolver:
    """Minimise QUBOs with any ``dimod.Sampler``: simulated annealing, tabu, a QPU through
    ``EmbeddingComposite(DWaveSampler())``, Leap's hybrid solver, ``MockDWaveSampler`` ...

    Args:
        sampler:
            The dimod sampler or composite. Keyword arguments it does not declare in
            ``sampler.parameters`` are not passed (``num_reads`` for the hybrid solver, say).
        num_reads:
            Reads per solve (where the sampler takes ``num_reads``). At least ``num_samples``
            reads are always requested. ``None``: 64, except for simulated annealing, where a
            QUBO wider than 32 bits gets fewer reads so that a solve costs about as much as
            64 reads of a dense 32-bit one (``SA_WORK``; at least ``num_samples`` reads).
        sample_kwargs:
            Extra keyword arguments for ``sampler.sample`` (``num_sweeps``, ``chain_strength``,
            ``time_limit`` ...).
    """

    def __init__(
        self,
        sampler: Any,
        *,
        num_reads: int | None = 64,
        sample_kwargs: dict[str, Any] | None = None,
        max_variables: int | None = None,
    ) -> None:
        if not hasattr(sampler, "sample"):
            raise ValueError(
                "DimodSolver needs a dimod.Sampler (an object with .sample(bqm)); got "
                f"{type(sampler).__name__}."
            )
        if num_reads is not None and (
            not isinstance(num_reads, (int, np.integer))
            or isinstance(num_reads, bool)
            or num_reads < 1
        ):
            raise ValueError(f"num_reads must be a positive integer or None; got {num_reads!r}.")
        self.sampler = sampler
        self.sample_kwargs = dict(sample_kwargs or {})
        self._max_variables = max_variables
        # dwave-samplers' simulated annealing: its default schedule, computed without its loop.
        self._default_beta_range = _is_simulated_annealing(sampler)
        self._auto_reads = num_reads is None and self._default_beta_range
        # Tabu without a timeout: one from the QUBO's size; without num_reads: reads too.
        self._tabu_timeout = _is_tabu(sampler) and "timeout" not in (sample_kwargs or {})
        self._auto_tabu = num_reads is None and self._tabu_timeout
        self.num_reads = _DEFAULT_READS if num_reads is None else int(num_reads)

    @property
    def max_variables(self) -> int | None:
        """The widest QUBO accepted: the given limit, else the sampler's advertised one."""
        if self._max_variables is not None:
            return self._max_variables
        props = getattr(self.sampler, "properties", {}) or {}
        value = props.get("maximum_number_of_variables")
        return int(value) if value is not None else None

    def __repr__(self) -> str:
        reads = "auto" if self._auto_reads or self._auto_tabu else self.num_reads
        return f"DimodSolver({type(self.sampler).__name__}, num_reads={reads})"

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult:
        n = qubo.num_variables
        if n == 0:
            return SolverResult(np.zeros((1, 0), dtype=np.int8), np.array([qubo.offset]), {})
        limit = self.max_variables
        if limit is not None and n > limit:
            raise ValueError(
                f"This QUBO has {n} variables but {type(self.sampler).__name__} accepts at most "
                f"{limit}. Use solver='simulated_annealing' (or 'tabu'), or a more compact "
                "encoding ('binary')."
            )
        bqm = qubo_to_bqm(qubo)
        params = getattr(self.sampler, "parameters", {}) or {}
        kwargs: dict[str, Any] = {}
        sweeps = self.sample_kwargs.get("num_sweeps")
        auto_schedule = self._auto_reads and "num_sweeps" in params and sweeps is None
        if auto_schedule:
            kwargs["num_reads"], kwargs["num_sweeps"] = annealing_schedule(
                n, bqm.num_interactions, num_samples, self.num_reads
            )
        elif "num_sweeps" in params and sweeps is None:
            # dwave-samplers' default is 1000 sweeps. On sampler-sized QUBOs (30 one-hot bits of a
            # NAS-Bench-201 cell, Thompson draws) 64 reads x 250 sweeps found the constrained
            # optimum as often as 64 x 1000 (82 % vs 83 % of 60 solves) in 40 % of the time;
            # on the 69-bit mixed space 250 sweeps found it as often as 552 (30 of 30 QUBOs),
            # with more distinct samples. Wider QUBOs get more sweeps (default_sweeps).
            sweeps = default_sweeps(n)
            kwargs["num_sweeps"] = sweeps
        if "num_reads" in params and not auto_schedule:
            reads = self.num_reads
            if self._auto_reads and isinstance(sweeps, (int, np.integer)) and sweeps > 0:
                reads = min(reads, SA_WORK // (int(sweeps) * (n + bqm.num_interactions)))
            kwargs["num_reads"] = max(reads, int(num_samples))
        if self._tabu_timeout:
            tabu_reads, kwargs["timeout"] = tabu_schedule(n, num_samples)
            if self._auto_tabu:
                kwargs["num_reads"] = tabu_reads
        if "seed" in params and seed is not None:
            kwargs["seed"] = int(seed) % (2**32)
        if "return_embedding" in params:
            kwargs["return_embedding"] = True
        if self._default_beta_range and not {"beta_range", "beta_schedule"} & set(
            self.sample_kwargs
        ):
            beta_range = ising_beta_range(bqm)
            if beta_range is not None:
                kwargs["beta_range"] = beta_range
        kwargs.update(self.sample_kwargs)
        start = time.perf_counter()
        sampleset = self.sampler.sample(bqm, **kwargs)
        elapsed = time.perf_counter() - start
        xs = sampleset_to_array(sampleset, n)
        info: dict[str, Any] = {
            "solver": type(self.sampler).__name__,
            "solve_seconds": round(elapsed, 6),
        }
        info.update(_sampleset_stats(sampleset))
        return SolverResult.from_samples(qubo, xs, num_samples, info)


def _sampleset_stats(sampleset: Any) -> dict[str, Any]:
    """Embedding and timing statistics that a QPU (or its mock) reports, JSON-serialisable."""
    stats: dict[str, Any] = {"num_reads_returned": int(sampleset.record.num_occurrences.sum())}
    names = sampleset.record.dtype.names or ()
    if "chain_break_fraction" in names:
        cbf = np.asarray(sampleset.record.chain_break_fraction, dtype=float)
        stats["chain_break_fraction_mean"] = float(cbf.mean())
        stats["chain_break_fraction_max"] = float(cbf.max())
    info = sampleset.info or {}
    ctx = info.get("embedding_context") or {}
    embedding = ctx.get("embedding")
    if embedding:
        lengths = [len(chain) for chain in embedding.values()]
        stats["num_physical_qubits"] = int(sum(lengths))
        stats["max_chain_length"] = int(max(lengths))
        stats["mean_chain_length"] = float(np.mean(lengths))
        if ctx.get("chain_strength") is not None:
            stats["chain_strength"] = float(ctx["chain_strength"])
    timing = info.get("timing")
    if isinstance(timing, dict):
        for key in ("qpu_access_time", "qpu_sampling_time", "qpu_anneal_time_per_sample"):
            if key in timing:
                stats[key] = float(timing[key])
    if "run_time" in info:
        stats["run_time"] = float(info["run_time"])
    return stats


_PRESETS = (
    "simulated_annealing",
    "tabu",
    "steepest_descent",
    "exact",
    "qpu",
    "hybrid",
    "decomposition",
)
_ALIASES = {
    "sa": "simulated_annealing",
    "neal": "simulated_annealing",
    "greedy": "steepest_descent",
}


def make_solver(
    name: str = "simulated_annealing", *, num_reads: int | None = None, **sample_kwargs: Any
) -> Any:
    """A solver from a preset name (a ``DimodSolver``, or a ``DecompositionSolver``).

    Args:
        name:
            ``"simulated_annealing"`` (default, local, dwave-samplers), ``"tabu"``,
            ``"steepest_descent"``, ``"exact"`` (brute force, for tests, <= ~20 bits),
            ``"qpu"`` (``EmbeddingComposite(DWaveSampler())``, needs D-Wave credentials) or
            ``"hybrid"`` (``LeapHybridSampler``, needs D-Wave credentials), or
            ``"decomposition"`` (:class:`optuna_qnas.solvers.DecompositionSolver`: dwave-hybrid's
            energy-impact decomposition with simulated-annealing subproblems, for wide QUBOs;
            keyword arguments go to its constructor).
        num_reads:
            Reads per solve; ``None``: 64, fewer for simulated annealing on QUBOs wider than 32
            bits (see :class:`DimodSolver`).
        sample_kwargs:
            Passed to ``sampler.sample``.

    .. note:: ``"qpu"`` and ``"hybrid"`` require ``dwave-system``
       (``pip install optuna-qnas[dwave]``) and a Leap token (``DWAVE_API_TOKEN`` or
       ``dwave config create``).
    """
    if not isinstance(name, str):
        raise ValueError(
            f"solver must be a preset name or a solver object; got {type(name).__name__}."
        )
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _PRESETS:
        raise ValueError(
            f"Unknown solver {name!r}. Use one of {', '.join(_PRESETS)}, or pass a "
            "dimod.Sampler / an object with solve(qubo, num_samples, seed)."
        )
    if key == "decomposition":
        from optuna_qnas.solvers._decomposition import DecompositionSolver

        if num_reads is not None:
            sample_kwargs.setdefault("initial_reads", num_reads)
        return DecompositionSolver(**sample_kwargs)
    if key in ("simulated_annealing", "tabu", "steepest_descent"):
        import dwave.samplers as ds

        cls: Any = {
            "simulated_annealing": ds.SimulatedAnnealingSampler,
            "tabu": ds.TabuSampler,
            "steepest_descent": ds.SteepestDescentSampler,
        }[key]
        # Tabu: without num_reads and timeout, a budget chosen from the QUBO's size
        # (tabu_schedule): its own default of 100 ms per read would dominate every trial.
        return DimodSolver(cls(), num_reads=num_reads, sample_kwargs=sample_kwargs)
    if key == "exact":
        import dimod

        # ExactSolver enumerates 2^n states in memory: 2^20 x 20 bytes is about 20 MB; 30 bits
        # would need tens of GB.
        return DimodSolver(
            dimod.ExactSolver(), num_reads=num_reads, sample_kwargs=sample_kwargs, max_variables=20
        )
    return DimodSolver(_cloud_sampler(key), num_reads=num_reads, sample_kwargs=sample_kwargs)


def _cloud_sampler(key: str) -> Any:
    """Build the QPU or hybrid sampler, turning any credential or connection failure into one
    clear error."""
    try:
        from dwave.system import DWaveSampler
        from dwave.system import EmbeddingComposite
        from dwave.system import LeapHybridSampler
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"The {key!r} solver needs dwave-system: pip install 'optuna-qnas[dwave]'."
        ) from exc
    if not _dwave_token_configured():
        raise ValueError(
            f"The {key!r} solver needs a D-Wave Leap API token: set the DWAVE_API_TOKEN "
            "environment variable or run `dwave config create`. Use "
            "solver='simulated_annealing' to run locally."
        )
    try:
        # dwave.cloud logs its whole configuration, token included, at DEBUG level while a
        # client is built: hold its loggers at INFO for that moment.
        with _quiet_cloud_logs():
            return EmbeddingComposite(DWaveSampler()) if key == "qpu" else LeapHybridSampler()
    except Exception as exc:
        # Never include the exception text: some cloud errors echo the request, token included.
        raise RuntimeError(
            f"Could not connect to D-Wave Leap for the {key!r} solver ({type(exc).__name__}). "
            "Check DWAVE_API_TOKEN / `dwave config inspect` and your network, or use "
            "solver='simulated_annealing'."
        ) from None


@contextlib.contextmanager
def _quiet_cloud_logs() -> Iterator[None]:
    loggers = [
        logging.getLogger(name) for name in ("dwave.cloud", "dwave.cloud.client", "dwave.system")
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        if lg.getEffectiveLevel() < logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _dwave_token_configured() -> bool:
    if os.environ.get("DWAVE_API_TOKEN"):
        return True
    try:
        from dwave.cloud.config import load_config

        return bool(load_config().get("token"))
    except Exception:
        return False


def as_solver(solver: Any, num_reads: int | None = None, *, what: str = "solver") -> Any:
    """A solver object from a preset name, a ``dimod.Sampler`` (wrapped in ``DimodSolver``) or
    an object with ``solve(qubo, num_samples, seed)`` (returned as it is)."""
    if isinstance(solver, str):
        return make_solver(solver, num_reads=num_reads)
    if callable(getattr(solver, "solve", None)):
        return solver
    if callable(getattr(solver, "sample", None)):
        return DimodSolver(solver, num_reads=num_reads)
    raise ValueError(
        f"{what} must be a preset name ({', '.join(_PRESETS)}), a dimod.Sampler, or an object "
        f"with solve(qubo, num_samples, seed); got {type(solver).__name__}."
    )
