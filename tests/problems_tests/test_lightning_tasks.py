"""Real-data NAS tasks: a real Lightning Trainer trains real models proposed by our sampler."""

from __future__ import annotations

import math
import shutil
import socket

import numpy as np
import optuna
import pytest
import torch

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.nas import CellCNNSpace
from optuna_qnas.problems._lightning_data import load_digits_arrays
from optuna_qnas.problems._lightning_data import load_ucr_arrays
from optuna_qnas.problems._lightning_tasks import bundled_ucr_datasets
from optuna_qnas.problems._lightning_tasks import format_summary_table
from optuna_qnas.problems._lightning_tasks import make_array_objective
from optuna_qnas.problems._lightning_tasks import make_digits_objective
from optuna_qnas.problems._lightning_tasks import make_ucr_objective
from optuna_qnas.problems._lightning_tasks import study_summary


optuna.logging.set_verbosity(optuna.logging.WARNING)
COMPLETE, FAIL, PRUNED = (
    optuna.trial.TrialState.COMPLETE,
    optuna.trial.TrialState.FAIL,
    optuna.trial.TrialState.PRUNED,
)
CONV_CELL = {f"Op{i}": "nor_conv_3x3" for i in range(6)}


@pytest.fixture(scope="module")
def digits_objective():
    return make_digits_objective(0, quick=True, cost_repeats=3)


@pytest.mark.parametrize(
    "make_sampler",
    [
        lambda: QuantumAnnealingSampler(seed=0, n_startup_trials=2),
        lambda: optuna.samplers.TPESampler(seed=0, n_startup_trials=2),
    ],
    ids=["quantum-annealing", "tpe"],
)
def test_study_trains_real_models_with_our_sampler_and_tpe(digits_objective, make_sampler) -> None:
    study = optuna.create_study(direction="maximize", sampler=make_sampler())
    study.optimize(digits_objective, n_trials=4)
    assert [t.state for t in study.trials] == [COMPLETE] * 4
    for t in study.trials:
        assert 0.0 <= t.value <= 1.0
        assert {"n_params", "flops_per_sample", "latency_ms", "peak_memory_bytes"} <= set(
            t.user_attrs
        )
        assert t.user_attrs["epochs_trained"] == 3
        assert sorted(t.intermediate_values) == [0, 1, 2]  # the pruning callback reported
    assert study.best_value > 0.3  # well above chance (0.1) after 3 epochs
    table = format_summary_table([study_summary("x", study)])
    assert "best acc" in table and f"{study.best_value:.4f}" in table


def test_same_seed_same_architecture_same_accuracy(digits_objective) -> None:
    a = digits_objective(optuna.trial.FixedTrial(CONV_CELL))
    b = digits_objective(optuna.trial.FixedTrial(CONV_CELL))
    other = make_digits_objective(1, quick=True, cost_repeats=3)(
        optuna.trial.FixedTrial(CONV_CELL)
    )
    assert a == b
    assert a != other  # another seed: another split and initialisation
    # The objective leaves the caller's global torch RNG alone.
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    digits_objective(optuna.trial.FixedTrial(CONV_CELL))
    assert torch.equal(torch.rand(1), expected)


def test_pruner_that_must_prune_prunes_inside_the_task(digits_objective) -> None:
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1.5)
    )
    study.optimize(digits_objective, n_trials=2)
    assert [t.state for t in study.trials] == [PRUNED] * 2
    assert all("latency_ms" in t.user_attrs for t in study.trials)  # costs kept when pruned


class _ExplodingNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            raise RuntimeError("loss diverged (simulated)")
        return self.lin(x.flatten(1))


class _SometimesFailingSpace:
    """A user space whose second architecture crashes during training."""

    def __init__(self) -> None:
        self.inner = CellCNNSpace(channels=(4,))

    def suggest(self, trial):
        config = self.inner.suggest(trial)
        return _Failing() if trial.number == 1 else config


class _Failing:
    def build(self, *, input_shape, num_classes):
        return _ExplodingNet()


