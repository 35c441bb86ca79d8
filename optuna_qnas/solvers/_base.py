"""The solver protocol: minimise a QUBO, return the lowest distinct samples with their energies."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol
from typing import runtime_checkable

import numpy as np

from optuna_qnas._qubo import QUBO


@dataclass
class SolverResult:
    """Distinct samples of a QUBO solve, sorted by energy (lowest first).

    Args:
        samples:
            Shape ``(k, n)``, dtype int8, distinct rows.
        energies:
            Shape ``(k,)``: the energy of each row under the QUBO that was solved.
        info:
            JSON-serialisable facts about the solve (timing, embedding statistics, number of
            circuit evaluations, ...). The sampler records them on the trial.
    """

    samples: np.ndarray  # (k, n)
    energies: np.ndarray  # (k,)
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_samples(
        cls, qubo: QUBO, samples: np.ndarray, k: int, info: dict[str, Any] | None = None
    ) -> SolverResult:
        """Distinct rows of ``samples`` (shape (m, n)) scored by ``qubo``, the ``k`` lowest."""
        xs = np.asarray(samples, dtype=np.int8).reshape(-1, qubo.num_variables)
        if xs.shape[0] == 0:
            return cls(xs, np.zeros(0), dict(info or {}))
        uniq = np.unique(xs, axis=0)
        e = qubo.energies(uniq)
        order = np.lexsort((np.arange(len(e)), e))[:k]
        return cls(uniq[order], e[order], dict(info or {}))


@runtime_checkable
class QUBOSolver(Protocol):
    """Anything that minimises a QUBO.

    ``solve(qubo, num_samples, seed)`` returns up to ``num_samples`` distinct low-energy
    bitstrings, lowest first. ``seed`` makes a solve reproducible where the backend allows it.
    A solver may also define ``max_variables`` (``int`` or ``None``): the widest QUBO it accepts.
    """

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult: ...
