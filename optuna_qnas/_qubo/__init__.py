"""Pure math: QUBO model, encodings of Optuna distributions into bits, surrogates.

Nothing here imports Optuna's Study/Trial types or a quantum SDK.
"""

from optuna_qnas._qubo._encoding import ENCODINGS
from optuna_qnas._qubo._encoding import ParamEncoding
from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas._qubo._model import QUBO
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression
from optuna_qnas._qubo._surrogate import Surrogate


__all__ = [
    "BayesianQuadraticRegression",
    "ENCODINGS",
    "ParamEncoding",
    "QUBO",
    "SearchSpaceEncoding",
    "Surrogate",
]