def test_failing_training_marks_the_trial_fail_and_the_study_goes_on() -> None:
    objective = make_digits_objective(
        0, quick=True, max_epochs=1, space=_SometimesFailingSpace(), cost_repeats=2
    )
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=3)  # Optuna's defaults: no catch= needed
    assert [t.state for t in study.trials] == [COMPLETE, FAIL, COMPLETE]
    assert "RuntimeError: loss diverged" in study.trials[1].user_attrs["error"]


def test_on_error_raise_lets_optuna_catch_or_stop() -> None:
    objective = make_digits_objective(
        0,
        quick=True,
        max_epochs=1,
        space=_SometimesFailingSpace(),
        cost_repeats=2,
        on_error="raise",
    )
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=3, catch=(RuntimeError,))
    assert [t.state for t in study.trials] == [COMPLETE, FAIL, COMPLETE]
    study = optuna.create_study(direction="maximize")
    with pytest.raises(RuntimeError, match="diverged"):
        study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [COMPLETE, FAIL]


def test_latency_as_a_second_objective_and_as_a_constraint() -> None:
    objective = make_digits_objective(
        0,
        quick=True,
        max_epochs=1,
        cost_repeats=3,
        extra_objectives=("latency_ms",),
        budgets={"latency_ms": 1e6},
    )
    study = optuna.create_study(
        directions=["maximize", "minimize"],
        sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=2),
    )
    study.optimize(objective, n_trials=2)
    for t in study.trials:
        assert t.state == COMPLETE and t.values[1] == t.user_attrs["latency_ms"]
        assert t.intermediate_values == {}  # no pruning callback in a multi-objective study
    assert study.best_trials  # feasible: far within the budget
    with pytest.raises(ValueError, match="directions"):
        objective(optuna.trial.FixedTrial(CONV_CELL))
    with pytest.raises(ValueError, match="budget"):
        make_digits_objective(0, quick=True, budgets={"latency_ms": 0.0})
    with pytest.raises(ValueError, match="extra_objectives"):
        make_digits_objective(0, quick=True, extra_objectives=("accuracy",))


def test_user_supplied_arrays_like_cifar10() -> None:
    rng = np.random.default_rng(0)
    # CIFAR-10's layout: uint8 (N, 3, 32, 32), shrunk to 16x16 and 3 classes to stay quick;
    # the class is the brightest colour channel, so it is learnable.
    y = rng.integers(0, 3, size=300)
    X = rng.integers(0, 100, size=(300, 3, 16, 16)).astype(np.uint8)
    for i, c in enumerate(y):
        X[i, c] += 150
    objective = make_digits_objective(
        0,
        data=(X[:240], y[:240], X[240:], y[240:]),
        max_epochs=4,
        cost_repeats=2,
        space=CellCNNSpace(channels=(4,), ops=("nor_conv_1x1", "skip_connect")),
    )
    trial = optuna.trial.FixedTrial({f"Op{i}": "nor_conv_1x1" for i in range(6)})
    value = objective(trial)
    assert value > 0.6  # chance is 1/3
    assert trial.user_attrs["flops_per_sample"] > 0


@pytest.mark.parametrize(
    "data, match",
    [
        ((np.zeros((4, 2)), np.zeros(4)), "X_train, y_train, X_val, y_val"),
        ((np.zeros((4, 2)), np.zeros(3), np.zeros((2, 2)), np.zeros(2)), "N > 0"),
        ((np.zeros((4, 2)), np.zeros(4, int), np.zeros((2, 3)), np.zeros(2, int)), "differ"),
        ((np.zeros((4, 2)), -np.ones(4, int), np.zeros((2, 2)), np.zeros(2, int)), "Labels"),
    ],
)
def test_bad_arrays_raise(data, match) -> None:
    with pytest.raises(ValueError, match=match):
        make_array_objective(0, data=data, space=CellCNNSpace(), max_epochs=1)


