"""OptunaHub package ``samplers/quantum_annealing``: optuna-qnas's quantum annealing sampler.

The implementation lives in the ``optuna-qnas`` distribution (``pip install optuna-qnas``); this
package re-exports it so that ``optunahub.load_module("samplers/quantum_annealing")`` gives the
same class as ``from optuna_qnas import QuantumAnnealingSampler``.
"""

from __future__ import annotations


try:
    from optuna_qnas import QuantumAnnealingSampler
except ImportError as exc:  # pragma: no cover - depends on the user's environment
    raise ImportError(
        "samplers/quantum_annealing needs the optuna-qnas package: pip install optuna-qnas"
    ) from exc


__all__ = ["QuantumAnnealingSampler"]
