"""Sparse random QUBOs with a planted ground state (frustrated loops, Hen et al. 2015).

The construction of Hen, Job, Albash, Lanting, Lidar and Hen ("Probing for quantum speedup in
spin-glass problems with planted solutions", Phys. Rev. A 92, 042325, 2015), on a periodic
``rows x cols`` square lattice (a torus; every spin has 4 neighbours):

1. Draw a planted spin configuration ``s*`` in ``{-1, +1}^N`` from the instance seed.
2. Draw ``M = alpha N`` loops. Each loop is a non-backtracking random walk on the lattice from a
   random site, stopped when it steps onto a site it has visited: the loop is the closed part
   of the walk (a simple cycle), kept if its length is ``L >= 6`` (shorter ones are redrawn).
3. Give every edge of the loop the coupling ``J_ij = -s*_i s*_j`` (satisfied by ``s*``: it adds
   ``-1`` to the energy) except one edge, chosen at random, which gets ``J_ij = +s*_i s*_j``
   (frustrated: ``+1``). The product of the loop's couplings around the cycle is then frustrated,
   so no configuration satisfies all of them and the loop's lowest energy is ``-(L - 2)``, which
   ``s*`` attains.
4. Sum the loops' couplings. A loop that would push some ``|J_ij|`` above ``R`` is redrawn.

The energy ``E(s) = sum_{ij} J_ij s_i s_j`` is the sum of the loops' energies and ``s*``
minimises each of them, so ``s*`` is a ground state and ``E_0 = sum_loops -(L - 2)`` is the
minimum, known by construction. The sites are relabelled by a random permutation (also from the
instance seed), so the variable order says nothing about the lattice.

The registered problems use one fixed instance (instance seed :data:`INSTANCE_SEED`), like a
tabular benchmark's fixed table, so that their optimum ``E_0`` is one known number; the problem
seed draws the evaluation noise only.

Each variable is a bit ``b_i in {0, 1}`` with ``s_i = 2 b_i - 1``; ``E`` is then a QUBO in ``b``
plus a constant. An evaluation returns ``E(b)`` plus Gaussian noise of standard deviation
:data:`NOISE_STD` drawn from ``numpy.random.default_rng([problem_seed, trial.number])`` (the same
noise stream for every sampler run with that seed), and records the noise-free energy in the
trial's ``true_value`` user attribute, which the comparison tool scores.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from optuna_qnas.problems._base import Problem


TRUE_VALUE_ATTR = "true_value"
INSTANCE_SEED = 0
LOOP_DENSITY = 0.5
COUPLING_CAP = 3
NOISE_STD = 1.0
MIN_LOOP = 6
#: Registry size -> torus shape.
SHAPES = {500: (20, 25), 2000: (40, 50)}


def _torus_neighbours(rows: int, cols: int) -> np.ndarray:
    """``(N, 4)`` neighbours (up, down, left, right) of every site ``r * cols + c``."""
    r, c = np.divmod(np.arange(rows * cols), cols)
    return np.stack(
        [
            ((r - 1) % rows) * cols + c,
            ((r + 1) % rows) * cols + c,
            r * cols + (c - 1) % cols,
            r * cols + (c + 1) % cols,
        ],
        axis=1,
    )


def _walk_loop(nbrs: np.ndarray, rng: np.random.Generator) -> list[int]:
    """A simple cycle: a non-backtracking walk stopped at its first revisit, closed part only."""
    start = int(rng.integers(len(nbrs)))
    path = [start]
    position = {start: 0}
    previous = -1
    while True:
        options = [int(v) for v in nbrs[path[-1]] if v != previous]
        nxt = options[int(rng.integers(len(options)))]
        if nxt in position:
            return path[position[nxt] :]
        previous = path[-1]
        position[nxt] = len(path)
        path.append(nxt)


class PlantedInstance:
    """One frustrated-loop instance: couplings on a torus with a planted ground state.

    Args:
        rows, cols:
            Torus shape (``rows, cols >= 3``); ``N = rows * cols`` variables.
        seed:
            Fixes the planted state, the loops and the relabelling.
        loop_density:
            ``alpha``: ``M = round(alpha N)`` loops.
        coupling_cap:
            ``R``: no summed coupling exceeds ``R`` in absolute value.

    Attributes:
        edges: ``(n_edges, 2)`` variable pairs with a non-zero coupling.
        couplings: ``(n_edges,)`` integer couplings ``J_ij``.
        planted: ``(N,)`` the planted ground state as bits (``b = (s + 1) / 2``).
        ground_energy: ``E_0``, the energy of the planted state (the minimum).
        loop_lengths: the length of each loop.
    """

    def __init__(
        self,
        rows: int,
        cols: int,
        *,
        seed: int,
        loop_density: float = LOOP_DENSITY,
        coupling_cap: int = COUPLING_CAP,
    ) -> None:
        if rows < 3 or cols < 3:
            raise ValueError(f"The torus needs rows >= 3 and cols >= 3; got {rows} x {cols}.")
        if not loop_density > 0:
            raise ValueError(f"loop_density must be > 0; got {loop_density}.")
        if coupling_cap < 1:
            raise ValueError(f"coupling_cap must be >= 1; got {coupling_cap}.")
        n = rows * cols
        rng = np.random.default_rng(seed)
        spins = rng.integers(0, 2, size=n) * 2 - 1
        nbrs = _torus_neighbours(rows, cols)
        n_loops = max(1, int(round(loop_density * n)))
        coupling: dict[tuple[int, int], int] = {}
        lengths: list[int] = []
        attempts = 0
        while len(lengths) < n_loops:
            attempts += 1
            if attempts > 100 * n_loops:
                raise ValueError(
                    f"Could not place {n_loops} loops under the coupling cap {coupling_cap}; "
                    "lower loop_density or raise coupling_cap."
                )
            loop = _walk_loop(nbrs, rng)
            if len(loop) < MIN_LOOP:
                continue
            pairs = [(loop[k], loop[(k + 1) % len(loop)]) for k in range(len(loop))]
            keys = [(min(a, b), max(a, b)) for a, b in pairs]
            frustrated = int(rng.integers(len(keys)))
            delta = [
                (1 if k == frustrated else -1) * int(spins[a] * spins[b])
                for k, (a, b) in enumerate(keys)
            ]
            if any(abs(coupling.get(key, 0) + d) > coupling_cap for key, d in zip(keys, delta)):
                continue
            for key, d in zip(keys, delta):
                coupling[key] = coupling.get(key, 0) + d
            lengths.append(len(loop))
        # Relabel the sites: variable label[site].
        label = rng.permutation(n)
        items = [(k, j) for k, j in sorted(coupling.items()) if j != 0]
        self.n_variables = n
        self.edges = np.array([[label[a], label[b]] for (a, b), _ in items], dtype=np.int64)
        self.edges = self.edges.reshape(-1, 2)
        self.couplings = np.array([j for _, j in items], dtype=float)
        planted_spins = np.empty(n, dtype=np.int64)
        planted_spins[label] = spins
        self.planted = (planted_spins + 1) // 2
        self.loop_lengths = np.array(lengths, dtype=np.int64)
        self.ground_energy = float(-(self.loop_lengths - 2).sum())

    def energy(self, bits: np.ndarray) -> float:
        """``E = sum J_ij s_i s_j`` of one configuration of bits (``s = 2 b - 1``)."""
        s = 2.0 * np.asarray(bits, dtype=float) - 1.0
        if s.shape != (self.n_variables,):
            raise ValueError(f"bits must have shape ({self.n_variables},); got {s.shape}.")
        return float(np.dot(self.couplings, s[self.edges[:, 0]] * s[self.edges[:, 1]]))

    def energies(self, bits: np.ndarray) -> np.ndarray:
        """Energies of a batch of configurations, ``(k, N) -> (k,)``."""
        s = 2.0 * np.asarray(bits, dtype=float) - 1.0
        return (s[:, self.edges[:, 0]] * s[:, self.edges[:, 1]]) @ self.couplings


class PlantedQUBOObjective:
    """``trial -> E(b) + noise`` over a :class:`PlantedInstance` (see the module docstring).

    Args:
        rows, cols:
            Torus shape.
        seed:
            With ``trial.number``, fixes the noise of every evaluation.
        instance_seed:
            Fixes the instance (planted state, loops, relabelling).
        noise_std:
            Standard deviation of the Gaussian evaluation noise (0 for none).
        integer_view:
            Suggest the bits as ``IntDistribution(0, 1)`` instead of categorical ``(0, 1)``.
    """

    def __init__(
        self,
        *,
        rows: int,
        cols: int,
        seed: int,
        instance_seed: int = INSTANCE_SEED,
        noise_std: float = NOISE_STD,
        integer_view: bool = False,
    ) -> None:
        if noise_std < 0:
            raise ValueError(f"noise_std must be >= 0; got {noise_std}.")
        self.instance = PlantedInstance(rows, cols, seed=instance_seed)
        self._seed = int(seed)
        self._noise_std = float(noise_std)
        self._integer_view = bool(integer_view)
        width = len(str(self.instance.n_variables - 1))
        self.names = [f"x{i:0{width}d}" for i in range(self.instance.n_variables)]

    def __call__(self, trial: Any) -> float:
        if self._integer_view:
            bits = [trial.suggest_int(name, 0, 1) for name in self.names]
        else:
            bits = [trial.suggest_categorical(name, (0, 1)) for name in self.names]
        energy = self.instance.energy(np.array(bits))
        trial.set_user_attr(TRUE_VALUE_ATTR, energy)
        noise = np.random.default_rng([self._seed, int(trial.number)]).normal()
        return energy + self._noise_std * float(noise)


def _make(seed: int, *, rows: int, cols: int, integer_view: bool) -> PlantedQUBOObjective:
    return PlantedQUBOObjective(rows=rows, cols=cols, seed=seed, integer_view=integer_view)


def planted_problem(n_variables: int) -> Problem:
    """The ``planted-qubo-<n_variables>`` problem (500 or 2000 variables); its optimum is the
    planted ground-state energy of the fixed instance."""
    if n_variables not in SHAPES:
        raise ValueError(f"planted-qubo has sizes {sorted(SHAPES)}; got {n_variables}.")
    rows, cols = SHAPES[n_variables]
    instance = PlantedInstance(rows, cols, seed=INSTANCE_SEED)
    return Problem(
        name=f"planted-qubo-{n_variables}",
        make_objective=partial(_make, rows=rows, cols=cols, integer_view=False),
        make_integer_objective=partial(_make, rows=rows, cols=cols, integer_view=True),
        directions=("minimize",),
        description=describe(n_variables),
        optimum=instance.ground_energy,
        attrs={
            "metric": "energy",
            "torus": [rows, cols],
            "n_loops": len(instance.loop_lengths),
            "n_couplings": len(instance.couplings),
        },
    )


def describe(n_variables: int) -> str:
    """One-line description of the planted QUBO of ``n_variables`` bits."""
    rows, cols = SHAPES[n_variables]
    return (
        f"Planted frustrated-loop QUBO (Hen et al. 2015): {n_variables} binary variables on a "
        f"{rows}x{cols} torus, ground state known by construction, energy + N(0, "
        f"{NOISE_STD:g}) noise"
    )
