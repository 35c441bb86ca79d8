"""The QUBO sampler: thin Optuna glue (``sampler.py``) over parts that work on arrays."""

from optuna_qnas.samplers._qubo._pool import PoolSettings
from optuna_qnas.samplers._qubo.sampler import QUBOSampler


__all__ = ["PoolSettings", "QUBOSampler"]
