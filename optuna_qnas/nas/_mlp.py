"""Multi-layer perceptron search space: depth, per-layer widths, activation, dropout, norm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TYPE_CHECKING

from optuna_qnas.nas._choices import check_choices
from optuna_qnas.nas._choices import check_int_range
from optuna_qnas.nas._choices import suggest_choice
from optuna_qnas.nas._choices import suggest_int_range


if TYPE_CHECKING:
    import torch

ACTIVATIONS: tuple[str, ...] = ("relu", "gelu", "silu", "tanh", "elu", "leaky_relu")
NORMS: tuple[str, ...] = ("none", "batch", "layer")


@dataclass(frozen=True)
class MLPConfig:
    """One architecture of :class:`MLPSpace`: ``widths`` has one entry per hidden layer."""

    widths: tuple[int, ...]
    activation: str
    dropout: float
    norm: str

    @property
    def depth(self) -> int:
        return len(self.widths)

    def build(self, *, in_features: int, num_classes: int) -> torch.nn.Module:
        """Build ``Flatten -> [Linear -> norm -> activation -> dropout] x depth -> Linear``."""
        from optuna_qnas.nas._torch_modules import MLP

        return MLP(
            in_features=in_features,
            num_classes=num_classes,
            widths=self.widths,
            activation=self.activation,
            dropout=self.dropout,
            norm=self.norm,
        )


class MLPSpace:
    """Define-by-run MLP search space.

    Parameters: ``mlp_depth``, ``mlp_width0..``, ``mlp_activation``, ``mlp_dropout``,
    ``mlp_norm`` (each asked only when it has more than one choice).

    Args:
        depth:
            Inclusive bounds ``(low, high)`` on the number of hidden layers (``low >= 1``).
        widths:
            Choices for each hidden layer's width.
        activations:
            Choices among :data:`ACTIVATIONS`.
        dropouts:
            Choices for the dropout probability, each in ``[0, 1)``.
        norms:
            Choices among :data:`NORMS`.
        conditional:
            ``False`` (default): ``mlp_width{i}`` is asked for every layer up to ``depth[1]``
            in every trial and layers beyond the chosen depth ignore theirs, so the space is
            static, which is what relative samplers (QUBO, CMA-ES, multivariate TPE) model.
            ``True``: only the widths of the layers that exist are asked (a dynamic space).
        ordinal:
            Integer view of every choice (for CMA-ES).
    """

    def __init__(
        self,
        *,
        depth: Sequence[int] = (1, 3),
        widths: Sequence[int] = (16, 32, 64, 128),
        activations: Sequence[str] = ("relu", "gelu", "tanh"),
        dropouts: Sequence[float] = (0.0, 0.1, 0.3),
        norms: Sequence[str] = ("none", "batch", "layer"),
        conditional: bool = False,
        ordinal: bool = False,
    ) -> None:
        self.depth = check_int_range("depth", depth, minimum=1)
        self.widths = check_choices("widths", widths, integer=True, minimum=1)
        self.activations = check_choices("activations", activations, allowed=ACTIVATIONS)
        self.dropouts = check_choices("dropouts", dropouts, minimum=0.0, below=1.0)
        self.norms = check_choices("norms", norms, allowed=NORMS)
        self.conditional = bool(conditional)
        self.ordinal = bool(ordinal)

    def suggest(self, trial: Any) -> MLPConfig:
        """Ask the trial for an architecture."""
        low, high = self.depth
        depth = suggest_int_range(trial, "mlp_depth", low, high, ordinal=self.ordinal)
        n_asked = depth if self.conditional else high
        widths = tuple(
            suggest_choice(trial, f"mlp_width{i}", self.widths, ordinal=self.ordinal)
            for i in range(n_asked)
        )[:depth]
        return MLPConfig(
            widths=widths,
            activation=suggest_choice(
                trial, "mlp_activation", self.activations, ordinal=self.ordinal
            ),
            dropout=float(
                suggest_choice(trial, "mlp_dropout", self.dropouts, ordinal=self.ordinal)
            ),
            norm=suggest_choice(trial, "mlp_norm", self.norms, ordinal=self.ordinal),
        )
