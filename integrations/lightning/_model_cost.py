"""Model-cost callback: parameters, FLOPs, latency and peak memory as trial attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightning.pytorch import Callback
from lightning.pytorch import LightningModule
from lightning.pytorch import Trainer
import torch
from typing_extensions import override

from optuna_qnas.integrations.lightning._cost import _first_sample
from optuna_qnas.integrations.lightning._cost import check_budgets
from optuna_qnas.integrations.lightning._cost import COST_ATTRS
from optuna_qnas.integrations.lightning._cost import measure_model_cost
from optuna_qnas.integrations.lightning._cost import ModelCost
from optuna_qnas.integrations.lightning._cost import record_model_cost


class ModelCostCallback(Callback):
    """Measure the model's inference cost at the start of training and record it on the trial.

    Measured on a copy of the LightningModule (its ``forward`` is the inference path), with a
    batch of one sample: ``n_params``, ``flops_per_sample`` (``torch.utils.flop_counter``),
    ``latency_ms`` (median of ``repeats`` forward passes after ``warmup``, on ``device``) and
    ``peak_memory_bytes``. They are set as trial user attributes, so an objective can return
    them as extra objectives (``trial.user_attrs["latency_ms"]`` in a multi-objective study),
    and each entry of ``budgets`` becomes a constraint ``cost - budget <= 0`` via
    ``trial.set_constraint``. The measured values are also in :attr:`cost`.

    The input comes from ``example_input``, else the module's ``example_input_array``, else
    the first real batch: the callback then records the arguments of the first ``forward``
    call after fit starts (a sanity-check or training step) and measures at the end of the
    first training batch. When the training step does not call ``forward``, the batch itself
    (a tensor) or its first element (``x`` of an ``(x, y)`` batch) is the input. With an
    example input the costs are measured when fit starts, otherwise after the first training
    batch; either way a trial pruned later keeps its costs.

    Args:
        trial:
            The trial to record on, or ``None`` to only measure (read :attr:`cost`).
        example_input:
            An input batch (its first sample is used). Defaults to the module's
            ``example_input_array``, then to the first real batch.
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
        self._hook: Any = None
        self._captured: Any = None
        self._batch_input: Any = None

    @override
    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.cost = None
        self._captured = None
        self._batch_input = None
        if not trainer.is_global_zero:
            return
        example = self.example_input
        if example is None:
            example = pl_module.example_input_array
        if example is not None:
            self._measure(pl_module, example)
            return
        # No example input: record the first real input that reaches forward.
        self._hook = pl_module.register_forward_pre_hook(self._capture, with_kwargs=True)

    def _capture(self, module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict) -> None:
        self._remove_hook()
        inputs: Any = args if not kwargs else (kwargs if not args else None)
        if isinstance(inputs, tuple) and len(inputs) == 1:
            inputs = inputs[0]
        try:
            self._captured = _detached_first_sample(inputs)
        except ValueError:  # not tensors (or both positional and keyword arguments)
            self._captured = None

    @override
    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.cost is None and trainer.is_global_zero and self._batch_input is None:
            # The fallback when forward is never called: a tensor batch, or x of (x, y).
            candidate = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
            if isinstance(candidate, torch.Tensor) and candidate.dim() > 0:
                self._batch_input = candidate[:1].detach().clone()

    @override
    def on_train_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.cost is not None or not trainer.is_global_zero:
            return
        self._remove_hook()
        example = self._captured if self._captured is not None else self._batch_input
        if example is None:
            raise ValueError(
                "ModelCostCallback found no input to measure with: the training step never "
                "called forward and the batch is neither a tensor nor an (x, y) pair. "
                "Pass example_input=<a batch> or set self.example_input_array in the "
                "LightningModule."
            )
        self._measure(pl_module, example)

    @override
    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self._remove_hook()

    def _remove_hook(self) -> None:
        hook = getattr(self, "_hook", None)
        if hook is not None:
            hook.remove()
            self._hook = None

    def _measure(self, pl_module: LightningModule, example: Any) -> None:
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


def _detached_first_sample(inputs: Any) -> Any:
    """The first sample of a batch (tensor, or tuple/list/dict of tensors), detached from
    autograd and copied, so it outlives the training step that produced it."""
    first = _first_sample(inputs)
    return _map_tensors(first, lambda t: t.detach().clone())


def _map_tensors(value: Any, fn: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_map_tensors(v, fn) for v in value)
    return {k: _map_tensors(v, fn) for k, v in value.items()}
