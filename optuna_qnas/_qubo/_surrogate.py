"""Quadratic surrogates of the objective over bits: the cost Hamiltonian.

A surrogate is fitted on ``(X, y)`` (bits of evaluated configurations, standardised losses to
*minimise*); its posterior mean and posterior draws are QUBOs whose low-energy samples join the
candidate pool, and its Gaussian predictive ranks that pool.
"""

from __future__ import annotations

import functools
import math
from typing import Protocol
from typing import runtime_checkable

import numpy as np
import scipy.linalg

from optuna_qnas._qubo._model import QUBO


@runtime_checkable
class Surrogate(Protocol):
    """A quadratic model of the objective over bits, as the QUBO samplers use it.

    ``fit`` learns from bits ``X`` (n, n_bits) and targets ``y`` (n,) to *minimise*;
    ``mean_qubo`` is the posterior mean as a QUBO; ``sample_qubo`` a posterior draw (a Thompson
    sample); ``predict`` the Gaussian predictive ``(mean, std)`` of each row of ``X``, by which
    the candidate pool is ranked. A model that also has ``predict_with_reference(X, x_ref) ->
    (mean, std, cov_with_ref, ref_mean)`` and ``noise_std`` ranks by incumbent gain on odd trial
    numbers; without them it ranks by expected improvement on every trial.
    """

    def fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.RandomState) -> None: ...

    def mean_qubo(self) -> QUBO: ...

    def sample_qubo(self, rng: np.random.RandomState) -> QUBO: ...

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


SURROGATE_METHODS = ("fit", "mean_qubo", "sample_qubo", "predict")


def missing_surrogate_methods(model: object) -> list[str]:
    """The methods of :class:`Surrogate` that ``model`` (an instance or a class) lacks."""
    return [name for name in SURROGATE_METHODS if not callable(getattr(model, name, None))]


def normal_scores(y: np.ndarray) -> np.ndarray:
    """Rank-based normal scores (a Gaussian copula): ``Phi^-1((rank + 1/2) / n)``, ties averaged.

    Only the order of ``y`` is kept, so a few catastrophic values (a NAS cell of ``none`` ops)
    and the scale of the objective (an MSE spanning five decades) cannot dominate the fit; the
    good side keeps its spacing in normal quantiles. HEBO and Optuna's GP sampler transform
    their targets for the same reason.
    """
    # scipy.special, not scipy.stats: the latter costs about a second to import, once per
    # process, which the first model proposal would otherwise pay.
    from scipy.special import ndtri

    y = np.asarray(y, dtype=float)
    if y.size == 0:
        return y
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    # Average 1-based rank of each group of ties: the ranks before it plus (count + 1) / 2.
    group_rank = np.cumsum(counts) - counts + (counts + 1) / 2.0
    return ndtri((group_rank[inverse.ravel()] - 0.5) / y.size)


