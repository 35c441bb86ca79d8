"""QUBO solvers: one protocol, a dimod adapter with presets, qiskit adapters and the
decomposition of wide QUBOs (both imported lazily)."""

from __future__ import annotations

from typing import Any

from optuna_qnas.solvers._base import QUBOSolver
from optuna_qnas.solvers._base import SolverResult
from optuna_qnas.solvers._dimod import DimodSolver
from optuna_qnas.solvers._dimod import make_solver
from optuna_qnas.solvers._penalty import PenaltySolver


# The qiskit solvers and the decomposition (dwave-hybrid) stay optional (the `qiskit` and
# `dwave` extras) and slow to import: resolved on first access (PEP 562).
_LAZY = {
    name: "optuna_qnas.solvers._qiskit" for name in ("QAOASolver", "VQESolver", "GroverSolver")
}
_LAZY["DecompositionSolver"] = "optuna_qnas.solvers._decomposition"
_LAZY["SolverSubproblemSampler"] = "optuna_qnas.solvers._decomposition"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optuna_qnas.solvers' has no attribute {name!r}")


__all__ = [
    "DecompositionSolver",
    "DimodSolver",
    "GroverSolver",
    "PenaltySolver",
    "QAOASolver",
    "QUBOSolver",
    "SolverResult",
    "SolverSubproblemSampler",
    "VQESolver",
    "make_solver",
]
