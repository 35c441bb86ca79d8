"""A quadratic surrogate for wide bit spaces: pair features chosen by screening, not all pairs.

A full quadratic model has one weight per pair of bits: 44,000 pairs at 300 bits, 2 million at
2,000. With a hundred trials almost none of them can be learned, and a QUBO with all of them is a
dense problem that no solver handles quickly. :class:`ScreenedQuadraticRegression` keeps a number
of pairs that grows with the evidence (``pairs_per_trial`` per finished trial) and chooses them
in two steps, in time linear in the bits at a fixed number of trials:

1. **Heredity.** A Bayesian linear regression on the bits ranks them by the size of their main
   effect; candidate pairs are the pairs among the top-ranked bits (weak heredity: an interaction
   is looked for where a main effect was found, as in hierarchical priors for designed
   experiments, Chipman 1996; BOCS's sparse priors shrink in the same spirit).
2. **Screening.** Among the candidates, the pairs whose product correlates most with the linear
   model's residuals are kept (sure independence screening, Fan & Lv 2008).

The kept pairs are the features of an ordinary :class:`BayesianQuadraticRegression`, whose
posterior mean and draws are QUBOs with only those couplings: sparse problems for the solvers.
The predictive that ranks the candidate pool adds a Gaussian process fitted to the regression's
leave-one-out residuals (:mod:`optuna_qnas._qubo._residual`): what the sparse quadratic model
cannot express near the evaluated configurations.
"""

from __future__ import annotations

import math

import numpy as np

from optuna_qnas._qubo._model import QUBO
from optuna_qnas._qubo._residual import HammingResidual
from optuna_qnas._qubo._residual import leave_one_out_residuals
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression


#: A space whose pair mask has more pairs than this is modelled with screened pairs by the
#: samplers; below it the full quadratic model is cheap and is kept (every suite space up to
#: 69 bits).
SCREEN_ABOVE_PAIRS = 4096


def screened_pair_budget(
    n_observations: int, n_candidates: int, pairs_per_trial: int, min_pairs: int
) -> int:
    """How many pairs a fit on ``n_observations`` trials keeps (at most ``n_candidates``)."""
    return int(min(n_candidates, max(min_pairs, pairs_per_trial * n_observations)))


def screen_pairs(
    X: np.ndarray,  # (n, n_bits) 0/1
    residual: np.ndarray,  # (n,)
    bit_score: np.ndarray,  # (n_bits,) larger = stronger main effect
    pair_mask: np.ndarray,  # (n_bits, n_bits) strictly upper-triangular bool
    n_pairs: int,
    candidate_factor: int = 16,
    chance_level: float = 0.0,
    n_tests: int | None = None,
) -> np.ndarray:  # (n_bits, n_bits) strictly upper-triangular bool, at most n_pairs True
    """The ``n_pairs`` allowed pairs among the top-scored bits whose products correlate most
    (in absolute value) with ``residual``.

    The candidates are the allowed pairs among the ``m`` bits of highest ``bit_score``, with
    ``m`` the smallest count whose pairs number ``candidate_factor * n_pairs``. Pairs that are
    constant over the observations carry no evidence and are never kept. Ties are broken by
    bit index, so the choice is a function of the inputs alone.
    """
    n_bits = pair_mask.shape[0]
    out = np.zeros((n_bits, n_bits), dtype=bool)
    if n_pairs <= 0 or n_bits < 2:
        return out
    want = candidate_factor * n_pairs
    m = min(n_bits, max(2, math.ceil((1 + math.sqrt(1 + 8 * want)) / 2)))
    top = np.sort(np.argsort(-np.asarray(bit_score, dtype=float), kind="stable")[:m])
    sub = pair_mask[np.ix_(top, top)]
    a, b = np.nonzero(np.triu(sub, 1))
    if a.size == 0:
        return out
    rows, cols = top[a], top[b]
    Xf = np.asarray(X, dtype=float)
    Z = Xf[:, rows] * Xf[:, cols]  # (n, c) pair products of the candidates
    Zc = Z - Z.mean(axis=0)
    r = np.asarray(residual, dtype=float)
    r = r - r.mean()
    norm = np.sqrt((Zc * Zc).sum(axis=0)) * max(float(np.sqrt(r @ r)), 1e-12)
    score = np.where(norm > 1e-12, np.abs(r @ Zc) / np.maximum(norm, 1e-12), -1.0)
    keep = np.argsort(-score, kind="stable")[:n_pairs]
    # The largest of c null correlations is about sqrt(2 ln c / n): pairs below that level times
    # ``chance_level`` are indistinguishable from the best of noise. ``n_tests`` (default: the
    # candidates) counts the comparisons made, the heredity step's choice of bits included.
    tests = max(a.size if n_tests is None else n_tests, 2)
    floor = chance_level * math.sqrt(2.0 * math.log(tests) / max(Xf.shape[0], 1))
    keep = keep[score[keep] > max(floor, 0.0)]
    out[rows[keep], cols[keep]] = True
    return out


