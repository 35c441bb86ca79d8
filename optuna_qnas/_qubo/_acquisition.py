"""Acquisition values for ranking candidate configurations under a Gaussian predictive model.

The annealer proposes candidates (low-energy samples of the posterior-mean QUBO and of
posterior draws, plus local moves around the best trials); expected improvement, which is not
quadratic in the bits, then decides among them. Pure numpy/scipy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx
from scipy.special import log_ndtr


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """``log E[max(best - f, 0)]`` for ``f ~ N(mean, std^2)`` (minimisation), stable far in the tail.

    With ``u = (best - mean) / std``, ``EI = std * h(u)``, ``h(u) = u Phi(u) + phi(u)``. For
    ``u < -1``, ``h(u) = phi(u) (1 - |u| R(|u|))`` with the Mills ratio ``R(t) =
    sqrt(pi/2) erfcx(t / sqrt(2))``, which keeps the logarithm finite where ``EI`` itself
    underflows (Ament et al. 2023 make the same point for LogEI).
    """
    mean = np.asarray(mean, dtype=float)
    std = np.maximum(np.asarray(std, dtype=float), 1e-12)
    u = (best - mean) / std
    out = np.empty_like(u)
    hi = u >= -1.0
    uh = u[hi]
    out[hi] = np.log(uh * np.exp(log_ndtr(uh)) + np.exp(-0.5 * uh**2) / math.sqrt(2 * math.pi))
    t = -u[~hi]
    tail = 1.0 - t * math.sqrt(math.pi / 2) * erfcx(t / math.sqrt(2))
    out[~hi] = -0.5 * t**2 - 0.5 * math.log(2 * math.pi) + np.log(np.maximum(tail, 1e-300))
    return out + np.log(std)
