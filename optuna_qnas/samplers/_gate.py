"""Gate-model front samplers: :class:`QUBOSampler` with a QAOA, VQE or Grover solver.

Each class builds its solver from ``optuna_qnas.solvers._qiskit`` (qiskit imported lazily, when
the sampler is constructed). The default encoding, ``"auto"``, codes numerical parameters in
binary (``ceil(log2 L)`` qubits for ``L`` levels, and a quadratic model in the binary digits of
an ordered value still describes a quadratic in the value) and categorical ones as
:class:`QUBOSampler` does (one-hot up to 32 choices): a quadratic model of binary codes of
unordered choices is misspecified, and on NAS-Bench-201 (6 categorical edges x 5 operations) it
left QAOA's best value stalled for tens of trials (docs/qiskit.md). The cell then takes 30 qubits
instead of 18, solved as sub-QUBOs of ``max_qubits``.

The circuit solves the model's posterior mean, the first solve of each proposal; the posterior
draws of the candidate pool (two, as in :class:`QuantumAnnealingSampler`) are solved by simulated
annealing, which costs milliseconds where a circuit solve costs a tenth of a CPU second or more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import TYPE_CHECKING

from optuna._experimental import experimental_class
from optuna.distributions import BaseDistribution

from optuna_qnas.samplers._qubo import PoolSettings
from optuna_qnas.samplers._qubo import QUBOSampler


if TYPE_CHECKING:
    from optuna.study import Study
    from optuna.trial import FrozenTrial


#: The encoding gate-model samplers use unless told otherwise: binary numerical parameters,
#: categorical ones as :class:`QUBOSampler` codes them (see the module doc).
GATE_DEFAULT_ENCODING = "auto"
#: The annealing sampler's pool: the posterior mean (on the circuit) and two posterior draws (on
#: ``draw_solver``). With one-hot categoricals the draws supplied a quarter of QAOA's proposals on
#: NAS-Bench-201 (docs/qiskit.md).
GATE_DEFAULT_POOL = PoolSettings()
#: Solves the posterior draws unless ``draw_solver`` says otherwise.
GATE_DEFAULT_DRAW_SOLVER = "simulated_annealing"


def _reject_solver(kwargs: dict[str, Any], cls: str) -> None:
    if "solver" in kwargs:
        raise ValueError(
            f"{cls} builds its own solver from its arguments; to pass a solver object use "
            "optuna_qnas.QUBOSampler(solver=...) instead."
        )


def auto_encoding(search_space: Mapping[str, BaseDistribution]) -> dict[str, str]:
    """``encoding="auto"`` for one search space: ``"binary"`` for every numerical parameter;
    categorical ones are left out, so they get :class:`QUBOSampler`'s default."""
    from optuna.distributions import CategoricalDistribution

    return {
        name: "binary"
        for name, dist in search_space.items()
        if not isinstance(dist, CategoricalDistribution)
    }


class _GateSampler(QUBOSampler):
    """The shared part of the three gate samplers: the circuit solves the posterior mean, the
    draw solver the posterior draws."""

    def _setup(
        self, circuit: Any, draw_solver: Any, encoding: Any, kwargs: dict[str, Any]
    ) -> None:
        kwargs.setdefault("pool", GATE_DEFAULT_POOL)
        self._auto_encoding = isinstance(encoding, str) and encoding == "auto"
        circuit_draws = isinstance(draw_solver, str) and draw_solver == "circuit"
        super().__init__(
            solver=circuit,
            draw_solver=None if circuit_draws else draw_solver,
            encoding={} if self._auto_encoding else encoding,
            **kwargs,
        )

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if self._auto_encoding:
            # The codes of a parameter depend on its distribution alone, so the mapping only
            # grows: proposals in other threads, or of other search spaces, see the same codes.
            known = self._encoding if isinstance(self._encoding, Mapping) else {}
            self._encoding = {**known, **auto_encoding(search_space)}
        return super().sample_relative(study, trial, search_space)


