"""A benchmark problem: a named, seedable define-by-run objective."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A named optimisation problem for studies and comparisons.

    Args:
        name:
            Registry name, e.g. ``"nasbench201-cifar10"``.
        make_objective:
            ``seed -> objective``; the objective is define-by-run (``trial -> value(s)``). The
            seed fixes every random choice of the problem (noise, data splits, weight init) so
            that two runs with the same seed and the same proposals give the same values.
        directions:
            One ``"minimize"``/``"maximize"`` per objective value.
        description:
            One line for ``optuna-qnas compare --list``.
        optimum:
            The best attainable value where known (tabular benchmarks), else ``None``.
        attrs:
            Anything else worth recording in the study's user attributes. Keys the comparison
            tool reads: ``"target"`` (value for "trials to reach a target"), ``"log_scale"``
            (plot values on a log axis).
        make_integer_objective:
            Optional ``seed -> objective`` over an *integer view* of the same search space
            (every parameter an ``IntDistribution`` index), with the same values as
            ``make_objective`` for the same configuration. CMA-ES searches this view
            (``cmaes-int`` in the comparison tool) instead of sampling categoricals at random.
    """

    name: str
    make_objective: Callable[[int], Callable[[Any], float | Sequence[float]]]
    directions: tuple[str, ...] = ("maximize",)
    description: str = ""
    optimum: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    make_integer_objective: Callable[[int], Callable[[Any], float | Sequence[float]]] | None = None
