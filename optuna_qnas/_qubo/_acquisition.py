"""Acquisition values for ranking candidate configurations under a Gaussian predictive model.

The annealer proposes candidates (low-energy samples of the posterior-mean QUBO and of
posterior draws, plus local moves around the best trials); expected improvement, or the expected
gain in the true value of the reported best trial (noise-aware), neither quadratic in the bits,
then decides among them. Pure numpy/scipy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx
from scipy.special import log_ndtr


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """``log E[max(best - f, 0)]`` for ``f ~ N(mean, std^2)`` (minimisation), stable in the tail.

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


def incumbent_gain_order(
    mean: np.ndarray,
    std: np.ndarray,
    cov_incumbent: np.ndarray,
    incumbent_mean: float,
    noise_std: float,
    best_observed: float,
) -> np.ndarray:
    """Candidates ordered from best to worst by the expected gain in the *true* loss of the
    reported incumbent, the trial with the best *observed* loss (minimisation).

    Evaluating ``x`` gives ``y = f(x) + e``, ``e ~ N(0, noise_std^2)``; the study's best trial
    changes to ``x`` only if ``y < best_observed``, and then the true loss of what is reported
    changes by ``f_inc - f(x)``. Under the joint Gaussian posterior of ``(f(x), f_inc)`` (means
    ``mean``, ``incumbent_mean``, standard deviation ``std``, covariance ``cov_incumbent``)::

        E[(f_inc - f(x)) 1{y < best}] = mu_d Phi(z) + (std^2 - cov) / s_y phi(z)

    with ``mu_d = incumbent_mean - mean``, ``s_y^2 = std^2 + noise_std^2`` and
    ``z = (best - mean) / s_y``. Without noise and far from the incumbent this is expected
    improvement; with noise, a candidate predicted worse than the incumbent that could still
    draw a lucky value scores *below zero* (it would replace the reported trial by a worse
    configuration), and the gain is counted against what the incumbent is believed to be worth,
    not against its lucky observation. Re-evaluating the incumbent's configuration scores 0.

    For ``z < 0`` the value is computed as ``phi(z) * b`` with ``b = mu_d R(z) + (std^2 - cov) /
    s_y`` and the Mills ratio ``R(z) = Phi(z) / phi(z)`` (through ``erfcx``, bounded there);
    candidates are ranked by the sign of the value, then by its log-magnitude (decreasing for
    gains, increasing for losses), so that the order survives where the value underflows.
    """
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(std, dtype=float) ** 2
    s_y = np.maximum(np.sqrt(var + float(noise_std) ** 2), 1e-12)
    z = (best_observed - mean) / s_y
    gain = incumbent_mean - mean
    spread = (var - np.asarray(cov_incumbent, dtype=float)) / s_y
    log_phi = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    value = np.empty_like(z)
    log_mag = np.empty_like(z)
    hi = z >= 0.0  # Phi(z) >= 1/2: the value itself is well scaled
    value[hi] = gain[hi] * np.exp(log_ndtr(z[hi])) + spread[hi] * np.exp(log_phi[hi])
    log_mag[hi] = np.log(np.maximum(np.abs(value[hi]), 1e-300))
    lo = ~hi  # the tail: phi(z) * (gain R(z) + spread), R through erfcx (bounded for z < 0)
    b = gain[lo] * math.sqrt(math.pi / 2) * erfcx(-z[lo] / math.sqrt(2)) + spread[lo]
    value[lo] = b
    log_mag[lo] = log_phi[lo] + np.log(np.maximum(np.abs(b), 1e-300))
    sign = np.sign(value)
    # lexsort sorts by its last key first: the largest sign, then the largest sign * log|value|.
    return np.lexsort((-(sign * log_mag), -sign))
