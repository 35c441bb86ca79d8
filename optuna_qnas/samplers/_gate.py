"""Gate-model front samplers: :class:`QUBOSampler` with a QAOA, VQE or Grover solver.

Each class builds its solver from ``optuna_qnas.solvers._qiskit`` (qiskit imported lazily, when
the sampler is constructed) and defaults the encoding to ``"binary"``: a gate-model simulation
costs ``2^qubits``, and the binary code needs ``ceil(log2 L)`` qubits for ``L`` choices instead of
``L`` (one-hot) or ``L - 1`` (domain wall). NAS-Bench-201's 6 edges x 5 operations take 18 qubits
instead of 30 or 24.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna._experimental import experimental_class

from optuna_qnas.samplers._qubo import PoolSettings
from optuna_qnas.samplers._qubo import QUBOSampler


#: The encoding gate-model samplers use unless told otherwise (qubit economy, see module doc).
GATE_DEFAULT_ENCODING = "binary"
#: One (expensive) circuit solve per proposal, the posterior mean: a QAOA solve costs about a
#: CPU second where simulated annealing costs milliseconds.
GATE_DEFAULT_POOL = PoolSettings(n_draws=0)


def _reject_solver(kwargs: dict[str, Any], cls: str) -> None:
    if "solver" in kwargs:
        raise ValueError(
            f"{cls} builds its own solver from its arguments; to pass a solver object use "
            "optuna_qnas.QUBOSampler(solver=...) instead."
        )


@experimental_class("0.2.0")
class QAOASampler(QUBOSampler):
    """:class:`QUBOSampler` whose QUBOs are minimised by QAOA on qiskit-aer (or your backend).

    Example:

        .. code-block:: python

            import optuna
            from optuna_qnas import QAOASampler

            sampler = QAOASampler(reps=2, seed=0)  # exact Aer state-vector simulation
            study = optuna.create_study(sampler=sampler)

    Args:
        reps:
            QAOA depth ``p``.
        backend:
            ``"statevector"`` (exact, default), ``"shots"``, ``"mps"``, ``"noisy"`` /
            ``"noisy:FakeBrisbane"``, ``"ibm"`` / ``"ibm:<backend>"`` (needs IBM Quantum
            credentials), or a qiskit ``BackendV2``.
        primitive:
            A qiskit ``BaseSamplerV2`` of your own (overrides ``backend``); pass ``pass_manager``
            if it needs transpiled circuits.
        pass_manager:
            Transpiles circuits for ``primitive``.
        qaoa:
            A ``qiskit_optimization.minimum_eigensolvers.QAOA`` of your own (run through
            ``MinimumEigenOptimizer``).
        optimizer, maxiter, warm_maxiter, shots, max_qubits, decompose, max_rounds, warm_start,
        cvar_alpha, engine:
            See :class:`optuna_qnas.solvers.QAOASolver`.
        mitigation:
            ``None`` or ``"mthree"``: readout-error mitigation of the sampled counts on a noisy
            simulated backend (``backend="noisy"``, a fake device); see
            :class:`optuna_qnas.solvers.QAOASolver`.
        device:
            ``"CPU"`` (default) or ``"GPU"`` for the Aer simulators (needs
            ``pip install qiskit-aer-gpu`` and a CUDA GPU).
        encoding:
            Default ``"binary"`` (fewest qubits); any :class:`QUBOSampler` encoding works.
        kwargs:
            Everything else of :class:`QUBOSampler` (``surrogate``, ``n_startup_trials``,
            ``num_samples``, ``seed``, ``independent_sampler``, ``warn_independent_sampling`` ...).

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    def __init__(
        self,
        *,
        reps: int = 2,
        backend: Any = "statevector",
        primitive: Any = None,
        pass_manager: Any = None,
        qaoa: Any = None,
        optimizer: Any = "cobyla",
        maxiter: int = 30,
        warm_maxiter: int | None = None,
        shots: int = 1024,
        max_qubits: int | None = None,
        decompose: bool = True,
        max_rounds: int | None = None,
        warm_start: bool = True,
        cvar_alpha: float | None = None,
        engine: str = "aer",
        mitigation: str | None = None,
        device: str = "CPU",
        encoding: str | Mapping[str, str] | None = GATE_DEFAULT_ENCODING,
        **kwargs: Any,
    ) -> None:
        from optuna_qnas.solvers._qiskit import QAOASolver

        _reject_solver(kwargs, type(self).__name__)
        solver = QAOASolver(
            reps=reps,
            backend=backend,
            sampler=primitive,
            pass_manager=pass_manager,
            qaoa=qaoa,
            optimizer=optimizer,
            maxiter=maxiter,
            warm_maxiter=warm_maxiter,
            shots=shots,
            max_qubits=max_qubits,
            decompose=decompose,
            max_rounds=max_rounds,
            warm_start=warm_start,
            cvar_alpha=cvar_alpha,
            engine=engine,
            mitigation=mitigation,
            device=device,
        )
        kwargs.setdefault("pool", GATE_DEFAULT_POOL)
        super().__init__(solver=solver, encoding=encoding, **kwargs)


