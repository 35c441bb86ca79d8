"""The Markdown and HTML report of a comparison (tables, PNG plots, CSVs, versions).

The report is built once as a list of blocks (headings, paragraphs, tables, images, code) and
rendered twice, to ``report.md`` and to a self-contained ``report.html`` whose images are the
PNG files beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
import datetime
import math
import os
from pathlib import Path
import platform
import sys
from typing import Any

from optuna_qnas.compare._document import Document
from optuna_qnas.compare._storage import mask_url
from optuna_qnas.compare._versions import package_versions


# --------------------------------------------------------------------------- formatting


def _fmt(x: float, digits: int = 4) -> str:
    if x is None or not math.isfinite(x):
        return "n/a" if x is None or math.isnan(x) else ("never" if x > 0 else "-inf")
    return f"{x:.{digits}g}"


def _fmt_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "n/a"
    return "<0.001" if p < 1e-3 else f"{p:.3f}"


def _mean_cell(mean: float, std: float, low: float, high: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    if not math.isfinite(std):
        return _fmt(mean)
    return f"{_fmt(mean)} ± {_fmt(std, 2)} [{_fmt(low)}, {_fmt(high)}]"


# --------------------------------------------------------------------------- report


# How the comparison tool builds Optuna's own samplers (see compare/_samplers.py).
_OPTUNA_DEFAULTS = {
    "tpe": "`TPESampler(seed=seed)`",
    "gp": "`GPSampler(seed=seed)`",
    "random": "`RandomSampler(seed=seed)`",
}


def _baseline_notes(descriptions: dict[str, str]) -> list[str]:
    """What the fairness paragraph says about the Optuna baselines among the compared samplers
    (``name -> description``); a user's own factory under a registry name is not one."""
    from optuna_qnas.compare._samplers import SAMPLERS

    samplers = [
        name
        for name, description in descriptions.items()
        if name in SAMPLERS and SAMPLERS[name].description == description
    ]
    notes = []
    defaults = [_OPTUNA_DEFAULTS[name] for name in samplers if name in _OPTUNA_DEFAULTS]
    if defaults:
        notes.append(f"Optuna's samplers keep their defaults: {', '.join(defaults)}.")
    cmaes = [name for name in samplers if name in ("cmaes", "cmaes-int")]
    if cmaes:
        text = (
            "CMA-ES is `CmaEsSampler(seed=seed, warn_independent_sampling=False)`: the flag "
            "only silences the warning printed when it samples categorical parameters at "
            "random (which it does on categorical spaces)"
        )
        if "cmaes-int" in cmaes:
            text += "; `cmaes-int` runs it on the integer view of the space instead"
        notes.append(text + ".")
    return notes


