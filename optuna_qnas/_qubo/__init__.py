"""Pure math: QUBO model, encodings of Optuna distributions into bits, surrogates.

Nothing here imports Optuna's Study/Trial types or a quantum SDK.
"""

from optuna_qnas._qubo._model import QUBO

__all__ = ["QUBO"]
