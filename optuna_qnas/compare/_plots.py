"""matplotlib figures of a comparison (Agg backend, PNG files).

.. note:: This module requires ``matplotlib`` (the ``bench`` extra).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from optuna_qnas.compare._stats import curves_matrix
from optuna_qnas.compare._stats import mean_interval


_DPI = 120


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _integer_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def sampler_colors(samplers: list[str]) -> dict[str, Any]:
    """A fixed colour per sampler (tab10 order), the same in every figure."""
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    return {s: cmap(i % 10) for i, s in enumerate(samplers)}


_LINESTYLES = ("-", "--", "-.", (0, (1, 1)))


def sampler_styles(samplers: list[str]) -> dict[str, Any]:
    """A line style per sampler, so that samplers with identical curves stay visible."""
    return {s: _LINESTYLES[i % len(_LINESTYLES)] for i, s in enumerate(samplers)}


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return math.ceil(n / cols), cols


def _metric_label(settings: dict[str, Any]) -> str:
    metric = settings.get("metric") or "objective"
    better = "higher" if settings["direction"] == "maximize" else "lower"
    return f"best {metric} so far ({better} is better)"


def _band(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean = np.full(matrix.shape[1], np.nan)
    low = np.full(matrix.shape[1], np.nan)
    high = np.full(matrix.shape[1], np.nan)
    for j in range(matrix.shape[1]):
        m, s, lo, hi = mean_interval(matrix[:, j])
        mean[j], low[j], high[j] = (
            m,
            (lo if np.isfinite(lo) else m),
            (hi if np.isfinite(hi) else m),
        )
    return mean, low, high


def plot_best_so_far(
    result: Any, path: str | Path, *, targets: dict[str, float] | None = None
) -> Path:
    """Best-so-far curves: the mean over seeds with its 95% interval as a band, per problem."""
    plt = _pyplot()
    colors = sampler_colors(result.samplers)
    styles = sampler_styles(result.samplers)
    rows, cols = _grid(len(result.problems))
    fig, axes = plt.subplots(rows, cols, figsize=(6.8 * cols, 4.6 * rows), squeeze=False)
    for ax, problem in zip(axes.flat, result.problems):
        settings = result.problem_settings(problem)
        maximize = settings["direction"] == "maximize"
        budget = max(r.n_trials for r in result.runs if r.problem == problem)
        x = np.arange(1, budget + 1)
        lows, highs = [], []
        skip = max(1, budget // 10)  # the first trials are far below: keep them off the y-range
        for sampler in result.samplers:
            runs = result.select(problem, sampler)
            if not runs:
                continue
            mean, low, high = _band(curves_matrix([r.best_so_far for r in runs], budget))
            label = f"{sampler} (n={len(runs)})"
            ax.plot(x, mean, color=colors[sampler], ls=styles[sampler], lw=2, label=label)
            ax.fill_between(x, low, high, color=colors[sampler], alpha=0.12, lw=0)
            # The y-range follows the mean curves after the first tenth of the budget; the
            # bands of a few seeds can be much wider and are clipped.
            lows.append(np.nanmin(mean[skip - 1 :]))
            highs.append(np.nanmax(mean[skip - 1 :]))
        optimum = settings.get("optimum")
        if optimum is not None and np.isfinite(optimum):
            ax.axhline(optimum, color="0.25", ls="--", lw=1, label=f"optimum {optimum:.4g}")
            (highs if maximize else lows).append(optimum)
        target = (targets or {}).get(problem)
        if target is not None and np.isfinite(target):
            ax.axhline(target, color="0.55", ls=":", lw=1, label=f"target {target:.4g}")
        if settings.get("log_scale"):
            ax.set_yscale("log")
        elif lows and highs and np.isfinite(min(lows)) and np.isfinite(max(highs)):
            lo, hi = min(lows), max(highs)
            span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.01
            ax.set_ylim(lo - 0.25 * span, hi + 0.08 * span)
        ax.set_xlim(1, budget)
        _integer_ticks(ax.xaxis)
        ax.set_title(problem, fontsize=11)
        ax.set_xlabel("trials")
        ax.set_ylabel(_metric_label(settings))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right" if maximize else "upper right")
    for ax in list(axes.flat)[len(result.problems) :]:
        ax.axis("off")
    fig.suptitle("Best so far: mean over seeds, band = 95% interval of the mean", fontsize=11)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path


def plot_final_values(result: Any, path: str | Path) -> Path:
    """Box plots of each run's final best value, one box per sampler, seeds as dots."""
    plt = _pyplot()
    colors = sampler_colors(result.samplers)
    rows, cols = _grid(len(result.problems))
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(max(4.8, 1.1 * len(result.samplers) + 1.5) * cols, 4.2 * rows),
        squeeze=False,
    )
    rng = np.random.default_rng(0)  # jitter of the dots only
    for ax, problem in zip(axes.flat, result.problems):
        settings = result.problem_settings(problem)
        names = [s for s in result.samplers if result.select(problem, s)]
        data = [np.array([r.final_best for r in result.select(problem, s)]) for s in names]
        data = [d[np.isfinite(d)] for d in data]
        box = ax.boxplot(data, patch_artist=True, widths=0.55, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names)
        for patch, name in zip(box["boxes"], names):
            patch.set_facecolor(colors[name])
            patch.set_alpha(0.35)
        for median in box["medians"]:
            median.set_color("black")
        for i, (d, name) in enumerate(zip(data, names), start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(d)), d, s=16, color=colors[name], zorder=3)
        optimum = settings.get("optimum")
        if optimum is not None and np.isfinite(optimum):
            ax.axhline(optimum, color="0.25", ls="--", lw=1, label=f"optimum {optimum:.4g}")
            ax.legend(fontsize=8, loc="best")
        if settings.get("log_scale"):
            ax.set_yscale("log")
        n_trials = max(r.n_trials for r in result.runs if r.problem == problem)
        ax.set_title(f"{problem}: final best after {n_trials} trials", fontsize=11)
        metric = settings.get("metric") or "objective"
        ax.set_ylabel(f"final best {metric}")
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(result.problems) :]:
        ax.axis("off")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path