def write_report(
    result: Any,
    out_dir: str | Path,
    *,
    command: str | None = None,
    checkpoints: Sequence[int] | None = None,
    targets: dict[str, float] | None = None,
    storage_url: str | None = None,
) -> Path:
    """Write ``report.md``, ``report.html``, the PNG plots and the CSV tables into ``out_dir``.

    Returns:
        The path of ``report.md``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    st = result.statistics(checkpoints=checkpoints, targets=targets)
    result.to_dataframe().to_csv(out / "runs.csv", index=False)
    result.trajectories().to_csv(out / "trajectories.csv", index=False)
    st.checkpoints.to_csv(out / "checkpoints.csv", index=False)
    st.summary.to_csv(out / "summary.csv", index=False)
    st.pairwise.to_csv(out / "significance.csv", index=False)
    st.ranks.to_csv(out / "ranks.csv", index=False)
    result.plot(out, targets=st.targets)

    seeds = sorted({r.seed for r in result.runs})
    budgets = sorted({r.n_trials for r in result.runs})
    doc = Document()
    title = "Sampler comparison: " + ", ".join(result.problems)
    doc.h(1, title)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    doc.p(
        f"Generated {now}. {len(result.samplers)} samplers x {len(seeds)} seeds "
        f"({', '.join(map(str, seeds))}) x {', '.join(map(str, budgets))} trials on "
        f"{len(result.problems)} problem(s); {len(result.runs)} runs, each an Optuna study."
    )
    unfinished = [r.study_name for r in result.runs if not r.finished]
    if unfinished:
        doc.p(
            f"**{len(unfinished)} run(s) have not used their whole budget yet** (interrupted); "
            "re-run the same command to complete them. Checkpoints use only the runs that "
            "reached them."
        )

    doc.h(2, "Setup")
    items = []
    for problem in result.problems:
        s = result.problem_settings(problem)
        extra = (
            f"; optimum (best configuration's mean) {_fmt(s['optimum'], 6)}"
            if s.get("optimum") is not None
            else ""
        )
        items.append(
            f"`{problem}`: {s.get('problem_description') or ''} ({s['direction']}{extra})"
        )
    doc.p("**Problems**")
    doc.ul(items)
    doc.p("**Samplers**")
    descriptions: dict[str, str] = {}
    for r in result.runs:
        descriptions.setdefault(r.sampler, r.settings.get("sampler_description", ""))
    doc.ul([f"`{name}`: {desc}" for name, desc in descriptions.items()])
    doc.p("**Fairness**")
    doc.ul(
        [
            f"Every sampler ({', '.join(f'`{name}`' for name in result.samplers)}) runs with "
            "the same seeds, the same budget and the same storage. Seed `s` seeds both the "
            "sampler and the problem (which of a benchmark's training runs an evaluation "
            "returns), so every sampler meets the same noise stream.",
            *_baseline_notes(descriptions),
            "The budget counts completed, pruned and failed trials alike; trials cut short by "
            "an interruption do not count.",
            "Sampler time is measured by a proxy around every sampler call of a trial "
            "(`before_trial`, `infer_relative_search_space`, `sample_relative`, "
            "`sample_independent`, `after_trial`) and stored in the trial's user attribute "
            "`sampler_time_s`; it includes the sampler's own reads of the study from the "
            "storage (TPE, for example, reads all trials at every proposal).",
        ]
    )
    if storage_url:
        doc.p(
            f"Storage: `{mask_url(storage_url)}`; study names `<prefix>/<problem>/<sampler>/"
            "seed=<seed>`, settings in each study's user attribute `qnas_compare`."
        )

    for problem in result.problems:
        s = result.problem_settings(problem)
        doc.h(2, f"Results: {problem}")
        cp = st.checkpoints[st.checkpoints.problem == problem]
        points = sorted(cp.checkpoint.unique())
        metric = s.get("metric") or "objective"
        doc.p(
            f"Best {metric} so far at each checkpoint: mean ± std [95% interval of the mean] "
            f"over seeds ({'higher' if s['direction'] == 'maximize' else 'lower'} is better)."
        )
        rows = []
        for sampler in result.samplers:
            cells = []
            for c in points:
                row = cp[(cp.sampler == sampler) & (cp.checkpoint == c)]
                if row.empty:
                    cells.append("")
                    continue
                row = row.iloc[0]
                cells.append(_mean_cell(row["mean"], row["std"], row["ci_low"], row["ci_high"]))
            if any(cells):
                rows.append([sampler, *cells])
        doc.table(["sampler", *[f"@{c} trials" for c in points]], rows)
        sm = st.summary[st.summary.problem == problem]
        target = st.targets[problem]
        doc.p(
            f"Area under the best-so-far curve (its mean over the budget), trials needed to "
            f"reach the target {_fmt(target, 6)} (median over seeds; seeds that reached it), "
            "distinct configurations evaluated, failed trials and time."
        )
        rows = [
            [
                r.sampler,
                f"{_fmt(r.final_mean)} ± {_fmt(r.final_std, 2)}",
                f"{_fmt(r.auc_mean)} ± {_fmt(r.auc_std, 2)}",
                f"{_fmt(r.median_trials_to_target)} ({r.reached}/{r.n_seeds})",
                f"{r.distinct_mean:.1f}/{r.trials}",
                str(r.failed),
                _fmt(r.sampler_ms_per_trial, 3),
                _fmt(r.wall_s_per_run, 3),
            ]
            for r in sm.itertuples()
        ]
        doc.table(
            [
                "sampler",
                "final best",
                "AUC",
                "trials to target",
                "distinct",
                "failed",
                "sampler ms/trial",
                "wall s/run",
            ],
            rows,
        )
    noise_free = [
        p for p in result.problems if any(r.has_true_values for r in result.runs if r.problem == p)
    ]
    if noise_free:
        st_true = result.statistics(
            checkpoints=checkpoints, targets=targets, metric="incumbent_true"
        )
        st_true.checkpoints.to_csv(out / "checkpoints_incumbent_true.csv", index=False)
        st_true.pairwise.to_csv(out / "significance_incumbent_true.csv", index=False)
        doc.h(2, "Noise-free score of the incumbent")
        doc.p(
            "A tabular benchmark returns one of several training runs per evaluation, so the "
            "best observed value also measures luck in that draw. Here each run's incumbent "
            "(its best observed trial so far) is scored by its configuration's mean over all "
            "training runs: mean ± std [95% interval] over seeds, with the sampler pairs that "
            "differ significantly (Holm-corrected Mann-Whitney p < 0.05)."
        )
        for problem in noise_free:
            cp = st_true.checkpoints[st_true.checkpoints.problem == problem]
            points = sorted(cp.checkpoint.unique())
            rows = []
            for sampler in result.samplers:
                cells = []
                for c in points:
                    row = cp[(cp.sampler == sampler) & (cp.checkpoint == c)]
                    cells.append(
                        ""
                        if row.empty
                        else _mean_cell(
                            row.iloc[0]["mean"],
                            row.iloc[0]["std"],
                            row.iloc[0]["ci_low"],
                            row.iloc[0]["ci_high"],
                        )
                    )
                if any(cells):
                    rows.append([sampler, *cells])
            doc.p(f"**{problem}**")
            doc.table(["sampler", *[f"@{c} trials" for c in points]], rows)
            pw = st_true.pairwise[
                (st_true.pairwise.problem == problem)
                & (st_true.pairwise.verdict != "no significant difference")
            ]
            if pw.empty:
                doc.p("No pair differs significantly at any checkpoint.")
            else:
                doc.ul(
                    [
                        f"@{r.checkpoint} trials: {r.sampler_a} vs {r.sampler_b}, "
                        f"{_fmt(r.mean_a)} vs {_fmt(r.mean_b)}, Mann-Whitney p (Holm) "
                        f"{_fmt_p(r.p_mwu_holm)}: **{r.verdict}**"
                        for r in pw.itertuples()
                    ]
                )
    doc.h(2, "Best-so-far curves")
    doc.img("best_so_far.png", "Best so far per trial: mean over seeds, band = 95% interval")
    doc.h(2, "Final values")
    doc.img("final_values.png", "Final best value of each seed, per sampler")

    doc.h(2, "Significance")
    doc.p(
        "Two-sided Mann-Whitney U and Welch t-tests on the seeds' best-so-far values at each "
        "checkpoint; p-values Holm-corrected over all sampler pairs of one problem and "
        "checkpoint (per test). Verdict at corrected Mann-Whitney p < 0.05. With n seeds per "
        "side the smallest possible Mann-Whitney p is 2/C(2n, n) (0.0079 for n = 5)."
    )
    rows = [
        [
            r.problem,
            str(r.checkpoint),
            f"{r.sampler_a} vs {r.sampler_b}",
            f"{_fmt(r.mean_a)} vs {_fmt(r.mean_b)}",
            f"{_fmt_p(r.p_mwu)} ({_fmt_p(r.p_mwu_holm)})",
            f"{_fmt_p(r.p_welch)} ({_fmt_p(r.p_welch_holm)})",
            f"**{r.verdict}**" if r.verdict != "no significant difference" else r.verdict,
        ]
        for r in st.pairwise.itertuples()
    ]
    doc.table(
        [
            "problem",
            "trials",
            "pair",
            "means",
            "Mann-Whitney p (Holm)",
            "Welch p (Holm)",
            "verdict",
        ],
        rows,
    )
    doc.h(2, "Average rank")
    doc.p(
        "Rank of each sampler's mean final best per problem (1 = best, ties share the mean "
        "rank), averaged over problems."
    )
    cols = [c for c in st.ranks.columns if c not in ("sampler", "average_rank")]
    doc.table(
        ["sampler", *cols, "average rank"],
        [
            [r["sampler"], *[_fmt(r[c], 3) for c in cols], _fmt(r["average_rank"], 3)]
            for _, r in st.ranks.iterrows()
        ],
    )
    doc.h(2, "Sampler overhead")
    doc.img("sampler_overhead.png", "Time spent inside the sampler per trial, and per run")
    doc.p(
        "Left: median time inside the sampler per trial (log scale). Right: mean seconds per "
        "run inside the sampler and in the objective plus storage. Measured on "
        f"{platform.machine()} with {os.cpu_count()} CPU(s); runs in parallel share the CPUs."
    )
    doc.h(2, "Reproduce")
    started_by = list(
        dict.fromkeys(r.settings.get("command") for r in result.runs if r.settings.get("command"))
    )
    if started_by and started_by != [command]:
        doc.p("The runs were produced by:")
        doc.code("\n".join(started_by))
        if command:
            doc.p("and this report rendered by:")
    if command:
        doc.code(command)
    doc.p(
        "Tables as CSV: `runs.csv`, `trajectories.csv`, `checkpoints.csv`, `summary.csv`, "
        "`significance.csv`, `ranks.csv` (and `*_incumbent_true.csv` for the noise-free "
        "scores)."
    )
    versions = package_versions()
    doc.table(["package", "version"], [[k, v] for k, v in versions.items()])
    doc.p(f"Platform: {platform.platform()}; Python {sys.version.split()[0]}.")

    md_path = out / "report.md"
    md_path.write_text(doc.markdown(), encoding="utf-8")
    (out / "report.html").write_text(doc.html(title), encoding="utf-8")
    return md_path
