"""Optuna samplers of optuna_qnas (the gate-model ones import qiskit only when built)."""

from optuna_qnas.samplers._gate import GroverSampler
from optuna_qnas.samplers._gate import QAOASampler
from optuna_qnas.samplers._gate import VQESampler
from optuna_qnas.samplers._qubo_sampler import QuantumAnnealingSampler
from optuna_qnas.samplers._qubo_sampler import QUBOSampler


__all__ = ["GroverSampler", "QAOASampler", "QUBOSampler", "QuantumAnnealingSampler", "VQESampler"]
