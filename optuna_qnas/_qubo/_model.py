"""The QUBO value object: ``E(x) = offset + linear . x + x^T Q x`` over ``x in {0, 1}^n``.

Plain numpy; converting to ``dimod.BinaryQuadraticModel`` or a qiskit ``QuadraticProgram`` is
the solver adapters' job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


#: Above this many variables energies are computed with a matrix product (the einsum's summation
#: order is kept below it, so that ties between samples break as they always did).
WIDE = 128


@dataclass(frozen=True)
class QUBO:
    """A quadratic unconstrained binary optimisation problem.

    Args:
        linear:
            Shape ``(n,)``: the coefficient of each bit.
        quadratic:
            Shape ``(n, n)``, strictly upper triangular: ``quadratic[i, j]`` (``i < j``) is the
            coefficient of ``x_i x_j``. The constructor :meth:`from_dense` folds any square
            matrix (diagonal into ``linear``, lower triangle into the upper one).
        offset:
            A constant added to every energy.
    """

    linear: np.ndarray  # (n,)
    quadratic: np.ndarray  # (n, n), strictly upper triangular
    offset: float = 0.0

    def __post_init__(self) -> None:
        lin = np.asarray(self.linear, dtype=float)
        quad = np.asarray(self.quadratic, dtype=float)
        n = lin.shape[0]
        if lin.ndim != 1 or quad.shape != (n, n):
            raise ValueError(
                f"QUBO needs linear of shape (n,) and quadratic of shape (n, n); got {lin.shape} "
                f"and {quad.shape}."
            )
        if np.any(np.tril(quad) != 0):
            raise ValueError(
                "QUBO.quadratic must be strictly upper triangular; use QUBO.from_dense."
            )
        if not (
            np.all(np.isfinite(lin)) and np.all(np.isfinite(quad)) and np.isfinite(self.offset)
        ):
            raise ValueError("QUBO coefficients must be finite.")
        object.__setattr__(self, "linear", lin)
        object.__setattr__(self, "quadratic", quad)
        object.__setattr__(self, "offset", float(self.offset))

    @classmethod
    def _unchecked(cls, linear: np.ndarray, quadratic: np.ndarray, offset: float) -> QUBO:
        """A QUBO from parts already known to be valid (the results of arithmetic on QUBOs): the
        checks of the constructor cost milliseconds on a 2,000-bit matrix."""
        qubo = object.__new__(cls)
        object.__setattr__(qubo, "linear", linear)
        object.__setattr__(qubo, "quadratic", quadratic)
        object.__setattr__(qubo, "offset", float(offset))
        return qubo

    @classmethod
    def from_dense(
        cls, matrix: np.ndarray, linear: np.ndarray | None = None, offset: float = 0.0
    ) -> QUBO:
        """Build from any square matrix ``M`` with ``E(x) = x^T M x (+ linear . x) + offset``."""
        m = np.asarray(matrix, dtype=float)
        n = m.shape[0]
        lin = np.diag(m).copy() + (
            np.zeros(n) if linear is None else np.asarray(linear, dtype=float)
        )
        quad = np.triu(m, 1) + np.tril(m, -1).T
        return cls(lin, quad, offset)

    @classmethod
    def zeros(cls, n: int) -> QUBO:
        return cls(np.zeros(n), np.zeros((n, n)), 0.0)

    @property
    def num_variables(self) -> int:
        return int(self.linear.shape[0])

    def energies(self, x: np.ndarray) -> np.ndarray:
        """Energies of bitstrings ``x`` of shape ``(m, n)`` (or ``(n,)``), shape ``(m,)`` (or
        scalar)."""
        xs = np.atleast_2d(np.asarray(x, dtype=float))  # (m, n)
        if self.num_variables > WIDE:
            quad = ((xs @ self.quadratic) * xs).sum(axis=1)  # BLAS; einsum is 10x slower here
        else:
            quad = np.einsum("mi,ij,mj->m", xs, self.quadratic, xs)
        e = self.offset + xs @ self.linear + quad
        return e if np.ndim(x) == 2 else e[0]

    def __add__(self, other: QUBO) -> QUBO:
        if other.num_variables != self.num_variables:
            raise ValueError("Cannot add QUBOs over different numbers of variables.")
        return QUBO._unchecked(
            self.linear + other.linear,
            self.quadratic + other.quadratic,
            self.offset + other.offset,
        )

    def scaled(self, factor: float) -> QUBO:
        if not np.isfinite(factor):
            raise ValueError(f"QUBO.scaled needs a finite factor; got {factor!r}.")
        return QUBO._unchecked(self.linear * factor, self.quadratic * factor, self.offset * factor)

    def max_abs_coefficient(self) -> float:
        """The largest absolute linear or quadratic coefficient (0 for an empty QUBO)."""
        if self.num_variables == 0:
            return 0.0
        return float(max(np.abs(self.linear).max(), np.abs(self.quadratic).max()))

    def max_flip_delta(self) -> np.ndarray:
        """Per bit, an upper bound on ``|E(x with bit i flipped) - E(x)|`` over all ``x``, shape
        ``(n,)``."""
        if self.num_variables > WIDE:  # the same sums without a transposed copy
            a = np.abs(self.quadratic)
            return np.abs(self.linear) + a.sum(axis=1) + a.sum(axis=0)
        sym = np.abs(self.quadratic) + np.abs(self.quadratic).T
        return np.abs(self.linear) + sym.sum(axis=1)

    def flip_deltas(self, x: np.ndarray) -> np.ndarray:
        """Energy change of flipping each bit of ``x`` (shape (n,)); negative means the flip
        improves."""
        xf = np.asarray(x, dtype=float)
        field = self.linear + (self.quadratic + self.quadratic.T) @ xf
        return (1.0 - 2.0 * xf) * field

    def restricted(self, free: np.ndarray, fixed_values: np.ndarray) -> QUBO:
        """The QUBO over the bits ``free`` (indices) with all other bits fixed to ``fixed_values``
        (shape (n,))."""
        free = np.asarray(free, dtype=int)
        mask = np.zeros(self.num_variables, dtype=bool)
        mask[free] = True
        x_fixed = np.where(mask, 0.0, np.asarray(fixed_values, dtype=float))
        sym = self.quadratic + self.quadratic.T
        lin = self.linear[free] + sym[np.ix_(free, ~mask)] @ x_fixed[~mask]
        # Re-fold so that the result is strictly upper triangular in the order of ``free``.
        sub = self.quadratic[np.ix_(free, free)]
        quad = np.triu(sub, 1) + np.tril(sub, -1).T
        offset = float(self.energies(x_fixed))
        return QUBO(lin, quad, offset)

    def brute_force(self) -> tuple[np.ndarray, np.ndarray]:
        """All ``2^n`` bitstrings (shape ``(2^n, n)``) and their energies; an oracle for
        n <= 20."""
        n = self.num_variables
        if n > 20:
            raise ValueError(
                f"brute_force enumerates 2^n states; n={n} is too large (use n <= 20)."
            )
        xs = ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.int8)
        return xs, self.energies(xs)