@experimental_class("0.2.0")
class QAOASampler(_GateSampler):
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
            ``None`` (default), ``"mthree"``, ``"zne"`` or ``"mthree+zne"``. ``"mthree"``:
            readout-error mitigation of the sampled counts on a noisy simulated backend
            (``backend="noisy"``, a fake device). ``"zne"``: zero-noise extrapolation of the
            energy the circuit's optimiser minimises (gate folding to scale factors 1 and 2,
            extrapolated towards the mixed state's energy; settings after colons, e.g.
            ``"zne:1,2,3:richardson"``) on ``"noisy"``, IBM hardware, a ``BackendV2`` or a
            ``primitive=`` of your own. It corrects the energy estimate, not the samples:
            proposals still come from the unfolded, noisy circuit (docs/qiskit.md, "Error
            mitigation"). Noiseless backends raise ``ValueError``. See
            :class:`optuna_qnas.solvers.QAOASolver`.
        device:
            ``"CPU"`` (default) or ``"GPU"`` for the Aer simulators (needs
            ``pip install qiskit-aer-gpu`` and a CUDA GPU).
        encoding:
            Default ``"auto"``: binary numerical parameters (fewest qubits), categorical ones
            one-hot as in :class:`QUBOSampler` (up to 32 choices). ``"binary"`` (the earlier
            default: fewest qubits, a poorer model of categorical choices), ``None``
            (:class:`QUBOSampler`'s defaults) or any :class:`QUBOSampler` encoding works.
        draw_solver:
            Solves the posterior draws of the candidate pool (``pool.n_draws``, default 2):
            ``"simulated_annealing"`` (default), any solver :class:`QUBOSampler` accepts, or
            ``"circuit"`` to solve them on the circuit too (a circuit solve per draw). The
            circuit always solves the posterior mean, including its repeats with a stronger
            penalty when most of the circuit's samples were invalid codes.
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
        draw_solver: Any = GATE_DEFAULT_DRAW_SOLVER,
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
        self._setup(solver, draw_solver, encoding, kwargs)


@experimental_class("0.2.0")
class VQESampler(_GateSampler):
    """:class:`QUBOSampler` whose QUBOs are minimised by a sampling VQE (``real_amplitudes``).

    Args:
        reps, entanglement, ansatz, vqe:
            See :class:`optuna_qnas.solvers.VQESolver` (``vqe`` is a ``SamplingVQE`` of your own).
        backend, primitive, pass_manager, optimizer, maxiter, warm_maxiter, shots, max_qubits,
        decompose, max_rounds, warm_start, cvar_alpha, engine, mitigation, device, encoding,
        draw_solver, kwargs:
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
        draw_solver: Any = GATE_DEFAULT_DRAW_SOLVER,
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
        self._setup(solver, draw_solver, encoding, kwargs)


@experimental_class("0.2.0")
class GroverSampler(_GateSampler):
    """:class:`QUBOSampler` whose QUBOs are minimised by Grover adaptive search.

    Grover's circuit holds the key bits plus a value register, so it is the widest of the three;
    QUBOs wider than ``max_qubits - num_value_qubits - 1`` bits are decomposed. A Grover solve
    costs seconds, so a proposal runs at most two (the posterior mean and one repeat with a
    stronger penalty); further repeats go to ``draw_solver``. Measured on a 15-trial study of an
    eight-parameter mixed space (2-core CPU): without the limit one seed took 69 CPU s, up to
    seven Grover solves per proposal.

    Args:
        num_value_qubits, num_iterations:
            See :class:`optuna_qnas.solvers.GroverSolver`.
        backend, primitive, pass_manager, shots, max_qubits, decompose, max_rounds, device,
        encoding, draw_solver, kwargs:
            As for :class:`QAOASampler` (Grover offers no mitigation).

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    _max_mean_solves = 2

    def __init__(
        self,
        *,
        num_value_qubits: int = 6,
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
        draw_solver: Any = GATE_DEFAULT_DRAW_SOLVER,
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
        self._setup(solver, draw_solver, encoding, kwargs)
