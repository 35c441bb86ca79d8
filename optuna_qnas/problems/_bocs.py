"""BOCS-style synthetic binary problem: contamination control (25 or more binary decisions).

The benchmark of Baptista and Poloczek (BOCS, ICML 2018), after Hu et al. (2010): a food
supply chain has ``d`` stages; at stage ``i`` one decides whether to pay for prevention
(``x_i = 1``, cost ``c_i = 1``). The contaminated fraction evolves as

    z_1 ~ Beta(1, 30),
    z_i = Lambda_i (1 - x_i) (1 - z_{i-1}) + (1 - Gamma_i x_i) z_{i-1},

with contamination rates ``Lambda_i ~ Beta(1, 17/3)`` and prevention effects
``Gamma_i ~ Beta(11/3, 1)``. The cost to minimise is prevention plus the fraction of ``T``
Monte-Carlo scenarios in which a stage exceeds the limit ``U = 0.1``, plus an L1 penalty:

    f(x) = sum_i [ c_i x_i + (rho / T) sum_t 1{z_i^t > U} ] + lambda * |x|_1,

``rho = 1``, ``T = 100``, ``lambda = 0.01``. The scenarios are drawn once per problem seed
(common random numbers), so ``f`` is a deterministic function of ``x`` for a given seed, as in
BOCS. Every configuration is a ``d``-bit string, the natural input of a QUBO sampler.

``bocs-contamination`` is the published instance (``d = 25``); ``bocs-contamination-100`` is the
same model with ``d = 100`` stages (a 100-bit space; the scenario draws of its seed differ from
the 25-stage instance's because the arrays have another shape).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from optuna_qnas.problems._base import Problem


N_STAGES = 25
N_SCENARIOS = 100
LIMIT = 0.1
RHO = 1.0
L1_PENALTY = 0.01


class ContaminationObjective:
    """``trial -> cost`` of the contamination control problem (see the module docstring).

    Args:
        seed:
            Seed of the Monte-Carlo scenarios (fixed for the problem instance).
        integer_view:
            Suggest the decisions as ``IntDistribution(0, 1)`` instead of categorical ``(0, 1)``.
        n_stages:
            Number of stages ``d`` (one binary decision each), at least 1.
    """

    def __init__(self, *, seed: int, integer_view: bool = False, n_stages: int = N_STAGES) -> None:
        if isinstance(n_stages, bool) or not isinstance(n_stages, int) or n_stages < 1:
            raise ValueError(f"n_stages must be an integer >= 1; got {n_stages!r}.")
        rng = np.random.default_rng(seed)
        self.n_stages = n_stages
        self._z0 = rng.beta(1.0, 30.0, size=N_SCENARIOS)  # (T,)
        self._lam = rng.beta(1.0, 17.0 / 3.0, size=(n_stages, N_SCENARIOS))  # (d, T)
        self._gam = rng.beta(11.0 / 3.0, 1.0, size=(n_stages, N_SCENARIOS))  # (d, T)
        self._integer_view = bool(integer_view)
        # x00..x24 for the published 25 stages; as many digits as the largest index needs.
        width = max(2, len(str(n_stages - 1)))
        self.names = [f"x{i:0{width}d}" for i in range(n_stages)]

    def cost(self, x: np.ndarray) -> float:
        """The cost of decisions ``x`` (``(d,)`` of 0/1)."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n_stages,):
            raise ValueError(f"x must have shape ({self.n_stages},); got {x.shape}.")
        z = self._z0
        violations = 0.0
        for i in range(self.n_stages):
            z = self._lam[i] * (1.0 - x[i]) * (1.0 - z) + (1.0 - self._gam[i] * x[i]) * z
            violations += RHO * float(np.mean(z > LIMIT))
        return float(x.sum() + violations + L1_PENALTY * x.sum())

    def __call__(self, trial: Any) -> float:
        if self._integer_view:
            x = [trial.suggest_int(name, 0, 1) for name in self.names]
        else:
            x = [trial.suggest_categorical(name, (0, 1)) for name in self.names]
        return self.cost(np.array(x))


def _make(seed: int, *, integer_view: bool, n_stages: int = N_STAGES) -> ContaminationObjective:
    return ContaminationObjective(seed=seed, integer_view=integer_view, n_stages=n_stages)


def contamination_problem(n_stages: int = N_STAGES) -> Problem:
    """The ``bocs-contamination`` problem (25 stages), or ``bocs-contamination-<n_stages>``."""
    if isinstance(n_stages, bool) or not isinstance(n_stages, int) or n_stages < 1:
        raise ValueError(f"n_stages must be an integer >= 1; got {n_stages!r}.")
    if n_stages == N_STAGES:
        return Problem(
            name="bocs-contamination",
            make_objective=partial(_make, integer_view=False),
            make_integer_objective=partial(_make, integer_view=True),
            directions=("minimize",),
            description=DESCRIPTION,
            attrs={"metric": "cost", "n_configurations": 2**N_STAGES},
        )
    return Problem(
        name=f"bocs-contamination-{n_stages}",
        make_objective=partial(_make, integer_view=False, n_stages=n_stages),
        make_integer_objective=partial(_make, integer_view=True, n_stages=n_stages),
        directions=("minimize",),
        description=describe(n_stages),
        attrs={"metric": "cost", "n_configurations": 2**n_stages, "n_stages": n_stages},
    )


def describe(n_stages: int) -> str:
    """One-line description of the contamination problem with ``n_stages`` stages."""
    return (
        f"BOCS contamination control: {n_stages} binary prevention decisions, minimise "
        "prevention cost + Monte-Carlo violation rate (scenarios fixed by the seed)"
    )


DESCRIPTION = describe(N_STAGES)
