"""Optuna samplers of optuna_qnas (the gate-model ones import qiskit only when built)."""

from optuna_qnas.samplers._annealing import QuantumAnnealingSampler
from optuna_qnas.samplers._gate import GroverSampler
from optuna_qnas.samplers._gate import QAOASampler
from optuna_qnas.samplers._gate import VQESampler
from optuna_qnas.samplers._qubo import PoolSettings
from optuna_qnas.samplers._qubo import QUBOSampler


__all__ = [
    "GroverSampler",
    "PoolSettings",
    "QAOASampler",
    "QUBOSampler",
    "QuantumAnnealingSampler",
    "VQESampler",
]
