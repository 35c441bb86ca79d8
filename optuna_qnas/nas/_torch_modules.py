"""The torch modules that the search-space configs build (imported only by ``Config.build``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
import torch.nn.functional as F


# ---------------------------------------------------------------- NAS-Bench-201-style cell CNN


class _ReLUConvBN(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


def _edge_op(name: str, channels: int) -> nn.Module | None:
    if name == "none":
        return None  # the edge carries nothing (NAS-Bench-201's "zeroize")
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return _ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return _ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"Unknown NAS-Bench-201 operation {name!r}.")


class NB201Cell(nn.Module):
    """A 4-node cell; node ``j`` sums ``op(i -> j)(node_i)`` over the edges that are not none."""

    def __init__(self, ops: Sequence[str], channels: int) -> None:
        super().__init__()
        from optuna_qnas.nas._cell import NB201_EDGES

        self.edges = NB201_EDGES
        self.ops = nn.ModuleList()
        self._live: list[bool] = []
        for name in ops:
            op = _edge_op(name, channels)
            self._live.append(op is not None)
            self.ops.append(op if op is not None else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, H, W) -> (N, C, H, W)
        nodes = [x]
        for j in (1, 2, 3):
            terms = [
                self.ops[e](nodes[i])
                for e, (i, t) in enumerate(self.edges)
                if t == j and self._live[e]
            ]
            nodes.append(torch.stack(terms).sum(0) if terms else torch.zeros_like(x))
        return nodes[3]


class _ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: a stride-2 basic residual block that doubles channels."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.a = _ReLUConvBN(c_in, c_out, 3, stride=2)
        self.b = _ReLUConvBN(c_out, c_out, 3)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(2, stride=2, ceil_mode=True), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x)) + self.shortcut(x)


class CellCNN(nn.Module):
    """Stem, stages of stacked :class:`NB201Cell` with reductions between, pooling, classifier."""

    def __init__(
        self,
        ops: Sequence[str],
        *,
        in_channels: int,
        num_classes: int,
        channels: int,
        cells_per_stage: int,
        num_stages: int,
    ) -> None:
        super().__init__()
        if in_channels < 1 or num_classes < 2:
            raise ValueError(
                f"Need in_channels >= 1 and num_classes >= 2; got {in_channels}, {num_classes}."
            )
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        ]
        c = channels
        for stage in range(num_stages):
            if stage > 0:
                layers.append(_ResidualReduction(c, 2 * c))
                c *= 2
            layers.extend(NB201Cell(ops, c) for _ in range(cells_per_stage))
        layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C_in, H, W) -> (N, classes)
        return self.classifier(self.features(x))


# ------------------------------------------------------------------------------------ MLP


def _activation(name: str) -> nn.Module:
    table = {
        "relu": nn.ReLU,
        "gelu": nn.GELU,
        "silu": nn.SiLU,
        "tanh": nn.Tanh,
        "elu": nn.ELU,
        "leaky_relu": nn.LeakyReLU,
    }
    if name not in table:
        raise ValueError(f"Unknown activation {name!r}; valid: {sorted(table)}.")
    return table[name]()


class MLP(nn.Module):
    """``Flatten -> [Linear -> norm -> activation -> dropout] x depth -> Linear``."""

    def __init__(
        self,
        *,
        in_features: int,
        num_classes: int,
        widths: Sequence[int],
        activation: str,
        dropout: float,
        norm: str,
    ) -> None:
        super().__init__()
        if in_features < 1 or num_classes < 2:
            raise ValueError(
                f"Need in_features >= 1 and num_classes >= 2; got {in_features}, {num_classes}."
            )
        layers: list[nn.Module] = [nn.Flatten()]
        width_in = in_features
        for width in widths:
            layers.append(nn.Linear(width_in, width))
            if norm == "batch":
                layers.append(nn.BatchNorm1d(width))
            elif norm == "layer":
                layers.append(nn.LayerNorm(width))
            elif norm != "none":
                raise ValueError(f"Unknown norm {norm!r}; valid: 'none', 'batch', 'layer'.")
            layers.append(_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width_in = width
        layers.append(nn.Linear(width_in, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, ...) -> (N, classes)
        return self.net(x)


# ------------------------------------------------------------------------------------ TCN


class _CausalBlock(nn.Module):
    def __init__(
        self, c_in: int, c_out: int, kernel_size: int, dilation: int, dropout: float, norm: str
    ) -> None:
        super().__init__()
        self.left_pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(c_in, c_out, kernel_size, dilation=dilation)
        if norm == "batch":
            self.norm: nn.Module = nn.BatchNorm1d(c_out)
        elif norm == "layer":
            self.norm = nn.GroupNorm(1, c_out)  # layer norm over (channels, time)
        elif norm == "none":
            self.norm = nn.Identity()
        else:
            raise ValueError(f"Unknown norm {norm!r}; valid: 'none', 'batch', 'layer'.")
        self.dropout = nn.Dropout(dropout)
        self.residual = nn.Identity() if c_in == c_out else nn.Conv1d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C_in, L) -> (N, C_out, L)
        y = self.conv(F.pad(x, (self.left_pad, 0)))
        y = self.dropout(F.relu(self.norm(y)))
        return y + self.residual(x)


class TCN(nn.Module):
    """Residual causal 1-D convolutions (dilation ``2**i`` when dilated), pooling, classifier."""

    def __init__(
        self,
        *,
        in_channels: int,
        num_classes: int,
        num_blocks: int,
        channels: int,
        kernel_size: int,
        dilated: bool,
        dropout: float,
        norm: str,
    ) -> None:
        super().__init__()
        if in_channels < 1 or num_classes < 2:
            raise ValueError(
                f"Need in_channels >= 1 and num_classes >= 2; got {in_channels}, {num_classes}."
            )
        blocks = []
        c = in_channels
        for i in range(num_blocks):
            blocks.append(
                _CausalBlock(c, channels, kernel_size, 2**i if dilated else 1, dropout, norm)
            )
            c = channels
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C_in, L) -> (N, classes)
        if x.dim() == 2:
            x = x.unsqueeze(1)  # univariate (N, L) -> (N, 1, L)
        return self.classifier(self.blocks(x).mean(dim=-1))
