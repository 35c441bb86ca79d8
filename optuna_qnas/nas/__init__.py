"""Define-by-run NAS search spaces that build real ``torch.nn.Module`` networks.

Each space has ``suggest(trial) -> Config`` and each config ``build(...) -> torch.nn.Module``.
Every choice has a categorical view (default; TPE, the QUBO samplers) and an ordinal integer
view (``ordinal=True``; CMA-ES) that decode to the same architectures. Only ``build`` imports
torch, so suggesting (e.g. for a tabular benchmark) needs no torch.
"""

from optuna_qnas.nas._cell import arch_str_to_ops
from optuna_qnas.nas._cell import CellCNNConfig
from optuna_qnas.nas._cell import CellCNNSpace
from optuna_qnas.nas._cell import NB201_EDGES
from optuna_qnas.nas._cell import NB201_OPS
from optuna_qnas.nas._cell import ops_to_arch_str
from optuna_qnas.nas._cell import suggest_nb201_ops
from optuna_qnas.nas._choices import suggest_choice
from optuna_qnas.nas._choices import suggest_int_range
from optuna_qnas.nas._mlp import ACTIVATIONS
from optuna_qnas.nas._mlp import MLPConfig
from optuna_qnas.nas._mlp import MLPSpace
from optuna_qnas.nas._mlp import NORMS
from optuna_qnas.nas._tcn import TCNConfig
from optuna_qnas.nas._tcn import TCNSpace


__all__ = [
    "ACTIVATIONS",
    "CellCNNConfig",
    "CellCNNSpace",
    "MLPConfig",
    "MLPSpace",
    "NB201_EDGES",
    "NB201_OPS",
    "NORMS",
    "TCNConfig",
    "TCNSpace",
    "arch_str_to_ops",
    "ops_to_arch_str",
    "suggest_choice",
    "suggest_int_range",
    "suggest_nb201_ops",
]
