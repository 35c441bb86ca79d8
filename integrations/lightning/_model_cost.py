"""Model-cost callback: parameters, FLOPs, latency and peak memory as trial attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightning.pytorch import Callback
from lightning.pytorch import LightningModule
from lightning.pytorch import Trainer
from optuna_qnas.integrations.lightning._cost import check_budgets
from optuna_qnas.integrations.lightning._cost import COST_ATTRS
from optuna_qnas.integrations.lightning._cost import measure_model_cost
from optuna_qnas.integrations.lightning._cost import ModelCost
from optuna_qnas.integrations.lightning._cost import record_model_cost
import torch
from typing_extensions import override


class ModelCostCallback(Callback):
    """Measure the model's inference cost when ``fit`` starts and record it on the trial.

    Measured on a copy of the LightningModule (its ``forward`` is the inference path), with a
    batch of one sample: ``n_params``, ``flops_per_sample`` (``torch.utils.flop_counter``),
    ``latency_ms`` (median of ``repeats`` forward passes after ``warmup``, on ``device``) and
    ``peak_memory_bytes``. They are set as trial user attributes, so an objective can return
    them as extra objectives (``trial.user_attrs["latency_ms"]`` in a multi-objective study),
    and each entry of ``budgets`` becomes a constraint ``cost - budget <= 0`` via
    ``trial.set_constraint``. Measuring at fit start means pruned and failed trials keep
    their costs too. The measured values are also in :attr:`cost`.

    Args:
        trial:
            The trial to record on, or ``None`` to only measure (read :attr:`cost`).
        example_input:
            An input batch (its first sample is used). Defaults to the module's
            ``example_input_array``.
        device:
            Where latency and memory are measured (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
        warmup:
            Forward passes discarded before timing.
        repeats:
            Timed forward passes; the median is recorded.
        measure:
            Which of ``n_params``, ``flops_per_sample``, ``latency_ms``,
            ``peak_memory_bytes`` to measure.
        budgets:
            ``{cost name: budget}``, e.g. ``{"latency_ms": 5.0}``; each budget must be > 0.
    """

    def __init__(
        self,
        trial: Any | None = None,
        *,
        example_input: Any = None,
        device: str | torch.device = "cpu",
        warmup: int = 5,
        repeats: int = 20,
        measure: tuple[str, ...] = COST_ATTRS,
        budgets: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__()
        unknown = set(measure) - set(COST_ATTRS)
        if unknown:
            raise ValueError(f"Unknown cost(s) {sorted(unknown)}; valid: {list(COST_ATTRS)}.")
        self.budgets = check_budgets(budgets)
        unmeasured = set(self.budgets) - set(measure)
        if unmeasured:
            raise ValueError(f"Budgets on {sorted(unmeasured)} need them in measure=.")
        if warmup < 0 or repeats < 1:
            raise ValueError(f"Need warmup >= 0 and repeats >= 1; got {warmup}, {repeats}.")
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={str(device)!r} but CUDA is not available; use 'cpu'.")
        self.trial = trial
        self.example_input = example_input
        self.device = dev
        self.warmup = warmup
        self.repeats = repeats
        self.measure = tuple(measure)
        self.cost: ModelCost | None = None

    @override
    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        example = self.example_input
        if example is None:
            example = pl_module.example_input_array
        if example is None:
            raise ValueError(
                "ModelCostCallback needs an example input: pass example_input=<a batch> or set "
                "self.example_input_array in the LightningModule."
            )
        self.cost = measure_model_cost(
            pl_module,
            example,
            device=self.device,
            warmup=self.warmup,
            repeats=self.repeats,
            measure=self.measure,
        )
        if self.trial is not None:
            record_model_cost(self.trial, self.cost, budgets=self.budgets)
