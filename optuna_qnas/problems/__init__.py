"""Benchmark problems (tabular NAS/HPO benchmarks, real-data Lightning NAS tasks)."""

from optuna_qnas.problems._base import Problem

__all__ = ["Problem"]