def gaussian_evidence(C: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray] | None:
    """For ``y ~ N(0, C)``: the negative log evidence up to a constant, ``y^T C^-1 y / 2 +
    log|C| / 2``, and ``W = C^-1 - a a^T`` with ``a = C^-1 y``, from which the gradient in any
    scale ``v`` of ``C`` is ``tr(W dC/dv) / 2`` (Rasmussen & Williams 2006, eq. 5.9). ``None``
    when ``C`` is not numerically positive definite."""
    try:
        L = scipy.linalg.cholesky(C, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    a = scipy.linalg.cho_solve((L, True), y, check_finite=False)
    f = float(0.5 * y @ a + np.log(np.diag(L)).sum())
    return f, _inverse_from_cholesky(L) - np.outer(a, a)


def _inverse_from_cholesky(L: np.ndarray) -> np.ndarray:
    """``(L L^T)^-1`` from a lower Cholesky factor, by LAPACK's potri (about 3x cheaper than
    solving against the identity)."""
    inv, info = scipy.linalg.lapack.dpotri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dpotri failed (info={info}).")
    return np.tril(inv) + np.tril(inv, -1).T


class QuadraticFeatures:
    """``x -> [x_i] + [x_i x_j for the allowed pairs]``; and weights -> QUBO, the inverse map.

    Args:
        pair_mask:
            Strictly upper-triangular boolean ``(n, n)``: which products are features.
    """

    def __init__(self, pair_mask: np.ndarray) -> None:
        self.n = int(pair_mask.shape[0])
        self.rows, self.cols = np.nonzero(np.triu(pair_mask, 1))
        self.n_features = self.n + len(self.rows)
        self._mask = pair_mask
        self._n_left_out = self.n * (self.n - 1) // 2 - len(self.rows)

    @functools.cached_property
    def _left_out(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs left out (within one-hot or domain-wall parameters; usually far fewer than
        the kept ones), built on first use: a sparse mask over thousands of bits leaves out
        millions, and then the kernel form is never used."""
        left_out = np.triu(np.ones((self.n, self.n), dtype=bool), 1) & ~np.triu(self._mask, 1)
        rows, cols = np.nonzero(left_out)
        return rows, cols

    def linear(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float)

    def pairs(self, X: np.ndarray) -> np.ndarray:
        Xf = np.asarray(X, dtype=float)
        return Xf[:, self.rows] * Xf[:, self.cols]

    def _kernel_is_cheaper(self, *arrays: np.ndarray) -> bool:
        return self._n_left_out < len(self.rows) and all(
            np.all((a == 0) | (a == 1)) for a in arrays
        )

    def pair_gram(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """``pairs(A) @ pairs(B).T`` (shape ``(len(A), len(B))``) without forming the features.

        For 0/1 bits the products ``x_i x_j`` of a row pair are 1 exactly on the common bits, so
        the sum over all ``i < j`` is ``m (m - 1) / 2`` with ``m = a.b``; the pairs outside the
        mask are subtracted explicitly. Integers throughout, so it equals the explicit product
        exactly, at the cost of the (few) left-out pairs instead of the (many) kept ones.
        """
        A = np.atleast_2d(np.asarray(A, dtype=float))
        B = np.atleast_2d(np.asarray(B, dtype=float))
        if not self._kernel_is_cheaper(A, B):
            return self.pairs(A) @ self.pairs(B).T
        m = A @ B.T
        gram = 0.5 * (m * m - m)
        if self._n_left_out:
            r, c = self._left_out
            gram -= (A[:, r] * A[:, c]) @ (B[:, r] * B[:, c]).T
        return gram

    def pair_counts(self, X: np.ndarray) -> np.ndarray:
        """``(pairs(X) ** 2).sum(axis=1)``: the number of kept pairs a 0/1 row switches on."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if not self._kernel_is_cheaper(X):
            P = self.pairs(X)
            return (P * P).sum(axis=1)
        k = X.sum(axis=1)
        out = 0.5 * (k * k - k)
        if self._n_left_out:
            r, c = self._left_out
            out -= (X[:, r] * X[:, c]).sum(axis=1)
        return out

    def to_qubo(self, w_lin: np.ndarray, w_pair: np.ndarray, offset: float = 0.0) -> QUBO:
        w_lin, w_pair = np.asarray(w_lin, dtype=float), np.asarray(w_pair, dtype=float)
        if not (
            np.all(np.isfinite(w_lin)) and np.all(np.isfinite(w_pair)) and np.isfinite(offset)
        ):
            raise ValueError("QUBO coefficients must be finite.")
        quad = np.zeros((self.n, self.n))
        quad[self.rows, self.cols] = w_pair  # rows < cols: strictly upper triangular
        return QUBO._unchecked(w_lin, quad, offset)


# Starting prior/noise standard deviations (linear, pairwise, noise) of the evidence maximisation.
_DEFAULT_LOG_SCALES = (math.log(0.5), math.log(0.1), math.log(0.5))


class BayesianQuadraticRegression:
    """Bayesian linear regression on first- and second-order bit features (BOCS-style).

    ``y = b + x.w1 + sum_{i<j} w2_ij x_i x_j + noise``, with independent Gaussian priors
    ``w1 ~ N(0, s1^2)``, ``w2 ~ N(0, s2^2)``, ``b ~ N(0, 1)`` and noise ``N(0, s_n^2)``. The three
    scales are set by maximising the marginal likelihood (type-II maximum likelihood, the
    "evidence"). Posterior draws are exact: through the ``p x p`` posterior precision when there
    are fewer features ``p`` than trials ``n``, otherwise through the ``n x n`` system of
    Bhattacharya, Chakraborty & Mallick (2016, Biometrika 103(4), alg. 2), which costs
    ``O(n^2 p)`` instead of ``O(p^3)``.

    Args:
        pair_mask:
            Which bit pairs are features (see ``SearchSpaceEncoding.pair_mask``).
    """

    def __init__(self, pair_mask: np.ndarray) -> None:
        self.features = QuadraticFeatures(pair_mask)
        self._fitted = False
        self._log_scales = np.array(_DEFAULT_LOG_SCALES)

    def _design(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Design matrix ``(m, 1 + p)`` (intercept first) and the prior variance of each column."""
        F = np.hstack([np.ones((X.shape[0], 1)), self.features.linear(X), self.features.pairs(X)])
        return F, self._prior_var(self._log_scales)

    def _prior_var(self, log_scales: np.ndarray) -> np.ndarray:
        s1, s2 = math.exp(2 * log_scales[0]), math.exp(2 * log_scales[1])
        n_lin, n_pair = self.features.n, len(self.features.rows)
        return np.concatenate([[1.0], np.full(n_lin, s1), np.full(n_pair, s2)])

    def _neg_log_evidence(
        self, log_scales: np.ndarray, G_lin: np.ndarray, G_pair: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Dual form, for n <= p: ``y ~ N(0, C)``,
        ``C = 11^T + s1^2 G_lin + s2^2 G_pair + sn^2 I``.

        Returns the negative log evidence (up to a constant) and its gradient in the log scales:
        ``d/dv_k = 1/2 tr((C^-1 - a a^T) dC/dv_k)`` with ``a = C^-1 y`` (Rasmussen & Williams
        2006, eq. 5.9).
        """
        s1, s2, sn = (math.exp(2 * v) for v in log_scales)
        C = 1.0 + s1 * G_lin + s2 * G_pair
        C[np.diag_indices_from(C)] += sn
        evidence = gaussian_evidence(C, y)
        if evidence is None:
            return 1e10, np.zeros(3)
        f, W = evidence
        grad = np.array([(W * G_lin).sum() * s1, (W * G_pair).sum() * s2, np.trace(W) * sn])
        return f, grad

    def _neg_log_evidence_primal(
        self, log_scales: np.ndarray, FtF: np.ndarray, Fty: np.ndarray, yty: float, n: int
    ) -> tuple[float, np.ndarray]:
        """Primal form, for p < n, through the ``(1+p) x (1+p)`` posterior precision ``H``.

        With posterior mean ``m`` and covariance ``S = H^-1``, the gradient in ``v = log s`` is
        ``sum_j (1 - (S_jj + m_j^2) / d_j)`` over a prior group and
        ``n - (|y - F m|^2 + tr(F^T F S)) / sn^2`` for the noise (MacKay 1992).
        """
        d = self._prior_var(log_scales)
        sn = math.exp(2 * log_scales[2])
        H = FtF / sn
        H[np.diag_indices_from(H)] += 1.0 / d
        try:
            L = scipy.linalg.cholesky(H, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros(3)
        m = scipy.linalg.cho_solve((L, True), Fty / sn, check_finite=False)
        quad = yty / sn - m @ Fty / sn
        logdet = 2 * np.log(np.diag(L)).sum() + np.log(d).sum() + n * math.log(sn)
        f = float(0.5 * quad + 0.5 * logdet)
        S = _inverse_from_cholesky(L)
        per_weight = 1.0 - (np.diag(S) + m**2) / d
        n_lin = self.features.n
        resid2 = yty - 2 * m @ Fty + m @ FtF @ m
        grad = np.array(
            [
                per_weight[1 : 1 + n_lin].sum(),
                per_weight[1 + n_lin :].sum(),
                n - (resid2 + (FtF * S).sum()) / sn,
            ]
        )
        return f, grad

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        rng: np.random.RandomState | None = None,
        *,
        initial_log_scales: np.ndarray | None = None,
        optimize: bool = True,
    ) -> None:
        """Fit on bits ``X`` (n, n_bits) and standardised losses ``y`` (n,).

        ``initial_log_scales`` starts the evidence maximisation (the sampler passes the scales
        found for the previous trial, stored on that trial, so consecutive fits take a few
        steps instead of a full search); with ``optimize=False`` those scales are used as they
        are (the evidence changes little from one trial to the next).
        """
        if initial_log_scales is not None and len(initial_log_scales) == 3:
            self._log_scales = np.asarray(initial_log_scales, dtype=float)
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n = X.shape[0]
        F, _ = self._design(X)
        p = F.shape[1]
        bounds = [
            (math.log(1e-3), math.log(10.0)),
            (math.log(1e-4), math.log(3.0)),
            (math.log(1e-3), math.log(3.0)),
        ]
        if n <= p:
            G_lin, G_pair = X @ X.T, self.features.pair_gram(X, X)  # also the dual K below
            fun = lambda v: self._neg_log_evidence(v, G_lin, G_pair, y)  # noqa: E731
        else:
            FtF, Fty, yty = F.T @ F, F.T @ y, float(y @ y)
            fun = lambda v: self._neg_log_evidence_primal(v, FtF, Fty, yty, n)  # noqa: E731
        if n >= 2 and optimize:
            # Imported here: scipy.optimize costs about a second at `import optuna_qnas`.
            from scipy.optimize import minimize

            # From the warm start and from the default scales; the better evidence wins. A warm
            # start can sit on a plateau at the bounds ("everything is noise", fitted while the
            # data were few), where L-BFGS-B does not move although the default start finds far
            # more evidence once the data have signal.
            starts = [self._log_scales]
            if initial_log_scales is not None:
                starts.append(np.array(_DEFAULT_LOG_SCALES))
            best_f = math.inf
            for x0 in starts:
                res = minimize(
                    fun, x0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 30}
                )
                if np.all(np.isfinite(res.x)) and float(res.fun) < best_f:
                    best_f = float(res.fun)
                    chosen = np.asarray(res.x)
            if best_f < math.inf:
                self._log_scales = chosen
        self._F, self._y = F, y
        self._d = self._prior_var(self._log_scales)
        self._sn = math.exp(2 * self._log_scales[2])
        self._primal = n > p
        if self._primal:
            H = F.T @ F / self._sn
            H[np.diag_indices_from(H)] += 1.0 / self._d
            self._L_H = scipy.linalg.cholesky(H, lower=True, check_finite=False)
            self._mean = scipy.linalg.cho_solve(
                (self._L_H, True), F.T @ y / self._sn, check_finite=False
            )
        else:
            # Mean through the dual: w = D F^T (F D F^T + sn I)^-1 y, with F D F^T in kernel form.
            s1, s2 = math.exp(2 * self._log_scales[0]), math.exp(2 * self._log_scales[1])
            K = 1.0 + s1 * G_lin + s2 * G_pair
            K[np.diag_indices_from(K)] += self._sn
            self._L_K = scipy.linalg.cholesky(K, lower=True, check_finite=False)
            alpha = scipy.linalg.cho_solve((self._L_K, True), y, check_finite=False)
            self._mean = self._d * (F.T @ alpha)
            self._X, self._alpha = X, alpha
        self._fitted = True

    def mean_weights(self) -> np.ndarray:
        """Posterior-mean weights: intercept, the ``n_bits`` linear weights, then the pairs in
        the order of ``features.rows`` / ``features.cols``."""
        if not self._fitted:
            raise RuntimeError("fit() first.")
        return self._mean.copy()

    def _weights_to_qubo(self, w: np.ndarray) -> QUBO:
        n = self.features.n
        return self.features.to_qubo(w[1 : 1 + n], w[1 + n :], float(w[0]))

    def mean_qubo(self) -> QUBO:
        """The posterior-mean model as a QUBO (the predicted standardised loss)."""
        return self._weights_to_qubo(self._mean)

    def sample_qubo(self, rng: np.random.RandomState) -> QUBO:
        """One exact draw from the posterior, as a QUBO."""
        if not self._fitted:
            raise RuntimeError("fit() first.")
        if self._primal:
            z = rng.standard_normal(self._mean.shape[0])
            w = self._mean + scipy.linalg.solve_triangular(
                self._L_H.T, z, lower=False, check_finite=False
            )
        else:
            F, sn = self._F, self._sn
            u = np.sqrt(self._d) * rng.standard_normal(F.shape[1])
            delta = math.sqrt(sn) * rng.standard_normal(F.shape[0])
            v = F @ u + delta
            alpha = scipy.linalg.cho_solve((self._L_K, True), self._y - v, check_finite=False)
            w = u + self._d * (F.T @ alpha)
        return self._weights_to_qubo(w)

    def _posterior(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and variance at bits ``X`` (m, n_bits), and the whitened cross term
        ``V`` whose columns' inner products give the posterior covariances (see callers)."""
        if not self._fitted:
            raise RuntimeError("fit() first.")
        if self._primal:
            Fs, _ = self._design(X)
            mean = Fs @ self._mean
            V = scipy.linalg.solve_triangular(self._L_H, Fs.T, lower=True, check_finite=False)
            var = (V * V).sum(axis=0)
        else:
            # Kernel form, F_* D F^T, without the candidates' pair features (pair_gram).
            s1, s2 = math.exp(2 * self._log_scales[0]), math.exp(2 * self._log_scales[1])
            cross = 1.0 + s1 * (self._X @ X.T) + s2 * self.features.pair_gram(self._X, X)  # (n, m)
            mean = cross.T @ self._alpha
            V = scipy.linalg.solve_triangular(self._L_K, cross, lower=True, check_finite=False)
            prior = 1.0 + s1 * (X * X).sum(axis=1) + s2 * self.features.pair_counts(X)
            var = prior - (V * V).sum(axis=0)
        return mean, var, V

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the noise-free model at bits ``X`` (m, n_bits).

        Through the ``p x p`` posterior precision (primal) or the ``n x n`` kernel matrix (dual),
        whichever the fit used: ``var = f^T H^-1 f`` or ``f^T D f - |L_K^-1 F D f|^2``.
        """
        mean, var, _ = self._posterior(np.atleast_2d(np.asarray(X, dtype=float)))
        return mean, np.sqrt(np.maximum(var, 1e-12))

    def predict_with_reference(
        self, X: np.ndarray, reference: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Posterior mean and standard deviation at bits ``X`` (m, n_bits), the posterior
        covariance of each ``f(X_i)`` with ``f(reference)`` (n_bits,), and the mean at the
        reference: what a comparison with one configuration (the incumbent) needs."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        ref = np.asarray(reference, dtype=float).reshape(1, -1)
        mean, var, V = self._posterior(np.vstack([X, ref]))
        cov = V[:, :-1].T @ V[:, -1]  # primal: F_x H^-1 F_ref^T
        if not self._primal:  # dual: prior covariance minus what the data explain
            s1, s2 = math.exp(2 * self._log_scales[0]), math.exp(2 * self._log_scales[1])
            cov = 1.0 + s1 * (X @ ref[0]) + s2 * self.features.pair_gram(X, ref)[:, 0] - cov
        return mean[:-1], np.sqrt(np.maximum(var[:-1], 1e-12)), cov, float(mean[-1])

    @property
    def noise_std(self) -> float:
        """The fitted observation-noise standard deviation (in the units of the targets)."""
        return math.sqrt(self._sn)

    @property
    def log_scales(self) -> list[float]:
        """The fitted ``log`` prior/noise standard deviations (linear, pairwise, noise)."""
        return [float(v) for v in self._log_scales]

    @property
    def hyperparameters(self) -> dict[str, float]:
        s1, s2, sn = (math.exp(v) for v in self._log_scales)
        return {"prior_std_linear": s1, "prior_std_quadratic": s2, "noise_std": sn}
