"""BOCS Ising sparsification on a long grid, with exact partition functions.

The benchmark of Baptista and Poloczek (BOCS, ICML 2018): a zero-field Ising model ``p`` on a
grid graph with spins ``s_i in {-1, +1}``,

    p(s) = exp(s^T Theta s) / Z_p = exp(2 sum_e theta_e s_i s_j) / Z_p

(``Theta`` symmetric, so each edge ``e = (i, j)`` counts twice), is approximated by ``q_x``, the
same model with only the edges ``x_e = 1`` kept. The cost to minimise is

    f(x) = KL(p || q_x) + lambda * sum_e x_e,
    KL(p || q_x) = 2 sum_{e: x_e = 0} theta_e E_p[s_i s_j] + log Z_q(x) - log Z_p.

As in BOCS, each coupling is ``theta_e = sign_e * u_e`` with a random sign and
``u_e ~ U(0.05, 5)``, drawn from the problem seed. BOCS used a 4 x 4 grid (24 edges, exact by
enumerating the 2^16 states); here the grid has few rows and many columns (4 x 30 with free
boundaries: 90 vertical + 116 horizontal = 206 edges, one bit each), and both partition functions
and the edge moments ``E_p[s_i s_j]`` are computed exactly by a transfer matrix over the columns
(``2^rows`` states per column, ``O(cols * 4^rows)`` work per evaluation). The objective is exact
and deterministic for a given seed; it has no noise. Keeping every edge gives ``KL = 0`` and the
cost ``lambda * n_edges``; the optimum drops the edges whose loss of fit costs less than
``lambda`` each, which depends on the other edges dropped (non-separable).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from optuna_qnas.problems._base import Problem


ROWS = 4
COLS = 30
L1_PENALTY = 0.01
COUPLING_RANGE = (0.05, 5.0)


def grid_edges(rows: int, cols: int) -> np.ndarray:
    """The edges of a ``rows x cols`` grid with free boundaries, shape ``(n_edges, 2)``.

    Spin ``(r, c)`` has index ``c * rows + r``. Edges are ordered column by column: the
    ``rows - 1`` vertical edges inside column ``c`` (top to bottom), then the ``rows`` horizontal
    edges from column ``c`` to ``c + 1``.
    """
    if rows < 1 or cols < 1:
        raise ValueError(f"A grid needs rows >= 1 and cols >= 1; got {rows} x {cols}.")
    edges: list[tuple[int, int]] = []
    for c in range(cols):
        edges += [(c * rows + r, c * rows + r + 1) for r in range(rows - 1)]
        if c + 1 < cols:
            edges += [(c * rows + r, (c + 1) * rows + r) for r in range(rows)]
    return np.array(edges, dtype=np.int64).reshape(-1, 2)


class _Grid:
    """The transfer-matrix bookkeeping of one grid: column states and edge positions."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.edges = grid_edges(rows, cols)
        # (2^rows, rows) spins of every column state.
        codes = np.arange(2**rows)[:, None] >> np.arange(rows)[None, :]
        self.states = np.where(codes & 1, 1.0, -1.0)
        # Per column: the indices (into the edge list) of its vertical and outgoing edges.
        self.vertical: list[np.ndarray] = []
        self.horizontal: list[np.ndarray] = []
        k = 0
        for c in range(cols):
            self.vertical.append(np.arange(k, k + rows - 1))
            k += rows - 1
            n_out = rows if c + 1 < cols else 0
            self.horizontal.append(np.arange(k, k + n_out))
            k += n_out
        # Products s_r s_{r+1} inside a column state, and s_r(a) s_r(b) across two states.
        self.v_prod = self.states[:, :-1] * self.states[:, 1:]  # (2^R, R-1)
        self.h_prod = self.states[:, None, :] * self.states[None, :, :]  # (2^R, 2^R, R)

    def fields(self, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Log-weights ``2 sum theta s s``: inside each column ``(2^R,)`` and between columns
        ``(2^R, 2^R)``."""
        u = [2.0 * self.v_prod @ theta[idx] for idx in self.vertical]
        w = [2.0 * self.h_prod @ theta[idx] for idx in self.horizontal[:-1]]
        return u, w

    def log_partition(self, theta: np.ndarray) -> float:
        """``log Z`` by a scaled forward pass over the columns."""
        u, w = self.fields(theta)
        shift = float(u[0].max())
        alpha = np.exp(u[0] - shift)
        log_z = shift
        for c in range(1, self.cols):
            wmax = float(w[c - 1].max())
            umax = float(u[c].max())
            alpha = (alpha @ np.exp(w[c - 1] - wmax)) * np.exp(u[c] - umax)
            norm = float(alpha.sum())
            alpha /= norm
            log_z += wmax + umax + np.log(norm)
        return float(log_z + np.log(alpha.sum()))

    def edge_moments(self, theta: np.ndarray) -> np.ndarray:
        """``E_p[s_i s_j]`` of every edge under ``p(s) ~ exp(2 sum theta s s)``, exactly."""
        u, w = self.fields(theta)
        n_states = len(self.states)
        log_alpha = [u[0]]
        for c in range(1, self.cols):
            log_alpha.append(u[c] + _logsumexp(log_alpha[-1][:, None] + w[c - 1], axis=0))
        log_beta = [np.zeros(n_states)] * self.cols
        for c in range(self.cols - 2, -1, -1):
            log_beta[c] = _logsumexp(w[c] + (u[c + 1] + log_beta[c + 1])[None, :], axis=1)
        moments = np.zeros(len(self.edges))
        for c in range(self.cols):
            single = log_alpha[c] + log_beta[c]
            p_col = np.exp(single - _logsumexp(single, axis=0))
            moments[self.vertical[c]] = p_col @ self.v_prod
            if c + 1 < self.cols:
                pair = log_alpha[c][:, None] + w[c] + (u[c + 1] + log_beta[c + 1])[None, :]
                p_pair = np.exp(pair - _logsumexp(pair.ravel(), axis=0))
                moments[self.horizontal[c]] = np.einsum("ab,abr->r", p_pair, self.h_prod)
        return moments


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def ising_log_partition(rows: int, cols: int, theta: np.ndarray) -> float:
    """``log sum_s exp(2 sum_e theta_e s_i s_j)`` on a ``rows x cols`` grid (edge order of
    :func:`grid_edges`), exactly, by a transfer matrix over the columns."""
    grid = _Grid(rows, cols)
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (len(grid.edges),):
        raise ValueError(f"theta must have shape ({len(grid.edges)},); got {theta.shape}.")
    return grid.log_partition(theta)


class IsingSparsificationObjective:
    """``trial -> KL(p || q_x) + lambda |x|_1`` (see the module docstring).

    Args:
        seed:
            Seed of the couplings (fixed for the problem instance).
        rows, cols:
            Grid shape; the transfer matrix has ``2^rows`` states, so keep ``rows`` small.
        l1_penalty:
            ``lambda``, the cost of each kept edge.
        integer_view:
            Suggest each edge as ``IntDistribution(0, 1)`` instead of categorical ``(0, 1)``.
    """

    def __init__(
        self,
        *,
        seed: int,
        rows: int = ROWS,
        cols: int = COLS,
        l1_penalty: float = L1_PENALTY,
        integer_view: bool = False,
    ) -> None:
        if not 1 <= rows <= 8:
            raise ValueError(f"rows must be between 1 and 8 (2^rows column states); got {rows}.")
        if l1_penalty < 0:
            raise ValueError(f"l1_penalty must be >= 0; got {l1_penalty}.")
        self._grid = _Grid(rows, cols)
        n_edges = len(self._grid.edges)
        if n_edges == 0:
            raise ValueError(f"A {rows} x {cols} grid has no edges; use a larger grid.")
        rng = np.random.default_rng(seed)
        signs = rng.integers(0, 2, size=n_edges) * 2 - 1
        low, high = COUPLING_RANGE
        self.theta = signs * rng.uniform(low, high, size=n_edges)
        self.l1_penalty = float(l1_penalty)
        self._log_zp = self._grid.log_partition(self.theta)
        self._moments = self._grid.edge_moments(self.theta)
        self._integer_view = bool(integer_view)
        width = len(str(n_edges - 1))
        self.names = [f"e{i:0{width}d}" for i in range(n_edges)]

    @property
    def n_edges(self) -> int:
        return len(self.theta)

    def kl(self, x: np.ndarray) -> float:
        """``KL(p || q_x)`` for the kept-edge indicator ``x`` (``(n_edges,)`` of 0/1)."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_edges,):
            raise ValueError(f"x must have shape ({self.n_edges},); got {x.shape}.")
        removed = 1.0 - x
        log_zq = self._grid.log_partition(self.theta * x)
        value = 2.0 * float(np.dot(removed * self.theta, self._moments)) + log_zq - self._log_zp
        return max(value, 0.0)  # rounding can leave -1e-13 where q = p

    def cost(self, x: np.ndarray) -> float:
        """The objective: ``KL(p || q_x) + lambda * sum(x)``."""
        return self.kl(x) + self.l1_penalty * float(np.sum(x))

    def __call__(self, trial: Any) -> float:
        if self._integer_view:
            x = [trial.suggest_int(name, 0, 1) for name in self.names]
        else:
            x = [trial.suggest_categorical(name, (0, 1)) for name in self.names]
        return self.cost(np.array(x))


def _make(seed: int, *, rows: int, cols: int, integer_view: bool) -> IsingSparsificationObjective:
    return IsingSparsificationObjective(seed=seed, rows=rows, cols=cols, integer_view=integer_view)


def ising_problem(rows: int = ROWS, cols: int = COLS) -> Problem:
    """The ``ising-sparsification-<rows>x<cols>`` problem."""
    n_edges = len(grid_edges(rows, cols))
    return Problem(
        name=f"ising-sparsification-{rows}x{cols}",
        make_objective=partial(_make, rows=rows, cols=cols, integer_view=False),
        make_integer_objective=partial(_make, rows=rows, cols=cols, integer_view=True),
        directions=("minimize",),
        description=describe(rows, cols),
        attrs={"metric": "kl+l1", "n_edges": n_edges, "l1_penalty": L1_PENALTY},
    )


def describe(rows: int, cols: int) -> str:
    """One-line description of the Ising sparsification problem on a ``rows x cols`` grid."""
    n_edges = (rows - 1) * cols + rows * (cols - 1)
    return (
        f"BOCS Ising sparsification on a {rows}x{cols} grid: keep or drop each of {n_edges} "
        f"edges, minimise KL(p || q) + {L1_PENALTY} x kept edges (exact, transfer matrix)"
    )
