"""optuna-qnas: quantum-enhanced neural architecture search for Optuna.

The samplers encode an Optuna search space into bits, learn a quadratic model of the objective
(a QUBO, the cost Hamiltonian) and minimise it with an annealer (simulated, D-Wave QPU, Leap
hybrid) or a gate-model algorithm (QAOA, VQE, Grover adaptive search on qiskit-aer).
"""

from __future__ import annotations

from typing import Any

from optuna_qnas._qubo import QUBO
from optuna_qnas._qubo import SearchSpaceEncoding
from optuna_qnas._qubo import Surrogate
from optuna_qnas.samplers import GroverSampler
from optuna_qnas.samplers import PoolSettings
from optuna_qnas.samplers import QAOASampler
from optuna_qnas.samplers import QuantumAnnealingSampler
from optuna_qnas.samplers import QUBOSampler
from optuna_qnas.samplers import VQESampler


__version__ = "0.2.0"

# The comparison tool pulls in pandas/matplotlib: resolved on first access (PEP 562).
_LAZY = {"compare_samplers": "optuna_qnas.compare"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optuna_qnas' has no attribute {name!r}")


__all__ = [
    "GroverSampler",
    "PoolSettings",
    "QAOASampler",
    "QUBO",
    "QUBOSampler",
    "QuantumAnnealingSampler",
    "SearchSpaceEncoding",
    "Surrogate",
    "VQESampler",
    "__version__",
    "compare_samplers",
]
