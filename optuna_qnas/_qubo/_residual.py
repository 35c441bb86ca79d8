"""A Gaussian-process correction of a quadratic model's errors, for ranking candidates.

At a hundred trials the screened quadratic model of a wide space is mostly linear (few pairs
pass its screen), and objectives such as a macro NAS space over cell tables are not quadratic in
the bits at all. :class:`HammingResidual` models what the quadratic model gets wrong: a Gaussian
process over the bits, fitted to the model's leave-one-out residuals, with the kernel
``s^2 exp(-d(x, x') / l)`` where ``d`` is half the Hamming distance (the number of changed
parameters of a one-hot encoding). Its posterior is added to the quadratic model's predictive,
which ranks the candidate pool; the QUBOs that the solvers minimise are not changed.

Fitting it on leave-one-out residuals, not on the in-sample ones, matters: with more features than
trials the quadratic model nearly interpolates, and its in-sample residuals say little about its
errors at configurations it has not seen. The three scales (signal, length, noise) maximise the
evidence of the residuals. Pure numpy/scipy.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from optuna_qnas._qubo._surrogate import gaussian_evidence


#: Bounds of the fitted scales: log signal std, log length (changed parameters; the upper
#: bound is the largest distance among the trials), log noise std.
_LOG_STD_BOUNDS = (math.log(1e-3), math.log(3.0))
_MIN_LOG_LENGTH = math.log(0.25)
_START_LOG_LENGTH = math.log(2.0)


def changed_parameters(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Half the Hamming distance between every row of ``A`` and of ``B`` (0/1 bits): the number
    of parameters that differ between two one-hot encoded configurations, shape
    ``(len(A), len(B))``."""
    A = np.atleast_2d(A)
    B = np.atleast_2d(B)
    return 0.5 * np.maximum(A.sum(1)[:, None] + B.sum(1)[None, :] - 2.0 * (A @ B.T), 0.0)


def leave_one_out_residuals(
    y: np.ndarray, mean: np.ndarray, std: np.ndarray, noise_std: float
) -> np.ndarray:
    """``y_i`` minus the prediction of a Gaussian linear model fitted without trial ``i``.

    From the fit on all trials (noise-free predictive ``mean``, ``std`` at the trials and the
    noise standard deviation): with ``v_i = std_i^2`` and noise variance ``s``, conditioning on
    ``y_i`` shrinks the residual by ``1 - v_i / s``, so the leave-one-out residual is
    ``(y_i - mean_i) / (1 - v_i / s)`` (the shrinkage is floored at 1e-3).
    """
    shrink = np.clip(1.0 - np.asarray(std) ** 2 / noise_std**2, 1e-3, 1.0)
    return (np.asarray(y) - np.asarray(mean)) / shrink


def _covariance(E: np.ndarray, signal_var: float, noise_var: float) -> np.ndarray:
    """The residuals' covariance over trials from their kernel correlations ``E``."""
    C = signal_var * E
    C[np.diag_indices_from(C)] += noise_var
    return C


class HammingResidual:
    """Gaussian-process regression of residuals ``r`` on bits ``X`` with an exponential kernel
    in the number of changed parameters; zero-mean prior, scales by maximum evidence."""

    def __init__(self) -> None:
        self.signal_var = 0.0
        self.length = 1.0
        self.noise_var = 1.0
        self._X: np.ndarray | None = None

    def _neg_log_evidence(
        self, v: np.ndarray, D: np.ndarray, r: np.ndarray
    ) -> tuple[float, np.ndarray]:
        s3, ell, se = math.exp(2 * v[0]), math.exp(v[1]), math.exp(2 * v[2])
        E = np.exp(-D / ell)
        evidence = gaussian_evidence(_covariance(E, s3, se), r)
        if evidence is None:
            return 1e10, np.zeros(3)
        f, W = evidence
        grad = np.array(
            [(W * E).sum() * s3, 0.5 * (W * (s3 * E * D / ell)).sum(), np.trace(W) * se]
        )
        return f, grad

    def fit(self, X: np.ndarray, r: np.ndarray) -> HammingResidual:
        """Fit on bits ``X`` (n, n_bits) and residuals ``r`` (n,); returns ``self``."""
        # Imported here: scipy.optimize costs about a second at `import optuna_qnas`.
        from scipy.optimize import minimize

        X = np.asarray(X, dtype=float)
        r = np.asarray(r, dtype=float)
        D = changed_parameters(X, X)
        bounds = [
            _LOG_STD_BOUNDS,
            (_MIN_LOG_LENGTH, math.log(max(float(D.max()), 2.0))),
            _LOG_STD_BOUNDS,
        ]
        lo, hi = [b[0] for b in bounds], [b[1] for b in bounds]
        log_std = math.log(max(float(r.std()), 1e-3))
        # Two starts: the residual split evenly between signal and noise, and mostly noise.
        starts = (
            [log_std - 0.35, _START_LOG_LENGTH, log_std - 0.35],
            [log_std - 2.0, _START_LOG_LENGTH, log_std],
        )
        best_f, chosen = math.inf, np.clip(starts[0], lo, hi)
        for x0 in starts:
            res = minimize(
                lambda v: self._neg_log_evidence(v, D, r),
                np.clip(x0, lo, hi),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 50},
            )
            if np.all(np.isfinite(res.x)) and float(res.fun) < best_f:
                best_f, chosen = float(res.fun), np.asarray(res.x)
        self.signal_var = math.exp(2 * chosen[0])
        self.length = math.exp(chosen[1])
        self.noise_var = math.exp(2 * chosen[2])
        C = _covariance(np.exp(-D / self.length), self.signal_var, self.noise_var)
        self._L = scipy.linalg.cholesky(C, lower=True, check_finite=False)
        self._a = scipy.linalg.cho_solve((self._L, True), r, check_finite=False)
        self._X = X
        return self

    def kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        return self.signal_var * np.exp(-changed_parameters(A, B) / self.length)

    def posterior(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and variance at bits ``X`` (m, n_bits), and the whitened cross term
        ``V`` (n, m) whose column inner products are subtracted from prior covariances."""
        if self._X is None:
            raise RuntimeError("fit() first.")
        k = self.kernel(self._X, X)
        V = scipy.linalg.solve_triangular(self._L, k, lower=True, check_finite=False)
        return k.T @ self._a, self.signal_var - (V * V).sum(axis=0), V
