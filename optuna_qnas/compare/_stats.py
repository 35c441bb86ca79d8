"""Statistics of a comparison: checkpoints, area under the curve, targets, tests, ranks.

The array functions at the top know nothing of Optuna; :func:`compute_statistics` applies them
to a :class:`~optuna_qnas.compare.ComparisonResult`. Conventions:

* *best so far* at checkpoint ``c`` is the best value among a run's first ``c`` counted trials;
  a checkpoint uses only runs that reached it.
* the 95% interval is the t interval of the mean over seeds,
  ``mean +- t(0.975, n - 1) * std / sqrt(n)`` (``std`` with ``ddof=1``).
* the *area under the best-so-far curve* is the curve's mean over the budget, in the
  objective's unit (higher is better when maximising); trials before a run's first successful
  one count as the worst value seen on that problem.
* *trials to target* is the first trial at which the best so far reaches the target; the
  target is the problem's ``target`` attribute or else the median final best of all runs on
  that problem (a level half of the runs reached).
* pairwise tests compare the seeds' best-so-far values of two samplers at a checkpoint with a
  two-sided Mann-Whitney U test and a two-sided Welch t-test; within one problem and checkpoint,
  each test's p-values over all sampler pairs are Holm-corrected. The verdict uses the
  corrected Mann-Whitney p-value at level 0.05.
* ranks: per problem, samplers are ranked by mean final best (1 = best, ties share the mean
  rank); the average rank is the mean over problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
import math
from typing import Any
import warnings

import numpy as np
from scipy import stats as sps


ALPHA = 0.05
DEFAULT_CHECKPOINTS = (10, 25, 50, 100, 200, 500, 1000)
# Columns of the pairwise table, so that a comparison of one sampler (no pairs) still has them.
PAIRWISE_COLUMNS = [
    "problem",
    "checkpoint",
    "sampler_a",
    "sampler_b",
    "mean_a",
    "mean_b",
    "p_mwu",
    "p_mwu_holm",
    "p_welch",
    "p_welch_holm",
    "verdict",
]


def mean_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """``(mean, std, low, high)`` of ``x`` (``std`` with ddof 1, t interval of the mean)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (math.nan,) * 4
    mean = float(np.mean(x))
    if n == 1:
        return mean, math.nan, math.nan, math.nan
    std = float(np.std(x, ddof=1))
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def area_under_curve(curve: np.ndarray, fill: float) -> float:
    """Mean of a best-so-far ``curve`` (``(n,)``), ``nan`` entries replaced by ``fill``."""
    curve = np.asarray(curve, dtype=float)
    if len(curve) == 0:
        return math.nan
    return float(np.mean(np.where(np.isfinite(curve), curve, fill)))


def trials_to_target(curve: np.ndarray, target: float, *, maximize: bool) -> float:
    """1-based trial at which ``curve`` first reaches ``target``; ``inf`` if it never does."""
    curve = np.asarray(curve, dtype=float)
    with np.errstate(invalid="ignore"):
        hit = curve >= target if maximize else curve <= target
    hit &= np.isfinite(curve)
    return float(np.argmax(hit) + 1) if hit.any() else math.inf


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (``nan`` inputs stay ``nan`` and are not counted)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = len(idx)
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out


