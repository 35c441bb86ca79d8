"""QUBO solvers: one protocol, a dimod adapter with presets, and (optional) qiskit adapters."""

from optuna_qnas.solvers._base import QUBOSolver
from optuna_qnas.solvers._base import SolverResult
from optuna_qnas.solvers._dimod import DimodSolver
from optuna_qnas.solvers._dimod import make_solver

__all__ = ["DimodSolver", "QUBOSolver", "SolverResult", "make_solver"]
