"""BOCS-style synthetic binary problem: contamination control (25 binary decisions).

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
BOCS. Every configuration is a 25-bit string, the natural input of a QUBO sampler.
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
    """

    def __init__(self, *, seed: int, integer_view: bool = False) -> None:
        rng = np.random.default_rng(seed)
        self._z0 = rng.beta(1.0, 30.0, size=N_SCENARIOS)  # (T,)
        self._lam = rng.beta(1.0, 17.0 / 3.0, size=(N_STAGES, N_SCENARIOS))  # (d, T)
        self._gam = rng.beta(11.0 / 3.0, 1.0, size=(N_STAGES, N_SCENARIOS))  # (d, T)
        self._integer_view = bool(integer_view)

    def cost(self, x: np.ndarray) -> float:
        """The cost of decisions ``x`` (``(d,)`` of 0/1)."""
        x = np.asarray(x, dtype=float)
        z = self._z0
        violations = 0.0
        for i in range(N_STAGES):
            z = self._lam[i] * (1.0 - x[i]) * (1.0 - z) + (1.0 - self._gam[i] * x[i]) * z
            violations += RHO * float(np.mean(z > LIMIT))
        return float(x.sum() + violations + L1_PENALTY * x.sum())

    def __call__(self, trial: Any) -> float:
        if self._integer_view:
            x = [trial.suggest_int(f"x{i:02d}", 0, 1) for i in range(N_STAGES)]
        else:
            x = [trial.suggest_categorical(f"x{i:02d}", (0, 1)) for i in range(N_STAGES)]
        return self.cost(np.array(x))


def _make(seed: int, *, integer_view: bool) -> ContaminationObjective:
    return ContaminationObjective(seed=seed, integer_view=integer_view)


def contamination_problem() -> Problem:
    """The ``bocs-contamination`` problem."""
    return Problem(
        name="bocs-contamination",
        make_objective=partial(_make, integer_view=False),
        make_integer_objective=partial(_make, integer_view=True),
        directions=("minimize",),
        description=DESCRIPTION,
        attrs={"metric": "cost", "n_configurations": 2**N_STAGES},
    )


DESCRIPTION = (
    "BOCS contamination control: 25 binary prevention decisions, minimise prevention cost + "
    "Monte-Carlo violation rate (scenarios fixed by the seed)"
)
