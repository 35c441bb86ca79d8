"""PyTorch Lightning callbacks for Optuna studies: pruning/reporting and model cost.

Lightning and torch are imported on first use of a name from this package, so importing
``optuna_qnas`` (or this package) stays light.

- :class:`PruningCallback`: optuna-integration's ``PyTorchLightningPruningCallback`` plus a
  validated monitor, a clear once-per-fit missing-metric message (or ``missing_metric="raise"``),
  a multi-objective check and a monitor-specific ``state_key``.
- :class:`ModelCostCallback`: parameters, FLOPs per sample, batch-1 latency, peak memory as trial
  user attributes; budgets become ``trial.set_constraint`` constraints.
- The measuring functions work on any ``torch.nn.Module`` without Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any


_EXPORTS = {
    "PruningCallback": "_pruning",
    "ModelCostCallback": "_model_cost",
    "ModelCost": "_cost",
    "COST_ATTRS": "_cost",
    "DEVICE_ATTR": "_cost",
    "PARAMS_ATTR": "_cost",
    "FLOPS_ATTR": "_cost",
    "LATENCY_ATTR": "_cost",
    "MEMORY_ATTR": "_cost",
    "count_parameters": "_cost",
    "count_flops": "_cost",
    "measure_latency_ms": "_cost",
    "measure_peak_memory_bytes": "_cost",
    "measure_model_cost": "_cost",
    "record_model_cost": "_cost",
    "check_budgets": "_cost",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
