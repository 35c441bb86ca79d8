"""Random dense QUBOs shared by the solver tests (imported by module name: pytest puts this
folder on ``sys.path`` for the test files beside it)."""

from __future__ import annotations

import numpy as np

from optuna_qnas._qubo import QUBO


def random_qubo(n: int, seed: int, *, offset: bool = True) -> QUBO:
    """A dense ``n``-variable QUBO with N(0, 1) weights, and an N(0, 1) offset unless
    ``offset=False`` (the matrix is the same either way)."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n, n))
    return QUBO.from_dense(weights, offset=float(rng.normal()) if offset else 0.0)