def test_bad_task_arguments_raise() -> None:
    with pytest.raises(ValueError, match="'cell' or 'mlp'"):
        make_digits_objective(0, model="resnet")
    with pytest.raises(ValueError, match="max_epochs"):
        make_digits_objective(0, quick=True, max_epochs=0)
    with pytest.raises(ValueError, match="on_error"):
        make_digits_objective(0, quick=True, on_error="ignore")
    with pytest.raises(ValueError, match="suggest"):
        make_array_objective(0, data=load_digits_arrays(0), space=object(), max_epochs=1)


def test_mlp_space_on_digits() -> None:
    objective = make_digits_objective(0, quick=True, model="mlp", cost_repeats=2)
    params = {
        "mlp_depth": 1,
        "mlp_width0": 64,
        "mlp_width1": 16,
        "mlp_width2": 16,
        "mlp_activation": "relu",
        "mlp_dropout": 0.0,
        "mlp_norm": "batch",
    }
    assert objective(optuna.trial.FixedTrial(params)) > 0.5


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_bundled_ucr_data_loads_offline(no_network) -> None:
    assert {"ItalyPowerDemand", "GunPoint", "BasicMotions"} <= set(bundled_ucr_datasets())
    X_tr, y_tr, X_te, y_te = load_ucr_arrays("ItalyPowerDemand")
    assert X_tr.shape == (67, 1, 24) and X_te.shape == (1029, 1, 24)
    assert set(np.unique(y_tr)) == {0, 1} and X_tr.dtype == np.float32
    X_tr, _, _, _ = load_ucr_arrays("BasicMotions")
    assert X_tr.shape == (40, 6, 100)  # multivariate: 6 channels


def test_unbundled_dataset_is_refused_not_downloaded(no_network) -> None:
    with pytest.raises(ValueError, match="not bundled.*ItalyPowerDemand"):
        load_ucr_arrays("Coffee")


def test_an_archive_folder_is_read_through_extract_path(tmp_path, no_network) -> None:
    import aeon.datasets

    src = f"{aeon.datasets.__path__[0]}/data/GunPoint"
    shutil.copytree(src, tmp_path / "GunPoint")
    ours = load_ucr_arrays("GunPoint", extract_path=str(tmp_path))
    bundled = load_ucr_arrays("GunPoint")
    for a, b in zip(ours, bundled):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="does not exist"):
        load_ucr_arrays("Coffee", extract_path=str(tmp_path))


def test_ucr_study_with_our_sampler(no_network) -> None:
    objective = make_ucr_objective(0, quick=True, cost_repeats=2, max_epochs=8)
    study = optuna.create_study(
        direction="maximize", sampler=QuantumAnnealingSampler(seed=0, n_startup_trials=1)
    )
    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [COMPLETE] * 2
    assert all(
        0.0 <= t.value <= 1.0 and not math.isnan(t.user_attrs["latency_ms"]) for t in study.trials
    )
    assert study.best_value > 0.55  # ItalyPowerDemand: two balanced classes


def test_text_task_from_the_bundled_vader_lexicon(no_network) -> None:
    from optuna_qnas.problems._lightning_data import load_vader_lexicon_arrays
    from optuna_qnas.problems._lightning_tasks import make_text_objective

    X_tr, y_tr, X_va, y_va = load_vader_lexicon_arrays(0)
    assert X_tr.shape[1:] == X_va.shape[1:] and X_tr.shape[2] == 20
    assert len(X_tr) + len(X_va) > 6000 and set(np.unique(y_tr)) == {0, 1}
    assert np.all(X_tr.sum(axis=1) <= 1)  # one-hot characters, zero padding
    objective = make_text_objective(0, quick=True, max_epochs=2, cost_repeats=2)
    params = {
        "tcn_blocks": 2,
        "tcn_channels": 32,
        "tcn_kernel_size": 3,
        "tcn_dilated": True,
        "tcn_dropout": 0.0,
        "tcn_norm": "batch",
    }
    majority = max(np.mean(y_va), 1 - np.mean(y_va))
    assert objective(optuna.trial.FixedTrial(params)) > 0.5 and majority < 0.6
