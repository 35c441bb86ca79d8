"""Solve a QUBO wider than a circuit allows: a classical incumbent improved by sub-QUBO solves.

In the spirit of dwave-hybrid's ``EnergyImpactDecomposer`` + ``SplatComposer`` loop (our own
implementation): keep an incumbent (simulated annealing), rank the variables by how promising a
flip is at the incumbent (the single-flip energy change, lowest first), solve the sub-QUBO of the
``width`` top-ranked variables with the other variables clamped (``QUBO.restricted``), splice the
sub-solutions into the incumbent, and accept an improvement. Without improvement the window rolls
on by half its width along the ranking, so successive rounds cover every variable; with one the
ranking is recomputed around the new incumbent.

Numpy only, apart from the incumbent's annealer (dwave-samplers, a core dependency, imported
lazily).
"""

from __future__ import annotations

from collections.abc import Callable
import math
from typing import Any

import numpy as np

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult


def anneal_incumbents(qubo: QUBO, num_reads: int, seed: int | None) -> np.ndarray:
    """Low-energy samples from simulated annealing (dwave-samplers), shape (num_reads, n)."""
    from dwave.samplers import SimulatedAnnealingSampler

    from optuna_qnas.solvers._dimod import DimodSolver

    res = DimodSolver(SimulatedAnnealingSampler(), num_reads=num_reads).solve(
        qubo, num_reads, seed=seed
    )
    return res.samples


def decomposed_solve(
    qubo: QUBO,
    sub_solve: Callable[[QUBO, int, int | None], SolverResult],
    *,
    width: int,
    num_samples: int,
    seed: int | None,
    max_rounds: int | None = None,
    incumbent_reads: int = 16,
) -> SolverResult:
    """Minimise ``qubo`` by solving sub-QUBOs of at most ``width`` variables with ``sub_solve``.

    Args:
        qubo:
            The full QUBO (any width).
        sub_solve:
            ``(sub_qubo, num_samples, seed) -> SolverResult`` (a QAOA / VQE / Grover solve).
        width:
            Variables per sub-QUBO (the circuit's qubit budget).
        num_samples:
            Distinct full samples to return.
        seed:
            Seeds the incumbent's annealer and each sub-solve.
        max_rounds:
            Sub-solves at most; default ``ceil(n / width) + 1`` (every variable offered at least
            once).
        incumbent_reads:
            Annealing reads for the starting incumbent.
    """
    n = qubo.num_variables
    if width < 1:
        raise ValueError(f"Decomposition needs a sub-problem width >= 1; got {width}.")
    rounds = max_rounds if max_rounds is not None else math.ceil(n / width) + 1
    rng = np.random.default_rng(seed)
    pool: dict[bytes, np.ndarray] = {}

    def add(rows: np.ndarray) -> None:
        for row in np.atleast_2d(rows):
            pool.setdefault(row.astype(np.int8).tobytes(), row.astype(np.int8))

    start = anneal_incumbents(
        qubo, max(incumbent_reads, num_samples), None if seed is None else int(rng.integers(2**31))
    )
    add(start)
    incumbent = start[0].copy()
    best_e = float(qubo.energies(incumbent))
    initial_e = best_e
    offset = 0
    ranking = np.argsort(qubo.flip_deltas(incumbent), kind="stable")
    improvements = 0
    sub_infos: list[dict[str, Any]] = []
    done = 0
    covered = np.zeros(n, dtype=bool)
    for _ in range(rounds):
        window = np.sort(np.roll(ranking, -offset)[: min(width, n)])
        fixed = incumbent.copy()
        sub = qubo.restricted(window, fixed)
        res = sub_solve(sub, num_samples, None if seed is None else int(rng.integers(2**31)))
        done += 1
        sub_infos.append(
            {
                k: v
                for k, v in res.info.items()
                if k in ("circuit_evaluations", "solve_seconds", "optimal_point", "warm_started")
            }
        )
        full = np.repeat(incumbent[None, :], len(res.samples), axis=0)
        full[:, window] = res.samples
        add(full)
        e = qubo.energies(full)
        b = int(np.argmin(e)) if len(e) else -1
        improved = b >= 0 and e[b] < best_e - 1e-12
        if improved:
            incumbent, best_e = full[b].copy(), float(e[b])
            improvements += 1
            ranking = np.argsort(qubo.flip_deltas(incumbent), kind="stable")
            offset = 0
            covered = np.zeros(n, dtype=bool)
        else:
            offset += max(1, width // 2)
        covered[window] = True
        if covered.all() and not improved:
            break  # every variable was offered around this incumbent without an improvement
    samples = np.stack(list(pool.values()))
    info = {
        "decomposed": True,
        "decomposition_width": int(width),
        "decomposition_rounds": done,
        "decomposition_improvements": improvements,
        "incumbent_energy_initial": initial_e,
        "incumbent_energy_final": best_e,
        "circuit_evaluations": int(sum(int(s.get("circuit_evaluations", 0)) for s in sub_infos)),
    }
    variational = [s for s in sub_infos if "optimal_point" in s]
    if variational:
        # The last sub-solve's angles (where the next solve's warm start begins) and whether it
        # was warm-started itself, as an undecomposed solve records them.
        info["optimal_point"] = variational[-1]["optimal_point"]
        info["warm_started"] = bool(variational[-1].get("warm_started", False))
    return SolverResult.from_samples(qubo, samples, num_samples, info)