class ScreenedQuadraticRegression:
    """Bayesian quadratic regression on the linear bits and a screened set of pairs.

    Follows :class:`optuna_qnas.Surrogate` (and, like the full regression, supports the
    incumbent-gain ranking and warm-started evidence scales). Each ``fit`` screens afresh.

    Args:
        pair_mask:
            The pairs that may be features (``SearchSpaceEncoding.pair_mask``).
        pairs_per_trial:
            Pairs kept per finished trial.
        min_pairs:
            Pairs kept however few the trials (and the candidates allow).
        candidate_factor:
            Candidates screened per kept pair.
        chance_level:
            Pairs whose screening score is below this multiple of the best score of pure noise
            are not kept (0: fill the budget).
        residual:
            Add the Gaussian process on the leave-one-out residuals to the predictive
            (``predict`` and ``predict_with_reference``); the QUBOs are the same either way.
    """

    def __init__(
        self,
        pair_mask: np.ndarray,
        *,
        pairs_per_trial: int = 8,
        min_pairs: int = 64,
        candidate_factor: int = 16,
        chance_level: float = 1.0,
        residual: bool = True,
    ) -> None:
        self.pair_mask = np.triu(np.asarray(pair_mask, dtype=bool), 1)
        self.pairs_per_trial = int(pairs_per_trial)
        self.min_pairs = int(min_pairs)
        self.candidate_factor = int(candidate_factor)
        self.chance_level = float(chance_level)
        self.residual = bool(residual)
        self._residual: HammingResidual | None = None
        self._n_allowed = int(np.count_nonzero(self.pair_mask))
        n = self.pair_mask.shape[0]
        self._linear = BayesianQuadraticRegression(np.zeros((n, n), dtype=bool))
        self._model: BayesianQuadraticRegression | None = None

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        rng: np.random.RandomState | None = None,
        *,
        initial_log_scales: np.ndarray | None = None,
        optimize: bool = True,
    ) -> None:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        # The linear screen follows the caller's warm start and refit schedule: when no pair
        # passes the screen it is the model, fitted once.
        self._linear.fit(X, y, rng, initial_log_scales=initial_log_scales, optimize=optimize)
        w = self._linear.mean_weights()
        residual = y - self._linear.predict(X)[0]
        n_pairs = screened_pair_budget(
            len(y), self._n_allowed, self.pairs_per_trial, self.min_pairs
        )
        mask = screen_pairs(
            X,
            residual,
            np.abs(w[1:]),
            self.pair_mask,
            n_pairs,
            self.candidate_factor,
            self.chance_level,
            n_tests=self._n_allowed,
        )
        if not mask.any():
            self._model = self._linear
        else:
            self._model = BayesianQuadraticRegression(mask)
            self._model.fit(X, y, rng, initial_log_scales=initial_log_scales, optimize=optimize)
        self._residual = None
        if self.residual:
            mean, std = self._model.predict(X)
            r = leave_one_out_residuals(y, mean, std, self._model.noise_std)
            self._residual = HammingResidual().fit(X, r)

    @property
    def model(self) -> BayesianQuadraticRegression:
        """The regression on the screened pairs (after ``fit``)."""
        if self._model is None:
            raise RuntimeError("fit() first.")
        return self._model

    @property
    def n_pairs(self) -> int:
        """How many pairs the last fit kept."""
        return len(self.model.features.rows)

    def mean_qubo(self) -> QUBO:
        return self.model.mean_qubo()

    def sample_qubo(self, rng: np.random.RandomState) -> QUBO:
        return self.model.sample_qubo(rng)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The regression's predictive plus, with ``residual``, the residual process's."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        mean, std = self.model.predict(X)
        if self._residual is None:
            return mean, std
        r_mean, r_var, _ = self._residual.posterior(X)
        return mean + r_mean, np.sqrt(np.maximum(std**2 + r_var, 1e-12))

    def predict_with_reference(
        self, X: np.ndarray, reference: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """As :meth:`BayesianQuadraticRegression.predict_with_reference`, the residual process
        (independent of the regression's weights) added to means, variances and covariances."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        ref = np.asarray(reference, dtype=float).reshape(1, -1)
        mean, std, cov, ref_mean = self.model.predict_with_reference(X, ref[0])
        if self._residual is None:
            return mean, std, cov, ref_mean
        r_mean, r_var, V = self._residual.posterior(np.vstack([X, ref]))
        r_cov = self._residual.kernel(X, ref)[:, 0] - V[:, :-1].T @ V[:, -1]
        return (
            mean + r_mean[:-1],
            np.sqrt(np.maximum(std**2 + r_var[:-1], 1e-12)),
            cov + r_cov,
            ref_mean + float(r_mean[-1]),
        )

    @property
    def noise_std(self) -> float:
        return self.model.noise_std

    @property
    def log_scales(self) -> list[float]:
        return self.model.log_scales

    @property
    def hyperparameters(self) -> dict[str, float]:
        out = dict(self.model.hyperparameters)
        if self._residual is not None:
            out["residual_std"] = math.sqrt(self._residual.signal_var)
            out["residual_length"] = self._residual.length
            out["residual_noise_std"] = math.sqrt(self._residual.noise_var)
        return out
