"""1-D CNN / temporal convolutional network (TCN) search space for time series.

A TCN block here is a causal convolution (left padding ``(k - 1) * dilation``), a norm, ReLU and
dropout, with a residual connection (a 1x1 convolution when the widths differ); dilations grow
as ``2**block`` when ``dilated`` (Bai, Kolter & Koltun 2018), else every block has dilation 1
(a plain 1-D CNN). Global average pooling over time feeds a linear classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TYPE_CHECKING

from optuna_qnas.nas._choices import check_choices
from optuna_qnas.nas._choices import check_int_range
from optuna_qnas.nas._choices import suggest_choice
from optuna_qnas.nas._choices import suggest_int_range
from optuna_qnas.nas._mlp import NORMS


if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class TCNConfig:
    """One architecture of :class:`TCNSpace`."""

    num_blocks: int
    channels: int
    kernel_size: int
    dilated: bool
    dropout: float
    norm: str

    def build(self, *, in_channels: int, num_classes: int) -> torch.nn.Module:
        """Build the network for input ``(N, in_channels, length)`` -> logits
        ``(N, num_classes)``."""
        from optuna_qnas.nas._torch_modules import TCN

        return TCN(
            in_channels=in_channels,
            num_classes=num_classes,
            num_blocks=self.num_blocks,
            channels=self.channels,
            kernel_size=self.kernel_size,
            dilated=self.dilated,
            dropout=self.dropout,
            norm=self.norm,
        )


class TCNSpace:
    """Define-by-run 1-D CNN / TCN search space.

    Parameters: ``tcn_blocks``, ``tcn_channels``, ``tcn_kernel_size``, ``tcn_dilated``,
    ``tcn_dropout``, ``tcn_norm`` (each asked only when it has more than one choice).

    Args:
        num_blocks:
            Inclusive bounds ``(low, high)`` on the number of convolution blocks.
        channels:
            Choices for the width of every block.
        kernel_sizes:
            Choices for the convolution kernel size (``>= 1``).
        dilated:
            Choices among ``True`` (TCN, dilation ``2**block``) and ``False`` (plain 1-D CNN).
        dropouts:
            Choices for the dropout probability, each in ``[0, 1)``.
        norms:
            Choices among ``"none"``, ``"batch"``, ``"layer"``.
        ordinal:
            Integer view of every choice (for CMA-ES).
    """

    def __init__(
        self,
        *,
        num_blocks: Sequence[int] = (1, 4),
        channels: Sequence[int] = (8, 16, 32),
        kernel_sizes: Sequence[int] = (3, 5, 7),
        dilated: Sequence[bool] = (False, True),
        dropouts: Sequence[float] = (0.0, 0.2),
        norms: Sequence[str] = ("none", "batch"),
        ordinal: bool = False,
    ) -> None:
        self.num_blocks = check_int_range("num_blocks", num_blocks, minimum=1)
        self.channels = check_choices("channels", channels, integer=True, minimum=1)
        self.kernel_sizes = check_choices("kernel_sizes", kernel_sizes, integer=True, minimum=1)
        self.dilated = check_choices("dilated", dilated, allowed=(False, True))
        self.dropouts = check_choices("dropouts", dropouts, minimum=0.0, below=1.0)
        self.norms = check_choices("norms", norms, allowed=NORMS)
        self.ordinal = bool(ordinal)

    def suggest(self, trial: Any) -> TCNConfig:
        """Ask the trial for an architecture."""
        low, high = self.num_blocks
        o = self.ordinal
        return TCNConfig(
            num_blocks=suggest_int_range(trial, "tcn_blocks", low, high, ordinal=o),
            channels=suggest_choice(trial, "tcn_channels", self.channels, ordinal=o),
            kernel_size=suggest_choice(trial, "tcn_kernel_size", self.kernel_sizes, ordinal=o),
            dilated=bool(suggest_choice(trial, "tcn_dilated", self.dilated, ordinal=o)),
            dropout=float(suggest_choice(trial, "tcn_dropout", self.dropouts, ordinal=o)),
            norm=suggest_choice(trial, "tcn_norm", self.norms, ordinal=o),
        )
