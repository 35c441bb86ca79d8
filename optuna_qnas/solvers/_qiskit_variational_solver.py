"""The base of ``QAOASolver`` and ``VQESolver``: an optimiser over circuit parameters.

``_VariationalSolver`` checks the optimiser settings, picks cold or warm starting angles and runs
the ``engine="aer"`` path (the lean loop of ``_qiskit_variational``); the
``engine="qiskit_optimization"`` path goes through ``_GateSolver._solve_min_eigen`` with the
algorithm each subclass builds.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from optuna_qnas._checks import check_int
from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult
from optuna_qnas.solvers._qiskit_gate import _GateSolver


def _resolve_optimizer(optimizer: Any) -> tuple[str | None, Any]:
    from optuna_qnas.solvers._qiskit_variational import OPTIMIZERS

    if isinstance(optimizer, str):
        key = optimizer.lower().replace("-", "_")
        if key not in OPTIMIZERS:
            raise ValueError(
                f"Unknown optimizer {optimizer!r}. Use one of {', '.join(OPTIMIZERS)}, a "
                "qiskit_optimization.optimizers.Optimizer instance, or a callable "
                "(fun, x0, ...) -> OptimizerResult."
            )
        return key, None
    if callable(getattr(optimizer, "minimize", None)) or callable(optimizer):
        return None, optimizer
    raise ValueError(
        f"optimizer must be a name ({', '.join(OPTIMIZERS)}), a qiskit_optimization Optimizer or "
        f"a callable; got {type(optimizer).__name__}."
    )


class _VariationalSolver(_GateSolver):
    """QAOA and VQE: an optimiser over circuit parameters."""

    _cold_step = 0.5
    _warm_step = 0.15

    def __init__(
        self,
        *,
        reps: int,
        optimizer: Any,
        maxiter: int,
        warm_maxiter: int | None,
        cvar_alpha: float | None,
        initial_point: Any,
        **kwargs: Any,
    ) -> None:
        self.reps = check_int("reps", reps, hint=" (circuit layers; 1-3 are typical)")
        self.maxiter = check_int("maxiter", maxiter, hint=" (optimiser iterations per solve)")
        self.warm_maxiter = (
            max(1, maxiter // 3)
            if warm_maxiter is None
            else check_int("warm_maxiter", warm_maxiter)
        )
        self._optimizer_name, self._optimizer_obj = _resolve_optimizer(optimizer)
        if cvar_alpha is not None and not (
            isinstance(cvar_alpha, (int, float)) and 0.0 < cvar_alpha <= 1.0
        ):
            raise ValueError(
                f"cvar_alpha must be None or a number in (0, 1] (e.g. 0.25); got {cvar_alpha!r}."
            )
        self.cvar_alpha = None if cvar_alpha is None else float(cvar_alpha)
        self.initial_point = (
            None if initial_point is None else np.asarray(initial_point, dtype=float).ravel()
        )
        super().__init__(**kwargs)

    def _optimizer(self, warm: bool, num_params: int) -> Any:
        from optuna_qnas.solvers._qiskit_variational import make_optimizer

        if self._optimizer_obj is not None:
            return self._optimizer_obj
        assert self._optimizer_name is not None
        return make_optimizer(
            self._optimizer_name,
            self.warm_maxiter if warm else self.maxiter,
            num_params=num_params,
            step=self._warm_step if warm else self._cold_step,
        )

    @abc.abstractmethod
    def _circuit(self, qubo: QUBO) -> tuple[Any, list[Any]]:
        """The parametrised circuit for ``qubo`` and its parameters, in order."""

    @abc.abstractmethod
    def _cold_starts(self, num_params: int, seed: int | None) -> list[np.ndarray]:
        """Starting points of the optimiser when there is no warm start."""

    def _solve_small(self, qubo: QUBO, num_samples: int, seed: int | None) -> SolverResult:
        from optuna_qnas.solvers._qiskit_variational import optimise

        if self.engine == "qiskit_optimization":
            return self._solve_min_eigen(
                qubo, num_samples, seed, self._qiskit_optimization_algorithm(qubo)
            )
        circuit, params = self._circuit(qubo)
        starts: list[np.ndarray]
        warm = (
            self.warm_start
            and self._warm_point is not None
            and len(self._warm_point) == len(params)
        )
        if self.initial_point is not None:
            if len(self.initial_point) != len(params):
                raise ValueError(
                    f"initial_point has {len(self.initial_point)} values but the circuit has "
                    f"{len(params)} parameters; pass one value per parameter or "
                    "initial_point=None."
                )
            starts = [self.initial_point]
        else:
            starts = self._cold_starts(len(params), seed)
        if warm:
            assert self._warm_point is not None
            starts = [self._warm_point] + starts[:1]
        run = optimise(
            qubo,
            circuit,
            params,
            self.backend,
            starts=starts,
            optimizer=self._optimizer(warm, len(params)),
            num_samples=num_samples,
            cvar_alpha=self.cvar_alpha,
            seed=seed,
        )
        if self.warm_start:
            self._warm_point = run.point
        info = {
            "circuit_evaluations": run.circuit_evaluations,
            "optimizer_evaluations": run.optimizer_evaluations,
            "warm_started": bool(warm),
            "optimal_point": [float(v) for v in run.point],
            "objective": run.value,
            "num_qubits": qubo.num_variables,
            "reps": self.reps,
            "seconds": run.seconds,
        }
        if run.zne is not None:
            info["zne"] = run.zne
        return SolverResult.from_samples(qubo, run.samples, num_samples, info)

    def distribution(
        self, qubo: QUBO, point: Any, seed: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bitstrings (shape ``(m, n)``) and their probabilities in the circuit's state at
        parameters ``point``.

        Exact probabilities of all ``2^n`` states on the state-vector backend; on a sampling
        backend the observed bitstrings and their frequencies (readout-mitigated with
        ``"mthree"`` / ``"mthree+zne"``; always of the unfolded circuit, zero-noise extrapolation
        applies to the objective, not to samples), sampled as the solve seeded with ``seed``
        samples them. With a solve's
        ``info["optimal_point"]`` and seed this is the distribution its final samples were taken
        from; ``qubo`` must fit one circuit (``max_qubits``).
        """
        from optuna_qnas.solvers._qiskit_variational import index_to_bits
        from optuna_qnas.solvers._qiskit_variational import sample_distribution

        if qubo.num_variables > self._sub_width():
            raise ValueError(
                f"distribution() runs one circuit: the QUBO has {qubo.num_variables} variables "
                f"but max_qubits is {self._sub_width()}."
            )
        circuit, params = self._circuit(qubo)
        theta = np.asarray(point, dtype=float).ravel()
        if len(theta) != len(params):
            raise ValueError(
                f"point has {len(theta)} values but the circuit has {len(params)} parameters."
            )
        idx, probs = sample_distribution(qubo, circuit, params, self.backend, theta, seed=seed)
        return index_to_bits(idx, qubo.num_variables), probs

    @abc.abstractmethod
    def _qiskit_optimization_algorithm(self, qubo: QUBO) -> Any:
        """The qiskit-optimization minimum eigensolver of the ``engine="qiskit_optimization"``
        path."""
