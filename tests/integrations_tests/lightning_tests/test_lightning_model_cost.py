"""Model-cost functions and ModelCostCallback: real measurements, attrs, constraints, bad input."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from typing import Any

from _lightning_helpers import DigitsMLP
from _lightning_helpers import make_trainer
import lightning.pytorch as pl
import optuna
import pytest
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from optuna_qnas.integrations.lightning import COST_ATTRS
from optuna_qnas.integrations.lightning import count_flops
from optuna_qnas.integrations.lightning import count_parameters
from optuna_qnas.integrations.lightning import measure_latency_ms
from optuna_qnas.integrations.lightning import measure_model_cost
from optuna_qnas.integrations.lightning import measure_peak_memory_bytes
from optuna_qnas.integrations.lightning import ModelCostCallback
from optuna_qnas.integrations.lightning import PruningCallback
from optuna_qnas.integrations.lightning import record_model_cost


optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_counts_on_known_layers() -> None:
    linear = nn.Linear(10, 5)
    assert count_parameters(linear) == 55
    # FLOPs are per sample whatever the batch: 2 * in * out for the matmul.
    assert count_flops(linear, torch.randn(7, 10)) == 100
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
    assert count_flops(conv, torch.randn(2, 3, 8, 8)) == 2 * 3 * 4 * 9 * 64
    tied = nn.Module()
    tied.a = linear
    tied.b = linear
    assert count_parameters(tied) == 55
    assert linear.training  # measuring left the mode alone


def test_latency_and_memory_are_real_measurements() -> None:
    small, big = nn.Linear(64, 64), nn.Sequential(*[nn.Linear(512, 512) for _ in range(6)])
    lat_small = measure_latency_ms(small, torch.randn(1, 64), warmup=2, repeats=15)
    lat_big = measure_latency_ms(big, torch.randn(1, 512), warmup=2, repeats=15)
    assert 0 < lat_small < lat_big
    mem = measure_peak_memory_bytes(big, torch.randn(3, 512))
    weights = count_parameters(big) * 4
    assert weights <= mem < weights + 10 * 512 * 4  # weights + a few activation vectors


def test_measure_model_cost_subset_and_bad_names() -> None:
    cost = measure_model_cost(nn.Linear(4, 2), torch.randn(1, 4), measure=("n_params",))
    assert cost.as_attrs() == {"n_params": 10, "cost_device": "cpu"}
    with pytest.raises(ValueError, match="Unknown cost"):
        measure_model_cost(nn.Linear(4, 2), torch.randn(1, 4), measure=("energy_mj",))
    with pytest.raises(ValueError, match="repeats"):
        measure_latency_ms(nn.Linear(4, 2), torch.randn(1, 4), repeats=0)
    with pytest.raises(ValueError, match="batch dimension"):
        count_flops(nn.Linear(4, 2), "not a tensor")


def test_callback_records_costs_on_the_trial(digits_loaders) -> None:
    study = optuna.create_study(direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        trainer = make_trainer(
            [ModelCostCallback(trial, repeats=5), PruningCallback(trial, "val_acc")], max_epochs=1
        )
        trainer.fit(DigitsMLP(), *digits_loaders)
        return float(trainer.callback_metrics["val_acc"])

    study.optimize(objective, n_trials=1)
    attrs = study.trials[0].user_attrs
    assert set(COST_ATTRS) <= set(attrs)
    assert attrs["n_params"] == 64 * 16 + 16 + 16 * 10 + 10
    assert attrs["flops_per_sample"] == 2 * (64 * 16 + 16 * 10)
    assert attrs["latency_ms"] > 0 and math.isfinite(attrs["latency_ms"])
    assert attrs["peak_memory_bytes"] >= 4 * attrs["n_params"]


def test_costs_as_extra_objectives(digits_loaders) -> None:
    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])

    def objective(trial: optuna.Trial) -> tuple[float, float, float]:
        hidden = trial.suggest_categorical("hidden", [4, 64])
        trainer = make_trainer([ModelCostCallback(trial, repeats=3)], max_epochs=1)
        trainer.fit(DigitsMLP(hidden=hidden), *digits_loaders)
        attrs = trial.user_attrs
        return float(trainer.callback_metrics["val_acc"]), attrs["latency_ms"], attrs["n_params"]

    study.enqueue_trial({"hidden": 4})
    study.enqueue_trial({"hidden": 64})
    study.optimize(objective, n_trials=2)
    params = [t.values[2] for t in study.trials]
    assert params[0] < params[1]
    assert len(study.best_trials) >= 1


def test_budgets_become_constraints(digits_loaders) -> None:
    study = optuna.create_study(direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        budget = trial.suggest_categorical("budget", [1e-6, 1e6])
        callback = ModelCostCallback(
            trial, repeats=3, budgets={"latency_ms": budget, "n_params": 1e9}
        )
        trainer = make_trainer([callback], max_epochs=1)
        trainer.fit(DigitsMLP(), *digits_loaders)
        return float(trainer.callback_metrics["val_acc"]) + (budget < 1)  # infeasible looks best

    study.enqueue_trial({"budget": 1e-6})
    study.enqueue_trial({"budget": 1e6})
    study.optimize(objective, n_trials=2)
    # Only the trial within its latency budget is feasible, so it is the best trial.
    assert study.best_trial.params == {"budget": 1e6}


@pytest.mark.parametrize("budget", [0, -1.0, float("nan"), float("inf"), "fast"])
def test_non_positive_or_bad_budget_raises(budget) -> None:
    with pytest.raises(ValueError, match="budget"):
        ModelCostCallback(budgets={"latency_ms": budget})


def test_budget_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="Unknown budget"):
        ModelCostCallback(budgets={"energy": 1.0})
    with pytest.raises(ValueError, match="measure="):
        ModelCostCallback(budgets={"latency_ms": 1.0}, measure=("n_params",))
    trial = optuna.trial.FixedTrial({})
    cost = measure_model_cost(nn.Linear(2, 2), torch.randn(1, 2), measure=("n_params",))
    with pytest.raises(ValueError, match="was not measured"):
        record_model_cost(trial, cost, budgets={"latency_ms": 1.0})


class _PlainDigits(pl.LightningModule):
    """An ordinary LightningModule: no example_input_array, nothing added for the callback."""

    def __init__(self, *, call_forward: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
        self.call_forward = call_forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        logits = self(x) if self.call_forward else self.net(x)
        return F.cross_entropy(logits, y)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_acc", (self(x).argmax(-1) == y).float().mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


@pytest.mark.parametrize("call_forward", [True, False])
def test_a_plain_module_is_measured_on_its_first_batch(digits_loaders, call_forward) -> None:
    study = optuna.create_study(direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        trainer = make_trainer(
            [ModelCostCallback(trial, repeats=3), PruningCallback(trial, "val_acc")], max_epochs=1
        )
        model = _PlainDigits(call_forward=call_forward)
        assert model.example_input_array is None
        trainer.fit(model, *digits_loaders)
        assert not model._forward_pre_hooks  # the capturing hook is gone
        return float(trainer.callback_metrics["val_acc"])

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    attrs = trial.user_attrs
    assert attrs["n_params"] == 64 * 16 + 16 + 16 * 10 + 10
    assert attrs["flops_per_sample"] == 2 * (64 * 16 + 16 * 10)  # one digit, not a batch
    assert attrs["latency_ms"] > 0 and attrs["peak_memory_bytes"] >= 4 * attrs["n_params"]


def test_no_usable_input_names_the_fix(digits_loaders) -> None:
    class DictBatches(_PlainDigits):
        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            return F.cross_entropy(self.net(batch["x"]), batch["y"])

    train, _ = digits_loaders
    dict_batches = [{"x": x, "y": y} for x, y in train]
    trainer = make_trainer([ModelCostCallback()], max_epochs=1, limit_val_batches=0)
    with pytest.raises(ValueError, match="example_input"):
        trainer.fit(DictBatches(), DataLoader(dict_batches, batch_size=None))


def test_without_trial_it_only_measures(digits_loaders) -> None:
    callback = ModelCostCallback(example_input=torch.zeros(8, 64), repeats=2)
    make_trainer([callback], max_epochs=1).fit(DigitsMLP(), *digits_loaders)
    assert callback.cost is not None and callback.cost.n_params == 1210


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_cuda_device_without_cuda_raises() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        ModelCostCallback(device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_latency_and_memory_on_cuda() -> None:
    net = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    cost = measure_model_cost(net, torch.randn(1, 256), device="cuda")
    assert cost.latency_ms > 0 and cost.peak_memory_bytes >= 4 * count_parameters(net)
    assert next(net.parameters()).device.type == "cpu"  # the caller's model did not move


def test_hooks_are_marked_override() -> None:
    assert getattr(ModelCostCallback.on_fit_start, "__override__", False)


def test_importing_the_package_does_not_import_torch_or_lightning() -> None:
    code = (
        "import sys, optuna_qnas, optuna_qnas.integrations.lightning as L\n"
        "assert 'torch' not in sys.modules and 'lightning' not in sys.modules, 'eager'\n"
        "assert 'PruningCallback' in L.__all__ and 'PruningCallback' not in vars(L)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _WritesToStderr(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        os.write(2, b"kept: a line the model writes to stderr\n")
        return x * 2


def test_profiler_status_lines_are_dropped_and_other_stderr_is_kept(capfd) -> None:
    capfd.readouterr()
    measure_peak_memory_bytes(_WritesToStderr(), torch.ones(2, 3))
    err = capfd.readouterr().err
    assert "USDT" not in err and "profiler_start" not in err, err
    assert err.count("kept: a line the model writes to stderr") == 1, err


def test_a_trial_with_a_real_trainer_prints_no_profiler_lines(digits_loaders, capfd) -> None:
    study = optuna.create_study(direction="maximize")

    def objective(trial: optuna.Trial) -> float:
        trainer = make_trainer([ModelCostCallback(trial, repeats=2)], max_epochs=1)
        trainer.fit(DigitsMLP(), *digits_loaders)
        return float(trainer.callback_metrics["val_acc"])

    capfd.readouterr()
    study.optimize(objective, n_trials=2)
    out, err = capfd.readouterr()
    assert study.trials[1].user_attrs["peak_memory_bytes"] > 0
    for text in (out, err):
        assert "USDT" not in text and "profiler_st" not in text and "STAGE:" not in text, text
