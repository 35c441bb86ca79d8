"""Train one architecture with a real Lightning ``Trainer``: the objective on given arrays.

:func:`make_array_objective` turns arrays and a search space into a define-by-run objective
that suggests an architecture, builds it, trains it on CPU with the pruning and model-cost
callbacks attached, and returns the validation accuracy. torch and Lightning are imported
inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import contextlib
import logging
import time
from typing import Any
import warnings

import numpy as np

from optuna_qnas.problems._lightning_data import check_arrays


_logger = logging.getLogger(__name__)

#: User attributes every task objective records besides the model costs.
EPOCHS_ATTR = "epochs_trained"
TRAIN_TIME_ATTR = "train_time_s"
ERROR_ATTR = "error"


def _classifier_class() -> type:
    import lightning.pytorch as pl
    import torch
    import torch.nn.functional as F

    class ArchitectureClassifier(pl.LightningModule):
        """A network built by a search space, trained with cross-entropy and Adam."""

        def __init__(
            self, net: torch.nn.Module, *, lr: float, weight_decay: float, example: torch.Tensor
        ) -> None:
            super().__init__()
            self.net = net
            self.lr = lr
            self.weight_decay = weight_decay
            self.example_input_array = example

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = F.cross_entropy(self(x), y)
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            logits = self(x)
            self.log("val_loss", F.cross_entropy(logits, y), on_epoch=True)
            self.log("val_acc", (logits.argmax(-1) == y).float().mean(), on_epoch=True)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    return ArchitectureClassifier


def _build_network(config: Any, sample_shape: tuple[int, ...], num_classes: int) -> Any:
    from optuna_qnas.nas import CellCNNConfig
    from optuna_qnas.nas import MLPConfig
    from optuna_qnas.nas import TCNConfig

    if isinstance(config, MLPConfig):
        return config.build(in_features=int(np.prod(sample_shape)), num_classes=num_classes)
    if isinstance(config, (CellCNNConfig, TCNConfig)):
        return config.build(in_channels=sample_shape[0], num_classes=num_classes)
    # Any other space: its config builds from the sample shape.
    return config.build(input_shape=sample_shape, num_classes=num_classes)


class _QuietLightning(contextlib.ContextDecorator):
    """Silence Lightning's per-Trainer banner and data-loader worker hints during a trial."""

    def __enter__(self) -> _QuietLightning:
        self._loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric")]
        self._levels = [lg.level for lg in self._loggers]
        for lg in self._loggers:
            lg.setLevel(logging.WARNING)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=r".*number of training batches.*")
        # Raised inside Lightning itself on torch 2.13; nothing a user can act on.
        warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._warnings.__exit__(*exc)
        for lg, level in zip(self._loggers, self._levels):
            lg.setLevel(level)


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Any:
    import torch

    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_array_objective(
    seed: int,
    *,
    data: Sequence[Any],
    space: Any,
    max_epochs: int,
    batch_size: int = 32,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    monitor: str = "val_acc",
    pruning: bool = True,
    cost_device: str = "cpu",
    cost_repeats: int = 20,
    budgets: Mapping[str, float] | None = None,
    extra_objectives: Sequence[str] = (),
    on_error: str = "fail",
    trainer_kwargs: Mapping[str, Any] | None = None,
    num_threads: int | None = 1,
) -> Callable[[Any], float | tuple[float, ...]]:
    """A NAS objective on user-supplied arrays: suggest, build, train, validate.

    Args:
        seed:
            Fixes weight initialisation, dropout and data order (not the trial number, so the
            same architecture gets the same accuracy in any study with this seed).
        data:
            ``(X_train, y_train, X_val, y_val)``; X is ``(N, ...)`` (uint8 is scaled by 1/255),
            y holds integer labels.
        space:
            Anything with ``suggest(trial) -> config``; the :mod:`optuna_qnas.nas` spaces, or a
            config with ``build(input_shape=..., num_classes=...)``.
        max_epochs:
            Training epochs (the pruner may stop earlier).
        batch_size, lr, weight_decay:
            Adam training settings. A space whose config has ``lr`` / ``weight_decay``
            attributes (e.g. the ``digits-macro`` space, which searches them) overrides these
            per trial.
        monitor:
            The metric reported to the pruner and returned: ``"val_acc"``.
        pruning:
            Attach :class:`~optuna_qnas.integrations.lightning.PruningCallback` (single-objective
            studies only; it is left out automatically when ``extra_objectives`` is set).
        cost_device, cost_repeats:
            Where and how often the batch-1 latency is measured.
        budgets:
            ``{cost name: budget}`` constraints, e.g. ``{"latency_ms": 2.0}``.
        extra_objectives:
            Cost names returned after the accuracy for a multi-objective study, e.g.
            ``("latency_ms",)``: create the study with
            ``directions=["maximize"] + ["minimize"] * len(extra_objectives)``.
        on_error:
            ``"fail"``: an exception during training is recorded in the ``error`` user
            attribute and the objective returns NaN, so Optuna marks the trial FAIL and the study
            goes on. ``"raise"``: the exception propagates (Optuna marks the trial FAIL and stops
            unless ``study.optimize(catch=...)`` names it).
        trainer_kwargs:
            Overrides of the ``lightning.pytorch.Trainer`` arguments.
        num_threads:
            torch intra-op threads during the trial (restored afterwards); ``None`` leaves
            torch's setting. One thread is the default because these networks are tiny: on a
            shared 2-core machine two spinning OpenMP threads made a trial 20x slower (60 s vs
            3 s). The latency attribute is measured with the same setting.
    """
    from optuna_qnas.integrations.lightning._cost import check_budgets
    from optuna_qnas.integrations.lightning._cost import COST_ATTRS

    X_tr, y_tr, X_va, y_va = check_arrays(data)
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be >= 1; got {max_epochs}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    if on_error not in ("fail", "raise"):
        raise ValueError(f"on_error must be 'fail' or 'raise'; got {on_error!r}.")
    if num_threads is not None and num_threads < 1:
        raise ValueError(f"num_threads must be >= 1 or None; got {num_threads!r}.")
    checked_budgets = check_budgets(budgets)
    extra = tuple(extra_objectives)
    for key in extra:
        if key not in COST_ATTRS:
            raise ValueError(f"extra_objectives must be among {list(COST_ATTRS)}; got {key!r}.")
    if not hasattr(space, "suggest"):
        raise ValueError("space must have a suggest(trial) method (see optuna_qnas.nas).")
    num_classes = int(max(y_tr.max(), y_va.max())) + 1
    sample_shape = tuple(X_tr.shape[1:])
    user_trainer_kwargs = dict(trainer_kwargs or {})

    def objective(trial: Any) -> float | tuple[float, ...]:
        import lightning.pytorch as pl
        import optuna
        import torch
        from torch.utils.data import DataLoader
        from torch.utils.data import TensorDataset

        from optuna_qnas.integrations.lightning import ModelCostCallback
        from optuna_qnas.integrations.lightning import PruningCallback

        config = space.suggest(trial)
        trial.set_user_attr("architecture", repr(config))
        study = getattr(trial, "study", None)
        single = study is None or len(study.directions) == 1
        if extra and single:
            raise ValueError(
                f"extra_objectives={extra} needs a study with {1 + len(extra)} directions."
            )
        with _QuietLightning(), _torch_threads(num_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            try:
                net = _build_network(config, sample_shape, num_classes)
                train_ds = TensorDataset(torch.from_numpy(X_tr), torch.from_numpy(y_tr))
                val_ds = TensorDataset(torch.from_numpy(X_va), torch.from_numpy(y_va))
                train_loader = DataLoader(
                    train_ds,
                    batch_size=batch_size,
                    shuffle=True,
                    # A last batch of one sample breaks BatchNorm in training mode.
                    drop_last=len(train_ds) % batch_size == 1,
                    generator=torch.Generator().manual_seed(seed),
                )
                val_loader = DataLoader(val_ds, batch_size=max(batch_size, 256))
                model = _classifier_class()(
                    net,
                    lr=float(getattr(config, "lr", lr)),
                    weight_decay=float(getattr(config, "weight_decay", weight_decay)),
                    example=torch.from_numpy(X_tr[:1]),
                )
                callbacks: list[Any] = [
                    ModelCostCallback(
                        trial,
                        device=cost_device,
                        repeats=cost_repeats,
                        budgets=checked_budgets,
                    )
                ]
                if pruning and single:
                    callbacks.append(PruningCallback(trial, monitor))
                kwargs: dict[str, Any] = dict(
                    accelerator="cpu",
                    devices=1,
                    max_epochs=max_epochs,
                    logger=False,
                    enable_checkpointing=False,
                    enable_progress_bar=False,
                    enable_model_summary=False,
                    num_sanity_val_steps=0,
                    deterministic=True,
                )
                kwargs.update(user_trainer_kwargs)
                kwargs["callbacks"] = list(kwargs.get("callbacks", [])) + callbacks
                trainer = pl.Trainer(**kwargs)
                t0 = time.perf_counter()
                trainer.fit(model, train_dataloaders=train_loader, val_dataloaders=val_loader)
                trial.set_user_attr(TRAIN_TIME_ATTR, time.perf_counter() - t0)
                trial.set_user_attr(EPOCHS_ATTR, int(trainer.current_epoch))
                if monitor not in trainer.callback_metrics:
                    raise ValueError(
                        f"The metric {monitor!r} was never logged; logged: "
                        f"{sorted(trainer.callback_metrics)}."
                    )
                value = float(trainer.callback_metrics[monitor])
            except optuna.TrialPruned:
                raise
            except Exception as exc:
                if on_error == "raise":
                    raise
                message = f"{type(exc).__name__}: {exc}"
                trial.set_user_attr(ERROR_ATTR, message[:2000])
                _logger.warning(f"Trial {trial.number} failed during training: {message}")
                nan = float("nan")
                return (nan,) * (1 + len(extra)) if extra else nan
        if not extra:
            return value
        return (value, *(float(trial.user_attrs[k]) for k in extra))

    return objective