def two_sample_tests(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sided ``(Mann-Whitney U p, Welch t p)`` of samples ``a`` and ``b``.

    A test that is undefined on the data (fewer than two values per side for Welch, no
    variance in either sample) gives ``nan``; Mann-Whitney on identical samples gives 1.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return math.nan, math.nan
    if np.all(np.concatenate([a, b]) == a[0]):
        p_mwu = 1.0
    else:
        p_mwu = float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    if len(a) < 2 or len(b) < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        p_welch = math.nan
    else:
        with warnings.catch_warnings():
            # Near-identical samples make scipy warn about precision; the p-value stays usable.
            warnings.simplefilter("ignore", RuntimeWarning)
            p_welch = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
    return p_mwu, p_welch


def rank_means(means: dict[str, float], *, maximize: bool) -> dict[str, float]:
    """Rank samplers by mean (1 = best, ties share the mean rank, ``nan`` ranked last)."""
    names = list(means)
    v = np.array([means[n] for n in names], dtype=float)
    key = np.where(np.isfinite(v), -v if maximize else v, np.inf)
    ranks = sps.rankdata(key, method="average")
    return {n: float(r) for n, r in zip(names, ranks)}


# --------------------------------------------------------------------------- glue


@dataclass
class ComparisonStatistics:
    """The tables of a comparison (pandas DataFrames).

    Attributes:
        checkpoints: problem, sampler, checkpoint, n_seeds, mean, std, ci_low, ci_high, median.
        summary: problem, sampler, n_seeds, trials, final mean/std, auc mean/std, target,
            reached, median trials to target, distinct configurations, failures, sampler
            milliseconds per trial, wall seconds per run.
        pairwise: problem, checkpoint, sampler_a, sampler_b, mean_a, mean_b, p_mwu,
            p_mwu_holm, p_welch, p_welch_holm, verdict.
        ranks: sampler, one column per problem (rank by mean final best), average_rank.
        targets: problem -> target used.
    """

    checkpoints: Any
    summary: Any
    pairwise: Any
    ranks: Any
    targets: dict[str, float]


def curves_matrix(curves: Sequence[np.ndarray], length: int) -> np.ndarray:
    """Stack curves of unequal length into ``(n_runs, length)``, padding with ``nan``."""
    out = np.full((len(curves), length), np.nan)
    for i, c in enumerate(curves):
        c = np.asarray(c, dtype=float)[:length]
        out[i, : len(c)] = c
    return out


def _last(curve: np.ndarray) -> float:
    return float(curve[-1]) if len(curve) else math.nan


def default_checkpoints(n_trials: int) -> list[int]:
    """Two checkpoints below the budget (25, 50 for 100 trials) and the budget itself."""
    points = [c for c in DEFAULT_CHECKPOINTS if c < n_trials]
    return [*points[-2:], n_trials]


def compute_statistics(
    result: Any,
    *,
    checkpoints: Sequence[int] | None = None,
    targets: dict[str, float] | None = None,
    metric: str = "best_so_far",
) -> ComparisonStatistics:
    """All statistics of ``result`` (a :class:`ComparisonResult`) on one curve ``metric``.

    ``metric`` is ``"best_so_far"`` (observed best value) or ``"incumbent_true"`` (noise-free
    value of the incumbent, for objectives that record one).
    """
    import pandas as pd

    targets = dict(targets or {})
    cp_rows: list[dict[str, Any]] = []
    summary_rows: list[dict[str, Any]] = []
    pair_rows: list[dict[str, Any]] = []
    final_means: dict[str, dict[str, float]] = {}
    used_targets: dict[str, float] = {}
    for problem in result.problems:
        settings = result.problem_settings(problem)
        maximize = settings["direction"] == "maximize"
        runs = [r for r in result.runs if r.problem == problem]
        budget = max(r.n_trials for r in runs)
        points = sorted(
            {int(c) for c in checkpoints if 0 < int(c) <= budget}
            if checkpoints is not None
            else set(default_checkpoints(budget))
        ) or [budget]
        finite = np.concatenate([r.values[np.isfinite(r.values)] for r in runs] or [np.array([])])
        worst = float(np.min(finite) if maximize else np.max(finite)) if len(finite) else math.nan
        finals_all = np.array([_last(r.curve(metric)) for r in runs], dtype=float)
        target = targets.get(problem, settings.get("target"))
        if target is None:
            target = float(np.nanmedian(finals_all)) if np.isfinite(finals_all).any() else math.nan
        used_targets[problem] = float(target)
        per_sampler_at: dict[str, dict[int, np.ndarray]] = {}
        final_means[problem] = {}
        for sampler in result.samplers:
            sruns = result.select(problem, sampler)
            if not sruns:
                continue
            matrix = curves_matrix([r.curve(metric) for r in sruns], budget)
            per_sampler_at[sampler] = {}
            for c in points:
                at = matrix[:, c - 1]
                at = at[np.isfinite(at)]
                per_sampler_at[sampler][c] = at
                mean, std, low, high = mean_interval(at)
                cp_rows.append(
                    {
                        "problem": problem,
                        "sampler": sampler,
                        "checkpoint": c,
                        "n_seeds": len(at),
                        "mean": mean,
                        "std": std,
                        "ci_low": low,
                        "ci_high": high,
                        "median": float(np.median(at)) if len(at) else math.nan,
                    }
                )
            finals = np.array([_last(r.curve(metric)) for r in sruns], dtype=float)
            aucs = np.array([area_under_curve(r.curve(metric), worst) for r in sruns])
            reach = np.array(
                [trials_to_target(r.curve(metric), target, maximize=maximize) for r in sruns]
            )
            f_mean, f_std, f_low, f_high = mean_interval(finals)
            final_means[problem][sampler] = f_mean
            n_done = [len(r.values) for r in sruns]
            summary_rows.append(
                {
                    "problem": problem,
                    "sampler": sampler,
                    "n_seeds": len(sruns),
                    "trials": min(n_done),
                    "budget": budget,
                    "final_mean": f_mean,
                    "final_std": f_std,
                    "final_ci_low": f_low,
                    "final_ci_high": f_high,
                    "auc_mean": float(np.nanmean(aucs)),
                    "auc_std": float(np.nanstd(aucs, ddof=1)) if len(aucs) > 1 else math.nan,
                    "target": float(target),
                    "reached": int(np.isfinite(reach).sum()),
                    "median_trials_to_target": float(np.median(reach)),
                    "distinct_mean": float(np.mean([r.n_distinct for r in sruns])),
                    "failed": int(sum(r.n_failed for r in sruns)),
                    "pruned": int(sum(r.n_pruned for r in sruns)),
                    "sampler_ms_per_trial": float(
                        1e3 * np.nanmean(np.concatenate([r.sampler_time for r in sruns]))
                    )
                    if any(np.isfinite(r.sampler_time).any() for r in sruns)
                    else math.nan,
                    "wall_s_per_run": float(np.mean([r.wall_time_s for r in sruns])),
                }
            )
        names = list(per_sampler_at)
        for c in points:
            rows = []
            for a, b in combinations(names, 2):
                xa, xb = per_sampler_at[a][c], per_sampler_at[b][c]
                p_mwu, p_welch = two_sample_tests(xa, xb)
                rows.append(
                    {
                        "problem": problem,
                        "checkpoint": c,
                        "sampler_a": a,
                        "sampler_b": b,
                        "mean_a": float(np.mean(xa)) if len(xa) else math.nan,
                        "mean_b": float(np.mean(xb)) if len(xb) else math.nan,
                        "p_mwu": p_mwu,
                        "p_welch": p_welch,
                    }
                )
            adj_mwu = holm([r["p_mwu"] for r in rows])
            adj_welch = holm([r["p_welch"] for r in rows])
            for row, pm, pw in zip(rows, adj_mwu, adj_welch):
                row["p_mwu_holm"] = float(pm)
                row["p_welch_holm"] = float(pw)
                if np.isfinite(pm) and pm < ALPHA and row["mean_a"] != row["mean_b"]:
                    a_better = (row["mean_a"] > row["mean_b"]) == maximize
                    row["verdict"] = f"{row['sampler_a'] if a_better else row['sampler_b']} better"
                else:
                    row["verdict"] = "no significant difference"
                pair_rows.append(row)
    rank_rows: dict[str, dict[str, Any]] = {s: {"sampler": s} for s in result.samplers}
    for problem, means in final_means.items():
        maximize = result.problem_settings(problem)["direction"] == "maximize"
        for sampler, rank in rank_means(means, maximize=maximize).items():
            rank_rows[sampler][problem] = rank
    ranks = pd.DataFrame(list(rank_rows.values()))
    problem_cols = [p for p in final_means if p in ranks.columns]
    ranks["average_rank"] = ranks[problem_cols].mean(axis=1) if problem_cols else math.nan
    ranks = ranks.sort_values("average_rank", kind="stable").reset_index(drop=True)
    return ComparisonStatistics(
        checkpoints=pd.DataFrame(cp_rows),
        summary=pd.DataFrame(summary_rows),
        pairwise=pd.DataFrame(pair_rows, columns=PAIRWISE_COLUMNS),
        ranks=ranks,
        targets=used_targets,
    )
