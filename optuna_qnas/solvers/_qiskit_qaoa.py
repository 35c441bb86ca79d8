"""``QAOASolver``: QAOA on a QUBO, on Aer (lean loop) or through qiskit-optimization's QAOA."""

from __future__ import annotations

from typing import Any

import numpy as np

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._qiskit_variational_solver import _VariationalSolver


class QAOASolver(_VariationalSolver):
    """QAOA (Farhi et al. 2014) on a QUBO: ``reps`` cost/mixer layers, angles optimised
    classically.

    Args:
        reps:
            QAOA depth ``p`` (>= 1).
        optimizer:
            ``"cobyla"`` (default), ``"nelder_mead"``, ``"spsa"`` (all from
            ``qiskit_optimization.optimizers``), an ``Optimizer`` instance, or a callable
            minimiser.
        maxiter:
            Optimiser iterations for a cold solve.
        warm_maxiter:
            Optimiser iterations when warm-started from the previous solve's angles (default
            ``maxiter // 3``). The Hamiltonian is normalised, so good angles carry over between the
            similar QUBOs of consecutive trials.
        backend:
            ``"statevector"`` (exact, default), ``"shots"``, ``"mps"``, ``"noisy"`` /
            ``"noisy:FakeBrisbane"``, ``"ibm"`` / ``"ibm:<name>"``, or a qiskit ``BackendV2``.
        shots:
            Shots per circuit for sampling backends (and for qiskit-optimization's sampler).
        sampler:
            A ``BaseSamplerV2`` of your own (overrides ``backend``); give ``pass_manager`` if it
            needs transpiled circuits.
        pass_manager:
            Transpiles circuits for ``sampler``.
        max_qubits:
            Widest circuit; wider QUBOs are decomposed. Default 10 for the state-vector kinds
            (measured: a warm-started solve takes about 0.05 CPU s on a 2-core CPU), 10 for
            MPS (dense QUBOs entangle every pair of qubits), 8 for the noisy simulator, 24 for
            IBM hardware, and never more than the device's qubits.
        decompose:
            If False, a QUBO wider than ``max_qubits`` raises ``ValueError``.
        max_rounds:
            Sub-QUBO solves per decomposed solve (default ``ceil(n / max_qubits) + 1``).
        warm_start:
            Start from the previous solve's optimised angles.
        cvar_alpha:
            Optimise CVaR_alpha (Barkoutsos et al. 2020) instead of the expectation.
        initial_point:
            Angles ``[gamma_1..gamma_p, beta_1..beta_p]`` for a cold start (normalised
            Hamiltonian).
        engine:
            ``"aer"`` (lean loop, default) or ``"qiskit_optimization"``
            (``MinimumEigenOptimizer(QAOA(...))``).
        qaoa:
            A ``qiskit_optimization.minimum_eigensolvers.QAOA`` of your own; implies
            ``engine="qiskit_optimization"`` and is used as given.
        mitigation:
            ``None`` (default), ``"mthree"``, ``"zne"`` or ``"mthree+zne"``, with
            ``engine="aer"``. ``"mthree"``: readout-error mitigation (mthree's M3) of every
            sampled distribution, the optimiser's objective and the final sample, on a noisy
            simulated backend (``"noisy"``, a fake ``BackendV2``); the calibration is built once
            per set of measured qubits and reused by later solves; it is not pickled.
            ``"zne"``: zero-noise extrapolation of the objective the optimiser minimises: the
            transpiled circuit is gate-folded to amplify its noise (scale factors 1 and 2 by
            default) and the objective extrapolated to zero noise (exponentially, towards the
            maximally mixed state's value); on ``"noisy"``, IBM hardware, a ``BackendV2`` or a
            ``sampler`` of your own. The final samples still come from the unfolded circuit:
            ZNE corrects the estimate, not the samples. Settings follow colons, e.g.
            ``"zne:1,2,3:richardson"`` (``"linear"``, ``"richardson"``, ``"exponential"``).
            ``"mthree+zne"`` readout-corrects each scaled circuit's counts first. Noiseless
            backends raise ``ValueError``: they have no noise to mitigate.
        device:
            ``"CPU"`` (default) or ``"GPU"``: where the Aer simulators (``"statevector"``,
            ``"shots"``, ``"noisy"``) run. ``"GPU"`` needs ``pip install qiskit-aer-gpu`` and an
            NVIDIA CUDA GPU; without them it raises ``ValueError``.

    .. note:: Requires ``qiskit``, ``qiskit-aer`` and ``qiskit-optimization``
       (``pip install optuna-qnas[qiskit]``).
    """

    _name = "qaoa"

    def __init__(
        self,
        *,
        reps: int = 2,
        optimizer: Any = "cobyla",
        maxiter: int = 30,
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
        qaoa: Any = None,
    ) -> None:
        if qaoa is not None:
            from qiskit_optimization.minimum_eigensolvers import SamplingVQE

            if not isinstance(qaoa, SamplingVQE):
                raise ValueError(
                    "qaoa must be a qiskit_optimization.minimum_eigensolvers.QAOA; got "
                    f"{type(qaoa).__name__}."
                )
            engine = "qiskit_optimization"
        self.user_algorithm = qaoa
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
            f"QAOASolver(reps={self.reps}, backend={self.backend.name!r}, "
            f"max_qubits={self.max_qubits})"
        )

    def _circuit(self, qubo: QUBO) -> tuple[Any, list[Any]]:
        from optuna_qnas.solvers._qiskit_variational import ising_scale
        from optuna_qnas.solvers._qiskit_variational import qaoa_circuit
        from optuna_qnas.solvers._qiskit_variational import qubo_to_ising

        h, j, _ = qubo_to_ising(qubo)
        return qaoa_circuit(h, j, self.reps, ising_scale(h, j))

    def _cold_starts(self, num_params: int, seed: int | None) -> list[np.ndarray]:
        from optuna_qnas.solvers._qiskit_variational import linear_ramp

        # Ramps of three lengths; on normalised random QUBOs (10-16 bits, reps=2) the optimised
        # angles concentrate near gamma ~ (0.33, 0.48), beta ~ (0.79, 0.44) - a ramp of ~0.8-1.0.
        return [linear_ramp(self.reps, d) for d in (0.8, 0.4, 1.4)]

    def _qiskit_optimization_algorithm(self, qubo: QUBO) -> Any:
        from optuna_qnas.solvers._qiskit_variational import ising_scale
        from optuna_qnas.solvers._qiskit_variational import linear_ramp
        from optuna_qnas.solvers._qiskit_variational import qubo_to_ising

        def build(sampler: Any, pm: Any) -> Any:
            from qiskit_optimization.minimum_eigensolvers import QAOA

            if self.user_algorithm is not None:
                return self.user_algorithm
            if (
                self.warm_start
                and self._warm_point is not None
                and len(self._warm_point) == 2 * self.reps
            ):
                x0 = self._warm_point
                self._built_warm = True
            else:
                # Same normalised ramp as the aer engine. qiskit's QAOA orders parameters
                # (beta..., gamma...), mixes with exp(-i beta X) (our beta negated) and does not
                # normalise, so the ramp's gammas are divided by the Ising scale.
                h, j, _ = qubo_to_ising(qubo)
                ramp = (
                    linear_ramp(self.reps, 0.8)
                    if self.initial_point is None
                    else self.initial_point
                )
                x0 = np.concatenate([-ramp[self.reps :], ramp[: self.reps] / ising_scale(h, j)])
            return QAOA(
                sampler,
                self._optimizer(self._warm_point is not None, 2 * self.reps),
                reps=self.reps,
                initial_point=x0,
                aggregation=self.cvar_alpha,
                pass_manager=pm,
            )

        return build
