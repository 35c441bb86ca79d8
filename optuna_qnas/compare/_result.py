"""The plain result of a comparison, read back from its storage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import cast

import numpy as np
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from optuna_qnas.compare._storage import counted_trials
from optuna_qnas.compare._storage import FAIL_REASON_ATTR
from optuna_qnas.compare._storage import is_interrupted
from optuna_qnas.compare._storage import make_storage
from optuna_qnas.compare._storage import SETTINGS_ATTR
from optuna_qnas.compare._timing import SAMPLER_TIME_ATTR


TRUE_VALUE_ATTR = "true_value"  # written by objectives that know a noise-free value


@dataclass
class RunResult:
    """One (problem, sampler, seed) run: the first ``n_trials`` counted trials of its study.

    Attributes:
        problem, sampler, seed, study_name, direction, n_trials:
            What the run is (``n_trials`` is the budget).
        values:
            ``(n,)`` objective value per counted trial, ``nan`` for failed or pruned ones.
        states:
            ``(n,)`` trial state names.
        sampler_time:
            ``(n,)`` seconds spent inside the sampler per trial (``nan`` if not recorded).
        trial_time:
            ``(n,)`` wall seconds per trial, sampler and objective together.
        n_distinct:
            Number of distinct configurations among the counted trials.
        n_interrupted:
            Trials cut short by interruptions (not counted, shown for transparency).
        fail_reasons:
            The recorded reason of each failed trial.
        settings:
            The study's ``qnas_compare`` user attribute.
        true_values:
            ``(n,)`` noise-free value of each trial's configuration where the objective
            records one (user attribute ``true_value``, e.g. the tabular benchmarks' mean over
            training seeds), else ``nan``.
        best_params:
            Parameters of the best counted trial (the incumbent), ``{}`` if none completed.
    """

    problem: str
    sampler: str
    seed: int
    study_name: str
    direction: str
    n_trials: int
    values: np.ndarray
    states: list[str]
    sampler_time: np.ndarray
    trial_time: np.ndarray
    n_distinct: int
    n_interrupted: int = 0
    fail_reasons: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    true_values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    best_params: dict[str, Any] = field(default_factory=dict)

    @property
    def maximize(self) -> bool:
        return self.direction == "maximize"

    @property
    def finished(self) -> bool:
        """Whether the run has used its whole budget."""
        return len(self.values) >= self.n_trials

    @property
    def best_so_far(self) -> np.ndarray:
        """``(n,)`` best value among the first ``i + 1`` trials (``nan`` before the first)."""
        v = np.where(np.isfinite(self.values), self.values, -np.inf if self.maximize else np.inf)
        best = np.maximum.accumulate(v) if self.maximize else np.minimum.accumulate(v)
        return np.where(np.isfinite(best), best, np.nan)

    @property
    def incumbent_true(self) -> np.ndarray:
        """``(n,)`` noise-free value of the incumbent (best observed trial) after each trial.

        ``nan`` where there is no incumbent yet or the objective records no noise-free value.
        """
        out = np.full(len(self.values), np.nan)
        if len(self.true_values) != len(self.values):
            return out
        best_i = -1
        for i, v in enumerate(self.values):
            if np.isfinite(v) and (
                best_i < 0
                or (v > self.values[best_i] if self.maximize else v < self.values[best_i])
            ):
                best_i = i
            if best_i >= 0:
                out[i] = self.true_values[best_i]
        return out

    @property
    def has_true_values(self) -> bool:
        return bool(len(self.true_values)) and bool(np.isfinite(self.true_values).any())

    def curve(self, metric: str = "best_so_far") -> np.ndarray:
        """``best_so_far`` (observed) or ``incumbent_true`` (noise-free score of the incumbent)."""
        if metric == "best_so_far":
            return self.best_so_far
        if metric == "incumbent_true":
            return self.incumbent_true
        raise ValueError(f"metric must be 'best_so_far' or 'incumbent_true', got {metric!r}.")

    @property
    def final_best(self) -> float:
        curve = self.best_so_far
        return float(curve[-1]) if len(curve) else float("nan")

    @property
    def n_failed(self) -> int:
        return sum(s == TrialState.FAIL.name for s in self.states)

    @property
    def n_pruned(self) -> int:
        return sum(s == TrialState.PRUNED.name for s in self.states)

    @property
    def sampler_time_s(self) -> float:
        return float(np.nansum(self.sampler_time))

    @property
    def wall_time_s(self) -> float:
        return float(np.nansum(self.trial_time))


@dataclass
class ComparisonResult:
    """All runs of a comparison, with the settings each problem was run with.

    Use :meth:`to_dataframe` for one row per run, :meth:`trajectories` for the long format,
    :meth:`statistics` for the numbers and :meth:`write_report` for the Markdown/HTML report.

    Attributes:
        runs:
            The runs, by problem, sampler and seed.
        n_trials_run:
            Trials that the :func:`compare_samplers` call returning this result evaluated
            (``0`` when the storage already held every run's budget: a resume with nothing left
            to do); ``None`` for a result read with :func:`load_comparison`.
    """

    runs: list[RunResult]
    n_trials_run: int | None = None

    @property
    def problems(self) -> list[str]:
        return list(dict.fromkeys(r.problem for r in self.runs))

    @property
    def samplers(self) -> list[str]:
        return list(dict.fromkeys(r.sampler for r in self.runs))

    def problem_settings(self, problem: str) -> dict[str, Any]:
        """The settings of ``problem`` (direction, optimum, target, description...)."""
        for run in self.runs:
            if run.problem == problem:
                return run.settings
        raise KeyError(problem)

    def select(self, problem: str, sampler: str) -> list[RunResult]:
        """The runs of one sampler on one problem, by seed."""
        runs = [r for r in self.runs if r.problem == problem and r.sampler == sampler]
        return sorted(runs, key=lambda r: r.seed)

    def to_dataframe(self) -> Any:
        """One row per run: problem, sampler, seed, final best, times, distinct, failures."""
        import pandas as pd

        rows = [
            {
                "problem": r.problem,
                "sampler": r.sampler,
                "seed": r.seed,
                "n_trials": len(r.values),
                "budget": r.n_trials,
                "final_best": r.final_best,
                "sampler_time_s": r.sampler_time_s,
                "sampler_ms_per_trial": 1e3 * r.sampler_time_s / max(len(r.values), 1),
                "wall_time_s": r.wall_time_s,
                "n_distinct": r.n_distinct,
                "n_failed": r.n_failed,
                "n_pruned": r.n_pruned,
                "n_interrupted": r.n_interrupted,
                "finished": r.finished,
                "study_name": r.study_name,
            }
            for r in self.runs
        ]
        return pd.DataFrame(rows)

    def trajectories(self) -> Any:
        """Long format: one row per (run, trial) with value, best so far and sampler time."""
        import pandas as pd

        frames = [
            pd.DataFrame(
                {
                    "problem": r.problem,
                    "sampler": r.sampler,
                    "seed": r.seed,
                    "trial": np.arange(1, len(r.values) + 1),
                    "value": r.values,
                    "best_so_far": r.best_so_far,
                    "true_value": r.true_values if len(r.true_values) == len(r.values) else np.nan,
                    "incumbent_true": r.incumbent_true,
                    "sampler_time_s": r.sampler_time,
                    "trial_time_s": r.trial_time,
                }
            )
            for r in self.runs
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def statistics(
        self,
        *,
        checkpoints: Sequence[int] | None = None,
        targets: dict[str, float] | None = None,
        metric: str = "best_so_far",
    ) -> Any:
        """The statistics of :mod:`optuna_qnas.compare._stats` for this result.

        Args:
            checkpoints:
                Trial counts for the tables (default: two below the budget and the budget).
            targets:
                Problem -> target value for "trials to reach the target".
            metric:
                ``"best_so_far"`` (observed values) or ``"incumbent_true"`` (noise-free value
                of the incumbent, where the objective records one).
        """
        from optuna_qnas.compare._stats import compute_statistics

        return compute_statistics(self, checkpoints=checkpoints, targets=targets, metric=metric)

    def plot(self, out_dir: str | Path, *, targets: dict[str, float] | None = None) -> list[Path]:
        """Write ``best_so_far.png``, ``final_values.png`` and ``sampler_overhead.png``.

        Returns:
            The paths of the three PNG files.
        """
        from optuna_qnas.compare._plots import plot_best_so_far
        from optuna_qnas.compare._plots import plot_final_values
        from optuna_qnas.compare._plots import plot_overhead

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return [
            plot_best_so_far(self, out / "best_so_far.png", targets=targets),
            plot_final_values(self, out / "final_values.png"),
            plot_overhead(self, out / "sampler_overhead.png"),
        ]

    def write_report(
        self,
        out_dir: str | Path,
        *,
        command: str | None = None,
        checkpoints: Sequence[int] | None = None,
        targets: dict[str, float] | None = None,
        storage_url: str | None = None,
    ) -> Path:
        """Write ``report.md``, ``report.html``, PNG plots and CSVs into ``out_dir``.

        Returns:
            The path of ``report.md``.
        """
        from optuna_qnas.compare._report import write_report

        return write_report(
            self,
            out_dir,
            command=command,
            checkpoints=checkpoints,
            targets=targets,
            storage_url=storage_url,
        )


def _run_from_study(storage: BaseStorage, study: Any, n_trials: int | None) -> RunResult:
    settings = dict(study.user_attrs[SETTINGS_ATTR])
    budget = int(n_trials if n_trials is not None else settings["n_trials"])
    trials = storage.get_all_trials(study._study_id, deepcopy=False)
    counted = counted_trials(trials, budget)
    values = np.array(
        [t.value if t.state == TrialState.COMPLETE else np.nan for t in counted], dtype=float
    )
    sampler_time = np.array(
        [float(t.user_attrs.get(SAMPLER_TIME_ATTR, np.nan)) for t in counted], dtype=float
    )
    trial_time = np.array(
        [
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete is not None and t.datetime_start is not None
            else np.nan
            for t in counted
        ],
        dtype=float,
    )
    true_values = np.array(
        [float(t.user_attrs.get(TRUE_VALUE_ATTR, np.nan)) for t in counted], dtype=float
    )
    distinct = {tuple(sorted((k, repr(v)) for k, v in t.params.items())) for t in counted}
    complete = [t for t in counted if t.state == TrialState.COMPLETE]
    best_params: dict[str, Any] = {}
    if complete:
        sign = -1.0 if settings["direction"] == "maximize" else 1.0
        best = min(complete, key=lambda t: (sign * float(cast(float, t.value)), t.number))
        best_params = dict(best.params)
    return RunResult(
        problem=settings["problem"],
        sampler=settings["sampler"],
        seed=int(settings["seed"]),
        study_name=study.study_name,
        direction=settings["direction"],
        n_trials=budget,
        values=values,
        states=[t.state.name for t in counted],
        sampler_time=sampler_time,
        trial_time=trial_time,
        n_distinct=len(distinct),
        n_interrupted=sum(is_interrupted(t) for t in trials),
        fail_reasons=[
            str(t.user_attrs.get(FAIL_REASON_ATTR, ""))
            for t in counted
            if t.state == TrialState.FAIL
        ],
        settings=settings,
        true_values=true_values,
        best_params=best_params,
    )


def load_comparison(
    storage: str | BaseStorage,
    *,
    study_names: Sequence[str] | None = None,
    problems: Sequence[str] | None = None,
    samplers: Sequence[str] | None = None,
    n_trials: int | None = None,
    study_prefix: str | None = None,
) -> ComparisonResult:
    """Read a comparison back from ``storage`` (what ``optuna-qnas report`` does).

    Args:
        storage:
            URL or storage object.
        study_names:
            Only these studies (default: every study carrying the ``qnas_compare`` settings).
        problems, samplers:
            Keep only these problems / samplers.
        n_trials:
            Budget to read (default: each study's recorded ``n_trials``).
        study_prefix:
            Only studies named ``{study_prefix}/...`` (one comparison of several in a storage).

    Raises:
        ValueError: the storage cannot be opened (a SQLite file that does not exist is not
            created) or holds no comparison studies.
    """
    opened = make_storage(storage, create=False)
    wanted = set(study_names) if study_names is not None else None
    runs = []
    for study in opened.get_all_studies():
        if SETTINGS_ATTR not in study.user_attrs:
            continue
        if wanted is not None and study.study_name not in wanted:
            continue
        if study_prefix is not None and not study.study_name.startswith(study_prefix + "/"):
            continue
        settings = study.user_attrs[SETTINGS_ATTR]
        if problems is not None and settings["problem"] not in problems:
            continue
        if samplers is not None and settings["sampler"] not in samplers:
            continue
        run = _run_from_study(opened, study, n_trials)
        run.settings["_study_id"] = study._study_id
        runs.append(run)
    if not runs:
        raise ValueError(
            "The storage holds no comparison studies (studies with the 'qnas_compare' user "
            "attribute) matching the selection; run `optuna-qnas compare` first."
        )
    seen: dict[tuple[str, str, int], str] = {}
    for run in runs:
        key = (run.problem, run.sampler, run.seed)
        if key in seen:
            raise ValueError(
                f"The storage holds two runs of {key[0]} / {key[1]} / seed {key[2]} "
                f"({seen[key]!r} and {run.study_name!r}); select one comparison with "
                "study_prefix (--study-prefix)."
            )
        seen[key] = run.study_name
    if study_names is not None:
        order = {name: i for i, name in enumerate(study_names)}
        runs.sort(key=lambda r: order.get(r.study_name, len(order)))
    else:
        runs.sort(
            key=lambda r: (
                r.problem,
                r.settings.get("sampler_index", 0),
                r.sampler,
                r.seed,
                r.settings["_study_id"],
            )
        )
    for run in runs:
        run.settings.pop("_study_id", None)
    return ComparisonResult(runs=runs)
