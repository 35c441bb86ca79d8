"""Awkward objectives and search spaces through our sampler inside ``study.optimize``: each study
runs to its end with valid proposals (or the trial fails by Optuna's own rules), and the sampler
never raises inside the optimize loop."""

from __future__ import annotations

import math
import warnings

from _reliability_checks import assert_valid_trial
from _reliability_helpers import record_figure
import optuna
from optuna.trial import TrialState
import pytest

from optuna_qnas import QuantumAnnealingSampler


optuna.logging.set_verbosity(optuna.logging.ERROR)
N_TRIALS = 8  # 3 space-filling proposals, then 5 from the model


def _cells(trial: optuna.Trial) -> int:
    return sum("abcd".index(trial.suggest_categorical(f"e{i}", list("abcd"))) for i in range(3))


def nan_sometimes(trial):  # type: ignore[no-untyped-def]
    v = _cells(trial)
    return math.nan if trial.number % 3 == 1 else float(v)


def inf_sometimes(trial):  # type: ignore[no-untyped-def]
    v = _cells(trial)
    return [math.inf, -math.inf, float(v)][trial.number % 3]


def always_fails(trial):  # type: ignore[no-untyped-def]
    _cells(trial)
    raise RuntimeError("the training run crashed")


def always_nan(trial):  # type: ignore[no-untyped-def]
    _cells(trial)
    return math.nan


def constant(trial):  # type: ignore[no-untyped-def]
    _cells(trial)
    return 1.0


def single_values(trial):  # type: ignore[no-untyped-def]
    a = trial.suggest_int("a", 3, 3)
    b = trial.suggest_float("b", 0.5, 0.5)
    c = trial.suggest_categorical("c", ["only"])
    d = trial.suggest_float("d", 1e-3, 1e-3, log=True)
    assert (a, b, c, d) == (3, 0.5, "only", 1e-3)
    return float(_cells(trial))


def dynamic_bounds(trial):  # type: ignore[no-untyped-def]
    hi = trial.suggest_int("hi", 1, 4)
    x = trial.suggest_int("x", 0, hi)  # its distribution changes from trial to trial
    y = trial.suggest_float("y", -float(trial.number), 1.0)
    return x + y + hi


def conditional(trial):  # type: ignore[no-untyped-def]
    kind = trial.suggest_categorical("kind", ["mlp", "cnn"])
    if kind == "mlp":
        return trial.suggest_int("units", 8, 64, log=True) / 64
    return trial.suggest_int("kernel", 1, 7, step=2) + trial.suggest_float("dropout", 0.0, 0.5)


MIXED = [None, "relu", 3, 2.5, False]


def mixed_types(trial):  # type: ignore[no-untyped-def]
    v = trial.suggest_categorical("act", MIXED)
    w = trial.suggest_categorical("w", [1, 2, 3])
    return float(MIXED.index(v) * w) if v is not False else 0.5


def size_1_and_1000(trial):  # type: ignore[no-untyped-def]
    one = trial.suggest_categorical("one", ["x"])
    big = trial.suggest_categorical("big", list(range(1000)))
    return abs(big - 617) + len(one)


def empty_space(trial):  # type: ignore[no-untyped-def]
    return 1.0


def mixed_numeric(trial):  # type: ignore[no-untyped-def]
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    wd = trial.suggest_float("wd", 0.0, 0.3, step=0.05)
    layers = trial.suggest_int("layers", 1, 100)
    width = trial.suggest_int("width", 16, 1024, log=True)
    return math.log10(lr) ** 2 + wd + layers / 100 + width / 1024


# (objective, input in words, expected final states, what we expect in words)
CASES = [
    (
        nan_sometimes,
        "objective returns NaN for every third trial",
        None,
        "NaN trials FAIL (Optuna), the rest COMPLETE",
    ),
    (
        inf_sometimes,
        "objective returns +inf / -inf",
        {TrialState.COMPLETE},
        "all COMPLETE; infinities clipped for the model",
    ),
    (
        always_fails,
        "every trial raises (all-failed study)",
        {TrialState.FAIL},
        "all FAIL; proposals continue from the independent RandomSampler",
    ),
    (
        always_nan,
        "every trial returns NaN (all-failed study)",
        {TrialState.FAIL},
        "all FAIL; proposals continue from the independent RandomSampler",
    ),
    (constant, "constant objective", {TrialState.COMPLETE}, "all COMPLETE, model proposals"),
    (
        single_values,
        "single-value int/float/log-float/categorical",
        {TrialState.COMPLETE},
        "the single value, no bits",
    ),
    (
        dynamic_bounds,
        "dynamic bounds (suggest_int('x', 0, hi))",
        {TrialState.COMPLETE},
        "independent sampler for changing ones",
    ),
    (
        conditional,
        "conditional parameters",
        {TrialState.COMPLETE},
        "shared ones from the model, others independent",
    ),
    (
        mixed_types,
        "categorical of mixed types [None, 'relu', 3, 2.5, False]",
        {TrialState.COMPLETE},
        "the exact choice objects",
    ),
    (
        size_1_and_1000,
        "categorical of size 1 and of size 1000",
        {TrialState.COMPLETE},
        "1000 choices in 10 binary bits",
    ),
    (empty_space, "empty search space", {TrialState.COMPLETE}, "no parameters, no solve"),
    (
        mixed_numeric,
        "log floats, stepped floats, wide and log ints",
        {TrialState.COMPLETE},
        "binned levels refined",
    ),
]


@pytest.mark.parametrize(
    "objective, given, states, expect", CASES, ids=[c[0].__name__ for c in CASES]
)
def test_awkward_studies_run_to_the_end(objective, given, states, expect) -> None:
    sampler = QuantumAnnealingSampler(seed=0, num_reads=8, n_startup_trials=3)
    study = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's NaN / independent-sampling warnings
        study.optimize(objective, n_trials=N_TRIALS, catch=(RuntimeError,))
    trials = study.trials
    assert len(trials) == N_TRIALS
    got = {t.state for t in trials}
    if states is not None:
        assert got == states, [t.state for t in trials]
    else:
        assert got == {TrialState.COMPLETE, TrialState.FAIL}
    for t in trials:
        assert_valid_trial(t)
    if objective in (always_fails, always_nan):
        # Optuna's IntersectionSearchSpace is built from COMPLETE trials only, so with none the
        # relative space is empty and every parameter comes from the independent RandomSampler
        # (no space-filling design, repeats possible): valid, but not our sampler's proposals.
        assert all("qnas:proposal" not in t.system_attrs for t in trials)
    if objective in (constant, inf_sometimes, nan_sometimes):
        modes = [t.system_attrs.get("qnas:proposal", {}).get("mode") for t in trials]
        assert "model" in modes, modes
    record_figure(
        "bad_input",
        entry="study.optimize + QuantumAnnealingSampler",
        input=given,
        answer=f"{expect} ({', '.join(sorted(s.name for s in got))})",
    )
