"""The annealing sampler: the QUBO sampler with a D-Wave or simulated annealer as its solver."""

from __future__ import annotations

from typing import Any

from optuna_qnas.samplers._qubo.sampler import QUBOSampler


class QuantumAnnealingSampler(QUBOSampler):
    """:class:`QUBOSampler` with a D-Wave (or simulated) annealer as the solver.

    Example:

        .. code-block:: python

            import optuna
            from optuna_qnas import QuantumAnnealingSampler

            study = optuna.create_study(sampler=QuantumAnnealingSampler(seed=0))

    Args:
        solver:
            ``"simulated_annealing"`` (default; local, from dwave-samplers), ``"tabu"``,
            ``"steepest_descent"``, ``"exact"``, ``"qpu"``
            (``EmbeddingComposite(DWaveSampler())``), ``"hybrid"`` (``LeapHybridSampler``), or
            any ``dimod.Sampler``/composite, e.g.
            ``EmbeddingComposite(MockDWaveSampler(...))``.
        num_reads:
            Annealing reads per solve. ``None`` (default): 64, fewer for simulated annealing on
            QUBOs wider than 32 bits (a fixed budget of spin updates per solve).
        kwargs:
            Everything else as in :class:`QUBOSampler` (keyword-only).

    .. note:: ``"qpu"`` and ``"hybrid"`` need ``pip install optuna-qnas[dwave]`` and a D-Wave Leap
       token (``DWAVE_API_TOKEN`` or ``dwave config create``); without one the constructor raises
       a ``ValueError`` that says so.
    """

    def __init__(
        self, *, solver: Any = "simulated_annealing", num_reads: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(solver=solver, num_reads=num_reads, **kwargs)