def plot_overhead(result: Any, path: str | Path) -> Path:
    """Sampler overhead: time per trial inside the sampler, and sampler vs objective per run."""
    plt = _pyplot()
    colors = sampler_colors(result.samplers)
    styles = sampler_styles(result.samplers)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12.5, 4.6))
    budget = max(r.n_trials for r in result.runs)
    x = np.arange(1, budget + 1)
    sampler_s, objective_s = [], []
    for sampler in result.samplers:
        runs = [r for r in result.runs if r.sampler == sampler]
        matrix = curves_matrix([1e3 * r.sampler_time for r in runs], budget)
        with np.errstate(all="ignore"):
            median = (
                np.nanmedian(matrix, axis=0)
                if np.isfinite(matrix).any()
                else np.full(budget, np.nan)
            )
        ax1.plot(
            x,
            np.maximum(median, 1e-3),
            color=colors[sampler],
            ls=styles[sampler],
            lw=1.5,
            label=sampler,
        )
        sampler_s.append(np.mean([r.sampler_time_s for r in runs]))
        objective_s.append(np.mean([r.wall_time_s - r.sampler_time_s for r in runs]))
    ax1.set_yscale("log")
    low_y, high_y = ax1.get_ylim()
    ax1.set_ylim(low_y, high_y * 6)  # room for the legend above the curves
    ax1.set_xlim(1, budget)
    _integer_ticks(ax1.xaxis)
    ax1.set_xlabel("trial")
    ax1.set_ylabel("time in sampler per trial (ms, median over runs)")
    ax1.set_title("Sampler time per trial", fontsize=11)
    ax1.grid(alpha=0.3, which="both")
    ax1.legend(fontsize=8, ncol=min(4, len(result.samplers)), loc="upper left")
    y = np.arange(len(result.samplers))
    ax2.barh(y, sampler_s, color=[colors[s] for s in result.samplers], label="sampler")
    ax2.barh(y, objective_s, left=sampler_s, color="0.8", label="objective + storage")
    for yi, s, o in zip(y, sampler_s, objective_s):
        ax2.text(s + o, yi, f"  {s:.2f} s + {o:.2f} s", va="center", fontsize=8)
    ax2.set_yticks(y, result.samplers)
    ax2.invert_yaxis()
    ax2.set_xlabel("seconds per run (mean over runs)")
    ax2.set_title("Where a run's time goes", fontsize=11)
    ax2.set_xlim(0, 1.35 * max(np.add(sampler_s, objective_s).max(), 1e-3))
    ax2.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    ax2.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path
