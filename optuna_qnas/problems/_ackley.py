"""Mixed binary + continuous Ackley function (COMBO's Ackley-53, scaled up).

COMBO (Oh et al., NeurIPS 2019) and HyBO (Deshwal et al., ICML 2021) use the Ackley function on
50 binary variables in ``{0, 1}`` and 3 continuous variables in ``[-1, 1]``. Here the binary part
is wider (``ackley-153``: 150 binary + 3 continuous; 150 + 3 x 7 = 171 bits in the default
encoding, where each float is cut into 8 bins written in 7 domain-wall bits):

    f(z) = -a exp(-b sqrt(mean_i z_i^2)) - exp(mean_i cos(c z_i)) + a + e,
    a = 20, b = 0.2, c = 2 pi,

over all ``d = n_binary + n_continuous`` coordinates ``z``. So that no corner of the space is
special, the problem seed draws a hidden flip mask ``m in {0, 1}^n_binary`` and a shift
``t in [-0.5, 0.5]^n_continuous``: the binary coordinates are ``z_i = x_i XOR m_i`` and the
continuous ones ``z_j = y_j - t_j``. The minimum ``f = 0`` is at ``x = m, y = t`` for every seed.
The function is non-separable (the square root and the exponentials act on sums over all
coordinates), deterministic and noise-free.
"""

from __future__ import annotations

from functools import partial
import math
from typing import Any

import numpy as np

from optuna_qnas.problems._base import Problem


N_BINARY = 150
N_CONTINUOUS = 3


def ackley(z: np.ndarray) -> float:
    """The Ackley function (``a = 20``, ``b = 0.2``, ``c = 2 pi``) of a vector ``z``."""
    z = np.asarray(z, dtype=float)
    d = z.size
    # Grouped as 20 (1 - exp(..)) + (e - exp(..)) so that the origin gives exactly 0.
    term1 = 20.0 * (1.0 - math.exp(-0.2 * math.sqrt(float(np.dot(z, z)) / d)))
    term2 = math.e - math.exp(float(np.cos(2.0 * math.pi * z).sum()) / d)
    return max(term1 + term2, 0.0)


class AckleyObjective:
    """``trial -> f(x, y)`` of the shifted mixed Ackley function (see the module docstring).

    Args:
        seed:
            Seed of the hidden flip mask and shift (fixed for the problem instance).
        n_binary, n_continuous:
            Numbers of binary (``x000...``) and continuous (``y0...``) variables.
        integer_view:
            Suggest the binaries as ``IntDistribution(0, 1)`` instead of categorical ``(0, 1)``
            (the continuous variables stay ``suggest_float``).
    """

    def __init__(
        self,
        *,
        seed: int,
        n_binary: int = N_BINARY,
        n_continuous: int = N_CONTINUOUS,
        integer_view: bool = False,
    ) -> None:
        if n_binary < 0 or n_continuous < 0 or n_binary + n_continuous < 1:
            raise ValueError(
                f"Need n_binary >= 0, n_continuous >= 0 and at least one variable; got "
                f"{n_binary} and {n_continuous}."
            )
        rng = np.random.default_rng(seed)
        self.mask = rng.integers(0, 2, size=n_binary)
        self.shift = rng.uniform(-0.5, 0.5, size=n_continuous)
        self._integer_view = bool(integer_view)
        width = max(1, len(str(n_binary - 1)))
        self.binary_names = [f"x{i:0{width}d}" for i in range(n_binary)]
        self.continuous_names = [f"y{j}" for j in range(n_continuous)]

    def value(self, x: np.ndarray, y: np.ndarray) -> float:
        """``f`` at binaries ``x`` (0/1) and continuous ``y`` (in ``[-1, 1]``)."""
        x = np.asarray(x, dtype=np.int64)
        y = np.asarray(y, dtype=float)
        if x.shape != self.mask.shape or y.shape != self.shift.shape:
            raise ValueError(
                f"x must have shape {self.mask.shape} and y {self.shift.shape}; got {x.shape} "
                f"and {y.shape}."
            )
        return ackley(np.concatenate([(x ^ self.mask).astype(float), y - self.shift]))

    def __call__(self, trial: Any) -> float:
        if self._integer_view:
            x = [trial.suggest_int(name, 0, 1) for name in self.binary_names]
        else:
            x = [trial.suggest_categorical(name, (0, 1)) for name in self.binary_names]
        y = [trial.suggest_float(name, -1.0, 1.0) for name in self.continuous_names]
        return self.value(np.array(x), np.array(y))


def _make(seed: int, *, n_binary: int, n_continuous: int, integer_view: bool) -> AckleyObjective:
    return AckleyObjective(
        seed=seed, n_binary=n_binary, n_continuous=n_continuous, integer_view=integer_view
    )


def ackley_problem(n_binary: int = N_BINARY, n_continuous: int = N_CONTINUOUS) -> Problem:
    """The ``ackley-<n_binary + n_continuous>`` problem (known optimum 0)."""
    d = n_binary + n_continuous
    return Problem(
        name=f"ackley-{d}",
        make_objective=partial(
            _make, n_binary=n_binary, n_continuous=n_continuous, integer_view=False
        ),
        make_integer_objective=partial(
            _make, n_binary=n_binary, n_continuous=n_continuous, integer_view=True
        ),
        directions=("minimize",),
        description=describe(n_binary, n_continuous),
        optimum=0.0,
        attrs={"metric": "ackley", "n_binary": n_binary, "n_continuous": n_continuous},
    )


def describe(n_binary: int, n_continuous: int) -> str:
    """One-line description of the mixed Ackley problem."""
    return (
        f"Mixed Ackley (COMBO's Ackley-53, scaled): {n_binary} binary + {n_continuous} "
        "continuous variables in [-1, 1], hidden flip mask and shift from the seed, minimum 0"
    )
