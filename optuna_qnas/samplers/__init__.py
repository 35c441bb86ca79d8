"""Optuna samplers of optuna_qnas."""

from optuna_qnas.samplers._qubo_sampler import QuantumAnnealingSampler
from optuna_qnas.samplers._qubo_sampler import QUBOSampler

__all__ = ["QUBOSampler", "QuantumAnnealingSampler"]
