"""Target shaping: one loss per finished trial (lower is better), from values on arrays."""

from __future__ import annotations

import numpy as np


def losses(
    values: np.ndarray,  # (n, n_objectives), as reported
    minimize: np.ndarray,  # (n_objectives,) bool: the direction of each objective
    violations: np.ndarray,  # (n,) summed positive constraint values, 0 where feasible
    rng: np.random.RandomState,
) -> np.ndarray:  # (n,)
    """Fold the directions in, clip infinities, scalarise several objectives, rank violations last.

    Each objective is divided by its largest finite magnitude (values near the float maximum
    would otherwise overflow the spans below); ``+inf`` becomes one span above the worst finite
    value and ``-inf`` one span below the best. Several objectives are scalarised by a random
    augmented Chebyshev weighting drawn from ``rng`` (ParEGO, Knowles 2006): a new weight vector
    per proposal, so that successive proposals cover the Pareto front. Trials that violate
    constraints rank below every feasible one, ordered by how much they violate.
    """
    signs = np.where(np.asarray(minimize, dtype=bool), 1.0, -1.0)
    Y = np.array(values, dtype=float) * signs
    for k in range(Y.shape[1]):
        col = Y[:, k]
        finite = np.isfinite(col)
        if not finite.any():
            Y[:, k] = 0.0
            continue
        magnitude = np.abs(col[finite]).max()
        if magnitude > 0:
            col = col / magnitude
        lo, hi = col[finite].min(), col[finite].max()
        span = hi - lo if hi > lo else 1.0
        Y[:, k] = np.where(np.isposinf(col), hi + span, np.where(np.isneginf(col), lo - span, col))
    if Y.shape[1] == 1:
        loss = Y[:, 0]
    else:
        lo, hi = Y.min(axis=0), Y.max(axis=0)
        Z = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
        w = rng.dirichlet(np.ones(Y.shape[1]))
        loss = (Z * w).max(axis=1) + 0.05 * (Z * w).sum(axis=1)
    violations = np.asarray(violations, dtype=float)
    infeasible = violations > 0
    if infeasible.any():
        feasible_loss = loss[~infeasible]
        top = feasible_loss.max() if feasible_loss.size else loss.max()
        span = np.ptp(loss) if np.ptp(loss) > 0 else 1.0
        loss = np.where(infeasible, top + span * (0.5 + violations / violations.max()), loss)
    return loss


def pruned_losses(
    finished: np.ndarray,  # (n,) the losses of the finished (COMPLETE) trials
    steps: np.ndarray,  # (k,) per pruned trial, its last reported step (-1: none)
    last_values: np.ndarray,  # (k,) its last reported value (NaN: none)
    minimize: bool,
) -> np.ndarray:  # (k,)
    """Losses for pruned trials, each above every finished trial's (a pruner stopped them
    because they trailed), ordered among themselves as Optuna's TPE orders them: the later
    the step a trial was stopped at, the better, then by its last reported value.

    Only the order matters to the regression, which is fitted on rank-based normal scores;
    equal steps and values get equal losses.
    """
    last = np.asarray(last_values, dtype=float) * (1.0 if minimize else -1.0)
    keys = np.column_stack(
        [-np.asarray(steps, dtype=float), np.where(np.isnan(last), np.inf, last)]
    )
    if not len(keys):
        return np.zeros(0)
    # Rank of each distinct (-step, value) row in lexicographic order: equal keys, equal ranks.
    distinct, rank = np.unique(keys, axis=0, return_inverse=True)
    finished = np.asarray(finished, dtype=float)
    top = float(finished.max()) if finished.size else 0.0
    span = float(np.ptp(finished)) if finished.size and np.ptp(finished) > 0 else 1.0
    return top + span * (1.0 + rank.ravel()) / len(distinct)