@experimental_class("0.2.0")
class VQESampler(QUBOSampler):
    """:class:`QUBOSampler` whose QUBOs are minimised by a sampling VQE (``real_amplitudes``).

    Args:
        reps, entanglement, ansatz, vqe:
            See :class:`optuna_qnas.solvers.VQESolver` (``vqe`` is a ``SamplingVQE`` of your own).
        backend, primitive, pass_manager, optimizer, maxiter, warm_maxiter, shots, max_qubits,
        decompose, max_rounds, warm_start, cvar_alpha, engine, mitigation, device, encoding,
        kwargs:
            As for :class:`QAOASampler`.

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    def __init__(
        self,
        *,
        reps: int = 1,
        entanglement: str = "linear",
        ansatz: Any = None,
        vqe: Any = None,
        backend: Any = "statevector",
        primitive: Any = None,
        pass_manager: Any = None,
        optimizer: Any = "cobyla",
        maxiter: int = 80,
        warm_maxiter: int | None = None,
        shots: int = 1024,
        max_qubits: int | None = None,
        decompose: bool = True,
        max_rounds: int | None = None,
        warm_start: bool = True,
        cvar_alpha: float | None = None,
        engine: str = "aer",
        mitigation: str | None = None,
        device: str = "CPU",
        encoding: str | Mapping[str, str] | None = GATE_DEFAULT_ENCODING,
        **kwargs: Any,
    ) -> None:
        from optuna_qnas.solvers._qiskit import VQESolver

        _reject_solver(kwargs, type(self).__name__)
        solver = VQESolver(
            reps=reps,
            entanglement=entanglement,
            ansatz=ansatz,
            vqe=vqe,
            backend=backend,
            sampler=primitive,
            pass_manager=pass_manager,
            optimizer=optimizer,
            maxiter=maxiter,
            warm_maxiter=warm_maxiter,
            shots=shots,
            max_qubits=max_qubits,
            decompose=decompose,
            max_rounds=max_rounds,
            warm_start=warm_start,
            cvar_alpha=cvar_alpha,
            engine=engine,
            mitigation=mitigation,
            device=device,
        )
        kwargs.setdefault("pool", GATE_DEFAULT_POOL)
        super().__init__(solver=solver, encoding=encoding, **kwargs)


@experimental_class("0.2.0")
class GroverSampler(QUBOSampler):
    """:class:`QUBOSampler` whose QUBOs are minimised by Grover adaptive search.

    Grover's circuit holds the key bits plus a value register, so it is the widest of the three;
    QUBOs wider than ``max_qubits - num_value_qubits - 1`` bits are decomposed.

    Args:
        num_value_qubits, num_iterations:
            See :class:`optuna_qnas.solvers.GroverSolver`.
        backend, primitive, pass_manager, shots, max_qubits, decompose, max_rounds, device,
        encoding, kwargs:
            As for :class:`QAOASampler` (Grover offers no readout mitigation).

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    def __init__(
        self,
        *,
        num_value_qubits: int = 8,
        num_iterations: int = 6,
        backend: Any = "statevector",
        primitive: Any = None,
        pass_manager: Any = None,
        shots: int = 1024,
        max_qubits: int | None = None,
        decompose: bool = True,
        max_rounds: int | None = None,
        device: str = "CPU",
        encoding: str | Mapping[str, str] | None = GATE_DEFAULT_ENCODING,
        **kwargs: Any,
    ) -> None:
        from optuna_qnas.solvers._qiskit import GroverSolver

        _reject_solver(kwargs, type(self).__name__)
        solver = GroverSolver(
            num_value_qubits=num_value_qubits,
            num_iterations=num_iterations,
            backend=backend,
            sampler=primitive,
            pass_manager=pass_manager,
            shots=shots,
            max_qubits=max_qubits,
            decompose=decompose,
            max_rounds=max_rounds,
            device=device,
        )
        kwargs.setdefault("pool", GATE_DEFAULT_POOL)
        super().__init__(solver=solver, encoding=encoding, **kwargs)
