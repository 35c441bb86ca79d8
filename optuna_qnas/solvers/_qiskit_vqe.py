"""``VQESolver``: sampling VQE with a ``real_amplitudes`` ansatz (or one of your own)."""

from __future__ import annotations

from typing import Any

import numpy as np

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._qiskit_variational_solver import _VariationalSolver


#: Entanglement patterns qiskit's ``real_amplitudes`` ansatz accepts by name.
_ENTANGLEMENTS = ("full", "linear", "reverse_linear", "pairwise", "circular", "sca")


class VQESolver(_VariationalSolver):
    """Sampling VQE: a hardware-efficient ``real_amplitudes`` ansatz minimising the QUBO's energy.

    Args are those of :class:`QAOASolver` except:

    Args:
        reps:
            Repetitions of the ansatz's rotation + entanglement block.
        entanglement:
            ``"linear"`` (default), ``"full"``, ``"circular"`` ... (``real_amplitudes``).
        ansatz:
            A parameterised ``QuantumCircuit`` of your own (``n`` qubits for an ``n``-bit QUBO).
        vqe:
            A ``qiskit_optimization.minimum_eigensolvers.SamplingVQE`` of your own; implies
            ``engine="qiskit_optimization"``.
        maxiter:
            Optimiser iterations (default 80: a VQE has ``n * (reps + 1)`` parameters).
        mitigation, device:
            As for :class:`QAOASolver`.

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    _name = "vqe"
    _cold_step = 0.6
    _warm_step = 0.3

    def __init__(
        self,
        *,
        reps: int = 1,
        entanglement: str = "linear",
        ansatz: Any = None,
        optimizer: Any = "cobyla",
        maxiter: int = 80,
        warm_maxiter: int | None = None,
        backend: Any = "statevector",
        shots: int = 1024,
        sampler: Any = None,
        pass_manager: Any = None,
        max_qubits: int | None = None,
        decompose: bool = True,
        max_rounds: int | None = None,
        warm_start: bool = True,
        cvar_alpha: float | None = None,
        initial_point: Any = None,
        engine: str = "aer",
        mitigation: str | None = None,
        device: str = "CPU",
        vqe: Any = None,
    ) -> None:
        if vqe is not None:
            from qiskit_optimization.minimum_eigensolvers import SamplingVQE

            if not isinstance(vqe, SamplingVQE):
                raise ValueError(
                    "vqe must be a qiskit_optimization.minimum_eigensolvers.SamplingVQE; got "
                    f"{type(vqe).__name__}."
                )
            engine = "qiskit_optimization"
        if ansatz is not None:
            from qiskit import QuantumCircuit

            if not isinstance(ansatz, QuantumCircuit) or ansatz.num_parameters == 0:
                raise ValueError(
                    "ansatz must be a parameterised qiskit QuantumCircuit (or None for "
                    "real_amplitudes)."
                )
        if entanglement not in _ENTANGLEMENTS:
            raise ValueError(
                f"entanglement must be one of {', '.join(_ENTANGLEMENTS)} (as in qiskit's "
                f"real_amplitudes); got {entanglement!r}."
            )
        self.entanglement = entanglement
        self.user_ansatz = ansatz
        self.user_algorithm = vqe
        super().__init__(
            reps=reps,
            optimizer=optimizer,
            maxiter=maxiter,
            warm_maxiter=warm_maxiter,
            cvar_alpha=cvar_alpha,
            initial_point=initial_point,
            backend=backend,
            shots=shots,
            sampler=sampler,
            pass_manager=pass_manager,
            max_qubits=max_qubits,
            decompose=decompose,
            max_rounds=max_rounds,
            warm_start=warm_start,
            engine=engine,
            mitigation=mitigation,
            device=device,
        )

    def __repr__(self) -> str:
        return (
            f"VQESolver(reps={self.reps}, backend={self.backend.name!r}, "
            f"max_qubits={self.max_qubits})"
        )

    def _circuit(self, qubo: QUBO) -> tuple[Any, list[Any]]:
        from optuna_qnas.solvers._qiskit_variational import ansatz_circuit

        if self.user_ansatz is not None:
            if self.user_ansatz.num_qubits != qubo.num_variables:
                raise ValueError(
                    f"ansatz has {self.user_ansatz.num_qubits} qubits but the QUBO has "
                    f"{qubo.num_variables} variables; pass an ansatz of matching width (or "
                    "ansatz=None)."
                )
            return self.user_ansatz, list(self.user_ansatz.parameters)
        return ansatz_circuit(qubo.num_variables, self.reps, self.entanglement)

    def _cold_starts(self, num_params: int, seed: int | None) -> list[np.ndarray]:
        # All-zero angles prepare the uniform superposition (the ansatz starts with Hadamards);
        # a small seeded perturbation breaks its symmetry.
        rng = np.random.default_rng(seed)
        return [rng.normal(scale=0.1, size=num_params)]

    def _qiskit_optimization_algorithm(self, qubo: QUBO) -> Any:
        def build(sampler: Any, pm: Any) -> Any:
            from qiskit_optimization.minimum_eigensolvers import SamplingVQE

            if self.user_algorithm is not None:
                return self.user_algorithm
            ansatz, params = self._circuit(qubo)
            warm = (
                self.warm_start
                and self._warm_point is not None
                and len(self._warm_point) == len(params)
            )
            if warm:
                x0 = self._warm_point
                self._built_warm = True
            elif self.initial_point is not None:
                x0 = self.initial_point
            else:
                x0 = self._cold_starts(len(params), None)[0]
            return SamplingVQE(
                sampler,
                ansatz,
                self._optimizer(warm, len(params)),
                initial_point=x0,
                aggregation=self.cvar_alpha,
                pass_manager=pm,
            )

        return build
