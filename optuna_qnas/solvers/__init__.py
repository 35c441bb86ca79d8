"""QUBO solvers: one protocol, a dimod adapter with presets, and qiskit adapters (lazy)."""

from __future__ import annotations

from typing import Any

from optuna_qnas.solvers._base import QUBOSolver
from optuna_qnas.solvers._base import SolverResult
from optuna_qnas.solvers._dimod import DimodSolver
from optuna_qnas.solvers._dimod import make_solver
from optuna_qnas.solvers._penalty import PenaltySolver


# The qiskit solvers stay optional (the `qiskit` extra): resolved on first access (PEP 562).
_LAZY = {
    name: "optuna_qnas.solvers._qiskit" for name in ("QAOASolver", "VQESolver", "GroverSolver")
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optuna_qnas.solvers' has no attribute {name!r}")


__all__ = [
    "DimodSolver",
    "GroverSolver",
    "PenaltySolver",
    "QAOASolver",
    "QUBOSolver",
    "SolverResult",
    "VQESolver",
    "make_solver",
]
