"""A density-ratio surrogate over bits: Bayesian logistic regression of "good" vs "bad" trials.

BORE (Tiao et al., ICML 2021) replaces the regression model of Bayesian optimisation by a
classifier of the top ``gamma`` fraction of the observations against the rest: the classifier's
probability is a monotone function of expected improvement at the ``gamma`` quantile, and TPE is
the special case of a classifier that factorises over parameters. Here the classifier is a
logistic regression on first- and second-order bit features, so its logit

    ``logit(x) = b + sum_i w_i x_i + sum_{i<j} w_ij x_i x_j``

*is* a QUBO, and ``-logit`` is minimised by the same annealers as any other surrogate. The
posterior over the weights is the Laplace approximation at the penalised maximum-likelihood
weights (Newton/IRLS iterations), with separate Gaussian prior scales for the intercept, the
linear and the pairwise terms; ``sample_qubo`` draws the weights from it (Thompson sampling).

Two optional terms act on the proposal, both linear in the bits so the QUBO stays exact:

* a *trust region*: ``weight * Hamming(x, x_inc)`` towards the incumbent's bits ``x_inc``
  (``Hamming(x, x_inc) = sum_i x_i (1 - 2 x_inc_i) + sum_i x_inc_i``), with a weight that shrinks
  the region while the search stalls and lets it go (a restart to the global model) once the
  region has collapsed without progress;
* a *model incumbent*: the incumbent is the observed configuration with the best posterior-mean
  logit among the best-observed few, rather than the single best noisy observation.

Pure numpy/scipy: no Optuna types, no quantum SDK.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from optuna_qnas._qubo._model import QUBO
from optuna_qnas._qubo._surrogate import QuadraticFeatures


def hamming_qubo(center: np.ndarray, weight: float = 1.0) -> QUBO:
    """``weight * Hamming(x, center)`` as a (linear) QUBO over ``x in {0, 1}^n``.

    Args:
        center:
            Shape ``(n,)`` of 0/1 values.
        weight:
            Multiplies the distance (a penalty per flipped bit).
    """
    c = np.asarray(center, dtype=float)
    if c.ndim != 1 or not np.all((c == 0) | (c == 1)):
        raise ValueError("center must be a 1-D array of 0/1 bits.")
    if not math.isfinite(weight):
        raise ValueError(f"weight must be finite; got {weight!r}.")
    n = c.shape[0]
    return QUBO(weight * (1.0 - 2.0 * c), np.zeros((n, n)), weight * float(c.sum()))


def top_fraction_labels(y: np.ndarray, gamma: float) -> np.ndarray:
    """1 for the ``ceil(gamma * n)`` lowest losses (ties broken by order), else 0."""
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    n_good = min(n, max(1, int(math.ceil(gamma * n))))
    order = np.argsort(y, kind="stable")
    z = np.zeros(n)
    z[order[:n_good]] = 1.0
    return z


class BayesianLogisticQuadratic:
    """Laplace-approximate Bayesian logistic regression of good vs bad trials on bit features.

    Used by :class:`~optuna_qnas.samplers.QUBOSampler` as ``surrogate=lambda mask:
    BayesianLogisticQuadratic(mask)``. ``fit`` labels the ``gamma`` fraction of the lowest losses
    as good; ``sample_qubo`` returns ``-logit`` of a posterior draw (lower = more likely good),
    plus the trust-region term if enabled; ``mean_qubo`` returns ``-logit`` at the posterior mode.

    Args:
        pair_mask:
            Strictly upper-triangular boolean ``(n, n)``: which bit products are features.
        gamma:
            Fraction of the trials labelled good (at least one).
        prior_std_linear:
            Prior standard deviation of each linear weight (in logit units).
        prior_std_pair:
            Prior standard deviation of each pairwise weight; 0 gives a first-order model.
        temperature:
            Posterior covariance multiplier of the first Thompson draw of a proposal; 0 proposes
            the posterior mode (BORE's argmax of the classifier).
        retry_temperature:
            Posterior covariance multiplier of the further draws of the same proposal (the sampler
            asks again when every low-energy sample is already evaluated): a deterministic mode
            would only return the same samples again.
        trust_region:
            Hamming penalty per flipped bit towards the incumbent (logit units) at the start of a
            stall; 0 disables the trust region.
        tr_patience:
            Trials without a new best after which the trust region is released (a restart: the
            next proposals use the global model until an improvement re-centres it).
        model_incumbent:
            Choose the incumbent as the best posterior-mean configuration among the
            ``ceil(gamma * n)`` best observations instead of the single best observation.
        newton_iters:
            Maximum Newton iterations of the mode search.
    """

    def __init__(
        self,
        pair_mask: np.ndarray,
        *,
        gamma: float = 0.25,
        prior_std_linear: float = 1.5,
        prior_std_pair: float = 0.5,
        temperature: float = 1.0,
        retry_temperature: float | None = None,
        trust_region: float = 0.0,
        tr_patience: int = 20,
        model_incumbent: bool = False,
        newton_iters: int = 25,
    ) -> None:
        mask = np.asarray(pair_mask, dtype=bool)
        if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
            raise ValueError(f"pair_mask must be a square matrix; got shape {mask.shape}.")
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must lie in (0, 1); got {gamma!r}.")
        if not prior_std_linear > 0:
            raise ValueError(f"prior_std_linear must be > 0; got {prior_std_linear!r}.")
        if not prior_std_pair >= 0:
            raise ValueError(
                f"prior_std_pair must be >= 0 (0: first-order model); got {prior_std_pair!r}."
            )
        if not temperature >= 0:
            raise ValueError(f"temperature must be >= 0; got {temperature!r}.")
        if retry_temperature is not None and not retry_temperature >= 0:
            raise ValueError(f"retry_temperature must be >= 0 or None; got {retry_temperature!r}.")
        if not trust_region >= 0:
            raise ValueError(f"trust_region must be >= 0; got {trust_region!r}.")
        if tr_patience < 1:
            raise ValueError(f"tr_patience must be >= 1; got {tr_patience!r}.")
        if prior_std_pair == 0:
            mask = np.zeros_like(mask)
        self.features = QuadraticFeatures(mask)
        self.gamma = float(gamma)
        self.prior_std_linear = float(prior_std_linear)
        self.prior_std_pair = float(prior_std_pair)
        self.temperature = float(temperature)
        self.retry_temperature = float(
            temperature if retry_temperature is None else retry_temperature
        )
        self._draws = 0
        self.trust_region = float(trust_region)
        self.tr_patience = int(tr_patience)
        self.model_incumbent = bool(model_incumbent)
        self.newton_iters = int(newton_iters)
        self._fitted = False

    # ----- model ----------------------------------------------------------------------------------
    def design(self, X: np.ndarray) -> np.ndarray:
        """Feature matrix ``(m, 1 + p)``: intercept, bits, allowed bit products."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return np.hstack(
            [np.ones((X.shape[0], 1)), self.features.linear(X), self.features.pairs(X)]
        )

    def _prior_precision(self) -> np.ndarray:
        n_lin, n_pair = self.features.n, len(self.features.rows)
        pair_prec = self.prior_std_pair**-2 if n_pair else 1.0
        return np.concatenate(
            [[1.0 / 3.0**2], np.full(n_lin, self.prior_std_linear**-2), np.full(n_pair, pair_prec)]
        )

    def fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.RandomState | None = None) -> None:
        """Label the best ``gamma`` fraction of ``y`` (losses) good and find the Laplace posterior."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.features.n or y.shape != (X.shape[0],):
            raise ValueError(f"fit needs X of shape (n, {self.features.n}) and y of shape (n,).")
        if X.shape[0] == 0:
            raise ValueError("fit needs at least one observation.")
        z = top_fraction_labels(y, self.gamma)
        F = self.design(X)
        prec = self._prior_precision()
        n, p = F.shape
        w = np.zeros(p)
        w[0] = math.log(max(z.mean(), 1e-3) / max(1.0 - z.mean(), 1e-3))
        # Newton's method on the penalised log-likelihood (concave: converges from any start).
        # With n <= p every step goes through the n x n matrix B = I + S^1/2 F D^-1 F^T S^1/2
        # (Woodbury; S = diag(p(1-p)), D = prior precision), otherwise through the p x p Hessian.
        self._dual = n <= p
        K = (F / prec) @ F.T if self._dual else None
        self.newton_iters_used = 0
        for _ in range(self.newton_iters):
            prob = 0.5 * (1.0 + np.tanh(0.5 * (F @ w)))  # a stable sigmoid
            sq = np.sqrt(prob * (1.0 - prob))
            chol = self._curvature(F, prec, sq, K)
            grad = F.T @ (z - prob) - prec * w
            if self._dual:
                dg = grad / prec
                b = sq * scipy.linalg.cho_solve((chol, True), sq * (F @ dg), check_finite=False)
                step = dg - (F.T @ b) / prec
            else:
                step = scipy.linalg.cho_solve((chol, True), grad, check_finite=False)
            w = w + step
            self.newton_iters_used += 1
            if float(np.max(np.abs(step))) < 1e-3:
                # Converged: the curvature of the last iterate stands for the mode's (the
                # difference is far below the posterior's own spread).
                break
        self._L = chol
        self._sq = sq
        self._F = F
        self._prec = prec
        self._mode = w
        self._X = X
        self._y = y
        self._labels = z
        self._center = self._incumbent(X, y, F @ w)
        self._draws = 0
        self._fitted = True

    def _curvature(
        self, F: np.ndarray, prec: np.ndarray, sq: np.ndarray, K: np.ndarray | None
    ) -> np.ndarray:
        """Cholesky factor of ``B`` (dual, ``n <= p``) or of the Hessian ``H`` (primal)."""
        if K is not None:
            M = K * np.outer(sq, sq)
            M[np.diag_indices_from(M)] += 1.0
        else:
            M = (F * (sq**2)[:, None]).T @ F
            M[np.diag_indices_from(M)] += prec
        return scipy.linalg.cholesky(M, lower=True, check_finite=False)

    def _incumbent(self, X: np.ndarray, y: np.ndarray, logits: np.ndarray) -> np.ndarray | None:
        """Bits of the trust region's centre, or None when the region is released."""
        if self.trust_region <= 0:
            return None
        n = y.shape[0]
        best = int(np.argmin(y))
        # Rows are in trial order: trials since the last new best.
        stall = n - 1 - best
        if stall >= self.tr_patience:
            return None
        if self.model_incumbent:
            k = max(1, int(math.ceil(self.gamma * n)))
            top = np.argsort(y, kind="stable")[:k]
            best = int(top[np.argmax(logits[top])])
        return X[best]

    def tr_weight(self) -> float:
        """The trust-region weight of the current fit (0 when released or disabled)."""
        if self._center is None:
            return 0.0
        n = self._y.shape[0]
        stall = n - 1 - int(np.argmin(self._y))
        # Shrink the region (raise the weight) as the stall grows: x1 .. x3 over the patience.
        return self.trust_region * (1.0 + 2.0 * stall / self.tr_patience)

    def logit(self, X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        """Logit of P(good | x) at weights ``w`` (default: the posterior mode)."""
        self._check_fitted()
        return self.design(X) @ (self._mode if w is None else w)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(good | x) at the posterior mode."""
        return 0.5 * (1.0 + np.tanh(0.5 * self.logit(X)))

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError("fit() first.")

    def sample_weights(
        self, rng: np.random.RandomState, temperature: float | None = None
    ) -> np.ndarray:
        """One draw from the Laplace posterior ``N(mode, temperature * H^-1)``."""
        self._check_fitted()
        temperature = self.temperature if temperature is None else float(temperature)
        if temperature == 0:
            return self._mode.copy()
        t = math.sqrt(temperature)
        if self._dual:
            # Bhattacharya et al. (2016): u ~ N(0, D^-1), v = S^1/2 F u + N(0, I); then
            # u - D^-1 F^T S^1/2 B^-1 v ~ N(0, (D + F^T S F)^-1), exactly.
            F, prec, sq = self._F, self._prec, self._sq
            u = rng.standard_normal(F.shape[1]) / np.sqrt(prec)
            v = sq * (F @ u) + rng.standard_normal(F.shape[0])
            a = scipy.linalg.cho_solve((self._L, True), v, check_finite=False)
            return self._mode + t * (u - (F.T @ (sq * a)) / prec)
        zeta = rng.standard_normal(self._mode.shape[0])
        return self._mode + t * scipy.linalg.solve_triangular(
            self._L.T, zeta, lower=False, check_finite=False
        )

    def _weights_to_qubo(self, w: np.ndarray) -> QUBO:
        n = self.features.n
        return self.features.to_qubo(-w[1 : 1 + n], -w[1 + n :], -float(w[0]))

    def mean_qubo(self) -> QUBO:
        """``-logit`` at the posterior mode (no trust region)."""
        self._check_fitted()
        return self._weights_to_qubo(self._mode)

    def sample_qubo(self, rng: np.random.RandomState) -> QUBO:
        """``-logit`` of a posterior draw, plus the trust-region term when active.

        The first call after ``fit`` draws at ``temperature``, later ones at ``retry_temperature``.
        """
        temperature = self.temperature if self._draws == 0 else self.retry_temperature
        self._draws += 1
        qubo = self._weights_to_qubo(self.sample_weights(rng, temperature))
        weight = self.tr_weight()
        if weight > 0:
            qubo = qubo + hamming_qubo(self._center, weight)
        return qubo
