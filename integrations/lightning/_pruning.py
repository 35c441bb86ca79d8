"""Pruning/reporting callback: optuna-integration's callback plus what it lacks.

Reused unchanged from ``optuna_integration.PyTorchLightningPruningCallback``: reporting the
monitored metric in ``on_validation_end``, skipping sanity checking, ``trial.should_prune()`` ->
``optuna.TrialPruned``, and the DDP path (report on rank 0, broadcast the decision, keep
intermediate values in an RDB storage, ``check_pruned()`` after ``fit``).

Added here:

- ``monitor`` is validated when the callback is built (a non-empty string).
- A metric that is not logged gives one warning per fit that lists the metrics that *are*
  logged (the base class repeats a generic warning every epoch); a fit that ends without the
  metric ever appearing warns too, since the pruner then never saw the trial. With
  ``missing_metric="raise"`` the fit stops with a ``ValueError`` instead.
- A multi-objective study is refused at ``on_fit_start`` with a clear message (Optuna's
  ``trial.report`` does not support it and would fail mid-training).
- ``state_key`` includes the monitor, so two such callbacks can sit in one Trainer.
"""

from __future__ import annotations

import warnings

from lightning.pytorch import LightningModule
from lightning.pytorch import Trainer
import optuna
from optuna_integration import PyTorchLightningPruningCallback
from typing_extensions import override


class PruningCallback(PyTorchLightningPruningCallback):
    """Report a validation metric to the trial every epoch and prune through its pruner.

    Args:
        trial:
            The trial being evaluated.
        monitor:
            The name of a metric logged with ``self.log(...)`` during validation, e.g.
            ``"val_acc"``.
        missing_metric:
            ``"warn"`` (default, as optuna-integration) or ``"raise"``: what to do when the
            monitored metric is not among the logged metrics at the end of a validation epoch.
    """

    def __init__(
        self, trial: optuna.trial.Trial, monitor: str, *, missing_metric: str = "warn"
    ) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"monitor must be the name of a logged validation metric, e.g. 'val_acc'; got "
                f"{monitor!r}."
            )
        if missing_metric not in ("warn", "raise"):
            raise ValueError(f"missing_metric must be 'warn' or 'raise'; got {missing_metric!r}.")
        super().__init__(trial, monitor)
        self.missing_metric = missing_metric
        self._seen = False
        self._warned = False

    @property
    @override
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor)

    @override
    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        study = getattr(self._trial, "study", None)
        if study is not None and len(study.directions) > 1:
            raise ValueError(
                "PruningCallback needs a single-objective study: Optuna cannot report "
                "intermediate values or prune in a multi-objective study. Leave the pruning "
                "callback out (ModelCostCallback still records the costs)."
            )
        self._seen = False
        self._warned = False
        super().on_fit_start(trainer, pl_module)

    @override
    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        if self.monitor not in trainer.callback_metrics:
            self._missing(trainer)
            return
        self._seen = True
        super().on_validation_end(trainer, pl_module)

    @override
    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not self._seen and not self._warned:
            self._missing(trainer)

    def _missing(self, trainer: Trainer) -> None:
        logged = sorted(trainer.callback_metrics)
        message = (
            f"The monitored metric {self.monitor!r} was not logged (logged metrics: {logged}); "
            f"the trial is not reported to and cannot be pruned. Log it in validation_step with "
            f"self.log({self.monitor!r}, value) or pass monitor=<one of the logged names>."
        )
        if self.missing_metric == "raise":
            raise ValueError(message)
        if not self._warned:
            warnings.warn(message, UserWarning, stacklevel=2)
            self._warned = True
