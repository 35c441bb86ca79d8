"""A solver wrapper that adds an encoding's penalty and raises it until most samples are valid.

Like a dimod composite: it holds a child solver, has the same ``solve`` interface, and changes
the problem the child sees. Penalties that are too strong build energy barriers that single-flip
annealing cannot cross; too weak, and the lowest samples are invalid codes. The schedule starts
at ``start_ratio`` times the model's largest single-bit energy change and doubles the strength
until at least ``target_feasible`` of the returned samples are valid codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult


#: The ratio a schedule starts from when nothing is known about the QUBO family.
DEFAULT_START_RATIO = 0.25


class PenaltySolver:
    """Solve ``qubo + strength * penalty`` with a child solver, doubling ``strength`` as needed.

    Args:
        child:
            Any :class:`~optuna_qnas.solvers.QUBOSolver`.
        penalty:
            A QUBO that is 0 on valid codes and at least 1 on invalid ones (for instance
            :meth:`optuna_qnas.SearchSpaceEncoding.penalty`).
        feasible:
            ``bits (m, n) -> (m,) bool``: which samples are valid codes.
        start_ratio:
            First strength, in units of the model's largest single-bit energy change.
        max_doublings:
            How often the strength may double within one solve.
        target_feasible:
            Fraction of valid samples that ends the schedule.
        easy_feasible:
            Fraction of valid samples at the first try above which the next solve of a similar
            QUBO may start from half the ratio (so that the penalty can come down again).
        max_child_solves:
            Solves by ``child`` per call at most (``None``: no limit); the schedule's later
            tries go to ``fallback``. For a child that costs seconds per solve (Grover search),
            with a fast ``fallback`` such as simulated annealing.
        fallback:
            Solves the tries beyond ``max_child_solves``; required with it.

    ``solve`` adds to the result's ``info``: ``penalty_strength`` (the strength used) and
    ``next_penalty_ratio`` (where the next solve of a similar QUBO should start: the ratio that
    worked, half of it after an easy first try, or twice the last one when the doublings ran
    out).
    """

    def __init__(
        self,
        child: Any,
        penalty: QUBO,
        feasible: Callable[[np.ndarray], np.ndarray],
        *,
        start_ratio: float = DEFAULT_START_RATIO,
        max_doublings: int = 6,
        target_feasible: float = 0.8,
        easy_feasible: float = 0.95,
        max_child_solves: int | None = None,
        fallback: Any = None,
    ) -> None:
        if not start_ratio > 0:
            raise ValueError(f"start_ratio must be > 0; got {start_ratio!r}.")
        if max_doublings < 0:
            raise ValueError(f"max_doublings must be >= 0; got {max_doublings!r}.")
        if max_child_solves is not None:
            if max_child_solves < 1:
                raise ValueError(f"max_child_solves must be >= 1; got {max_child_solves!r}.")
            if fallback is None:
                raise ValueError(
                    "max_child_solves needs a fallback solver for the later tries; pass "
                    "fallback=... (for instance make_solver('simulated_annealing'))."
                )
        self.child = child
        self.max_child_solves = max_child_solves
        self.fallback = fallback
        self.penalty = penalty
        self.feasible = feasible
        self.start_ratio = float(start_ratio)
        self.max_doublings = int(max_doublings)
        self.target_feasible = float(target_feasible)
        self.easy_feasible = float(easy_feasible)
        self.min_ratio = DEFAULT_START_RATIO
        self.max_ratio = DEFAULT_START_RATIO * 2**self.max_doublings

    @property
    def max_variables(self) -> int | None:
        return getattr(self.child, "max_variables", None)

    def solve(
        self,
        qubo: QUBO,
        num_samples: int,
        seed: int | None = None,
        *,
        rng: np.random.RandomState | None = None,
    ) -> SolverResult:
        """Minimise ``qubo`` over valid codes.

        Every child solve gets its own seed, drawn from ``rng`` (a caller that solves several
        QUBOs in a row passes its generator) or from a generator seeded with ``seed``.
        """
        rng = rng if rng is not None else np.random.RandomState(seed)
        has_penalty = bool(np.any(self.penalty.linear) or np.any(self.penalty.quadratic))
        ratio = self.start_ratio
        scale = float(np.max(qubo.max_flip_delta(), initial=0.0))
        strength = ratio * scale if has_penalty else 0.0
        if has_penalty and strength <= 0:
            strength = 1.0  # a constant model: any positive penalty
        result: SolverResult | None = None
        next_ratio = ratio
        seconds = 0.0  # the solves' own times, where the solvers report them
        for attempt in range(self.max_doublings + 1):
            problem = qubo + self.penalty.scaled(strength)
            limit = self.max_child_solves
            solver = self.child if limit is None or attempt < limit else self.fallback
            result = solver.solve(problem, num_samples, int(rng.randint(2**31 - 1)))
            seconds += float(result.info.get("solve_seconds", 0.0))
            if not has_penalty or result.samples.shape[0] == 0:
                break
            valid = float(self.feasible(result.samples).mean())
            if valid >= self.target_feasible:
                next_ratio = ratio
                if attempt == 0 and valid >= self.easy_feasible:
                    next_ratio = max(ratio / 2.0, self.min_ratio)
                break
            next_ratio = min(2.0 * ratio, self.max_ratio)
            if attempt == self.max_doublings:
                break
            strength *= 2.0
            ratio *= 2.0
        assert result is not None
        if result.samples.shape[0] == 0:
            raise RuntimeError(f"The solver {solver!r} returned no samples.")
        result.info["penalty_strength"] = strength
        result.info["next_penalty_ratio"] = next_ratio
        result.info["solves"] = attempt + 1
        result.info["solves_seconds"] = round(seconds, 6)
        return result

    def __repr__(self) -> str:
        return f"PenaltySolver({self.child!r}, start_ratio={self.start_ratio})"
