"""Gate-model QUBO solvers: QAOA, VQE (SamplingVQE) and Grover adaptive search with qiskit.

Each solver implements the solver protocol (``solve(qubo, num_samples, seed) -> SolverResult``)
and returns the ``num_samples`` most probable distinct bitstrings of the final state (plus the
best bitstring measured), re-scored by the QUBO. Two engines:

* ``engine="aer"`` (default for QAOA and VQE): the lean loop of ``_qiskit_variational`` on
  qiskit circuits, exact Aer state-vector probabilities or any ``SamplerV2``.
* ``engine="qiskit_optimization"``: ``QUBO -> QuadraticProgram -> MinimumEigenOptimizer(QAOA /
  SamplingVQE)`` exactly as qiskit-optimization 0.7 ships them; Grover always runs through
  ``qiskit_optimization.algorithms.GroverOptimizer``.

A QUBO wider than ``max_qubits`` is decomposed (``_qiskit_decompose``) unless ``decompose=False``,
in which case it is refused before any circuit or state vector is built.

qiskit, qiskit-aer and qiskit-optimization are imported lazily
(``pip install optuna-qnas[qiskit]``).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any
import warnings

import numpy as np

from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult


_ENGINES = ("aer", "qiskit_optimization")
# Bytes per amplitude an exact solve holds at once: the state vector (16) inside Aer, its
# probabilities (8), the diagonal energies (8) and a sorting buffer (8), with room to spare.
_BYTES_PER_AMPLITUDE = 64


def qubo_to_quadratic_program(qubo: QUBO) -> Any:
    """``QUBO`` -> ``qiskit_optimization.QuadraticProgram`` with binary variables
    ``x0 .. x{n-1}``."""
    from qiskit_optimization import QuadraticProgram

    qp = QuadraticProgram("optuna_qnas_qubo")
    n = qubo.num_variables
    for i in range(n):
        qp.binary_var(name=f"x{i}")
    rows, cols = np.nonzero(qubo.quadratic)
    quad = {(int(i), int(j)): float(qubo.quadratic[i, j]) for i, j in zip(rows, cols)}
    qp.minimize(constant=float(qubo.offset), linear=qubo.linear.tolist(), quadratic=quad)
    return qp


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def statevector_qubit_limit() -> int:
    """Widest exact state vector that fits in half of this machine's memory."""
    return int(math.floor(math.log2(_memory_bytes() / 2 / _BYTES_PER_AMPLITUDE)))


def _check_positive_int(name: str, value: Any, minimum: int = 1, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}{hint}; got {value!r}.")
    return int(value)


#: Entanglement patterns qiskit's ``real_amplitudes`` ansatz accepts by name.
_ENTANGLEMENTS = ("full", "linear", "reverse_linear", "pairwise", "circular", "sca")


class _GateSolver:
    """Shared plumbing: backend, qubit budget, decomposition, warm start, validation."""

    _name = "gate"

    def __init__(
        self,
        *,
        backend: Any,
        shots: int,
        sampler: Any,
        pass_manager: Any,
        max_qubits: int | None,
        decompose: bool,
        max_rounds: int | None,
        warm_start: bool,
        engine: str,
        optimization_level: int = 1,
    ) -> None:
        from optuna_qnas.solvers._qiskit_backends import DEFAULT_MAX_QUBITS
        from optuna_qnas.solvers._qiskit_backends import resolve_backend

        if engine not in _ENGINES:
            raise ValueError(f"engine must be one of {', '.join(_ENGINES)}; got {engine!r}.")
        if max_rounds is not None:
            _check_positive_int("max_rounds", max_rounds)
        if not isinstance(decompose, bool):
            raise ValueError(f"decompose must be True or False; got {decompose!r}.")
        self.engine = engine
        self.decompose = decompose
        self.max_rounds = max_rounds
        self.warm_start = bool(warm_start)
        self.backend = resolve_backend(
            backend,
            shots=shots,
            sampler=sampler,
            pass_manager=pass_manager,
            optimization_level=optimization_level,
        )
        limit = self.backend.num_device_qubits
        if max_qubits is None:
            max_qubits = DEFAULT_MAX_QUBITS[self.backend.kind]
            if limit is not None:
                max_qubits = min(max_qubits, limit)
        else:
            _check_positive_int(
                "max_qubits", max_qubits, hint=" (the widest circuit to simulate or run)"
            )
            if limit is not None and max_qubits > limit:
                raise ValueError(
                    f"max_qubits={max_qubits} exceeds the {limit} qubits of "
                    f"{self.backend.name}; use max_qubits <= {limit} (wider QUBOs are decomposed)."
                )
            if self.backend.exact and max_qubits > statevector_qubit_limit():
                raise ValueError(
                    f"max_qubits={max_qubits} needs a 2^{max_qubits}-amplitude state vector, more "
                    "than half of this machine's memory; use max_qubits <= "
                    f"{statevector_qubit_limit()} or backend='mps'."
                )
        self.max_qubits = int(max_qubits)
        self._warm_point: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The backend drops the qiskit objects it can rebuild; objects the user passed travel as
        # they are and must be picklable themselves.
        from optuna_qnas.solvers._qiskit_backends import check_picklable

        hint = "Pass a picklable one, or re-create the sampler instead of pickling it."
        check_picklable("algorithm (qaoa= / vqe=)", getattr(self, "user_algorithm", None), hint)
        check_picklable("optimizer", getattr(self, "_optimizer_obj", None), hint)
        check_picklable("ansatz", getattr(self, "user_ansatz", None), hint)
        return self.__dict__.copy()

    # -- protocol ------------------------------------------------------------------------------

    @property
    def max_variables(self) -> int | None:
        """The widest QUBO accepted: unbounded with decomposition, else the sub-problem width."""
        return None if self.decompose else self._sub_width()

    def _sub_width(self) -> int:
        return self.max_qubits

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult:
        from optuna_qnas.solvers._qiskit_decompose import decomposed_solve

        _check_positive_int("num_samples", num_samples)
        n = qubo.num_variables
        start = time.perf_counter()
        cpu_start = time.process_time()
        if n == 0:
            return SolverResult(
                np.zeros((1, 0), dtype=np.int8), np.array([qubo.offset]), {"solver": self._name}
            )
        if not (np.any(qubo.linear) or np.any(qubo.quadratic)):
            # A constant QUBO (e.g. the posterior mean of a model fitted to a constant objective):
            # every assignment is a minimum and a cost layer would have no parameters to bind.
            rng = np.random.RandomState(seed)
            xs = rng.randint(0, 2, size=(max(num_samples, 1), n)).astype(np.int8)
            return SolverResult.from_samples(
                qubo, xs, num_samples, {"solver": self._name, "constant_qubo": True}
            )
        width = self._sub_width()
        if n > width:
            # Checked before anything is built: no circuit, no state vector.
            if not self.decompose:
                raise ValueError(
                    f"{type(self).__name__}: the QUBO has {n} variables but max_qubits allows "
                    f"{width} per circuit. Set decompose=True (solve sub-QUBOs of {width} "
                    "variables around a classical incumbent), raise max_qubits, or use a more "
                    "compact encoding (encoding='binary' or 'domain_wall')."
                )
            res = decomposed_solve(
                qubo,
                self._solve_small,
                width=width,
                num_samples=num_samples,
                seed=seed,
                max_rounds=self.max_rounds,
            )
        else:
            res = self._solve_small(qubo, num_samples, seed)
            res.info["decomposed"] = False
        res.info.update(
            {
                "solver": self._name,
                "backend": self.backend.name,
                "engine": self.engine,
                "num_variables": n,
                "max_qubits": self.max_qubits,
                "solve_seconds": round(time.perf_counter() - start, 6),
                # CPU time of this process (all threads): on a shared machine the wall time above
                # includes waiting for other jobs; this is what the solve itself costs.
                "solve_cpu_seconds": round(time.process_time() - cpu_start, 6),
            }
        )
        return res

    def _solve_small(self, qubo: QUBO, num_samples: int, seed: int | None) -> SolverResult:
        raise NotImplementedError

    # -- qiskit-optimization engine --------------------------------------------------------------

    def _solve_min_eigen(
        self, qubo: QUBO, num_samples: int, seed: int | None, build_algorithm: Any
    ) -> SolverResult:
        """``MinimumEigenOptimizer(algorithm).solve(QuadraticProgram)``, top samples by
        probability."""
        from qiskit_optimization.algorithms import MinimumEigenOptimizer
        from qiskit_optimization.utils import algorithm_globals

        if seed is not None:
            algorithm_globals.random_seed = int(seed)
        sampler, pm = self.backend.qiskit_optimization_sampler(seed)
        self._built_warm = False
        algorithm = build_algorithm(sampler, pm)
        t0 = time.perf_counter()
        result = MinimumEigenOptimizer(algorithm).solve(qubo_to_quadratic_program(qubo))
        eig = result.min_eigen_solver_result
        by_prob = sorted(result.samples, key=lambda s: -s.probability)[:num_samples]
        xs = np.array([s.x for s in by_prob] + [result.x], dtype=np.int8)
        nfev = int(getattr(eig, "cost_function_evals", 0) or 0)
        point = getattr(eig, "optimal_point", None)
        if point is not None and self.warm_start:
            self._warm_point = np.asarray(point, dtype=float)
        info = {
            "circuit_evaluations": nfev + 1,
            "optimizer_evaluations": nfev,
            "warm_started": bool(getattr(self, "_built_warm", False)),
            "optimal_point": [] if point is None else [float(v) for v in point],
            "eigensolver_seconds": round(time.perf_counter() - t0, 6),
        }
        return SolverResult.from_samples(qubo, xs, num_samples, info)


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
        self.reps = _check_positive_int("reps", reps, hint=" (circuit layers; 1-3 are typical)")
        self.maxiter = _check_positive_int(
            "maxiter", maxiter, hint=" (optimiser iterations per solve)"
        )
        self.warm_maxiter = (
            max(1, maxiter // 3)
            if warm_maxiter is None
            else _check_positive_int("warm_maxiter", warm_maxiter)
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

    def _circuit(self, qubo: QUBO) -> tuple[Any, list[Any]]:
        raise NotImplementedError

    def _cold_starts(self, num_params: int, seed: int | None) -> list[np.ndarray]:
        raise NotImplementedError

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
        return SolverResult.from_samples(qubo, run.samples, num_samples, info)

    def _qiskit_optimization_algorithm(self, qubo: QUBO) -> Any:
        raise NotImplementedError


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
            Widest circuit; wider QUBOs are decomposed. Default 14 for the state-vector kinds
            (measured: a warm-started solve takes about half a second on a 2-core CPU), 10 for
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


class GroverSolver(_GateSolver):
    """Grover adaptive search (Gilliam et al. 2021) with qiskit-optimization's ``GroverOptimizer``.

    The QUBO is scaled and rounded to integers that fit ``num_value_qubits`` (two's complement,
    including the threshold shift); the returned samples are re-scored with the exact QUBO.

    Args:
        num_value_qubits:
            Qubits holding the value register (resolution of the rounded QUBO), >= 3. Default 8:
            with 6, rounding merged low energies and the optimum of 6-bit random QUBOs was found in
            2/6 seeded cases; with 8, in 6/6.
        num_iterations:
            Grover rounds without improvement before stopping (``GroverOptimizer``'s own). Default
            6: with 3 the search often stopped early on 6-bit QUBOs (optimum found in 4/6 cases
            where 6 found 9/10 of 5-6-bit cases), at about twice the time.
        backend, shots, sampler, pass_manager, decompose, max_rounds:
            As for :class:`QAOASolver`. The exact kind samples Aer's state-vector ``SamplerV2``.
        max_qubits:
            Widest circuit, value register and oracle qubit included; sub-QUBOs have
            ``max_qubits - num_value_qubits - 1`` variables. Default 16 on simulators.

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    _name = "grover"

    def __init__(
        self,
        *,
        num_value_qubits: int = 8,
        num_iterations: int = 6,
        backend: Any = "statevector",
        shots: int = 1024,
        sampler: Any = None,
        pass_manager: Any = None,
        max_qubits: int | None = None,
        decompose: bool = True,
        max_rounds: int | None = None,
    ) -> None:
        self.num_value_qubits = _check_positive_int(
            "num_value_qubits", num_value_qubits, minimum=3
        )
        self.num_iterations = _check_positive_int("num_iterations", num_iterations)
        super().__init__(
            backend=backend,
            shots=shots,
            sampler=sampler,
            pass_manager=pass_manager,
            max_qubits=max_qubits,
            decompose=decompose,
            max_rounds=max_rounds,
            warm_start=False,
            engine="qiskit_optimization",
        )
        if max_qubits is None and self.backend.num_device_qubits is None:
            # Grover's circuit carries the value register: 16 qubits leave 7 key bits at the
            # default 8 value qubits (about 3 s per 6-bit solve here).
            self.max_qubits = 16
        if self._sub_width() < 1:
            raise ValueError(
                f"max_qubits={self.max_qubits} leaves no key qubits next to "
                f"{self.num_value_qubits} value qubits and the oracle qubit; use max_qubits >= "
                f"{self.num_value_qubits + 2} or fewer num_value_qubits."
            )

    def __repr__(self) -> str:
        return (
            f"GroverSolver(num_value_qubits={self.num_value_qubits}, "
            f"backend={self.backend.name!r})"
        )

    def _sub_width(self) -> int:
        return self.max_qubits - self.num_value_qubits - 1

    def integer_qubo(self, qubo: QUBO) -> tuple[QUBO, float]:
        """Scale and round so every ``E(x) - offset - threshold`` fits the value register."""
        lin, quad = qubo.linear, qubo.quadratic
        lo = np.minimum(lin, 0).sum() + np.minimum(quad, 0).sum()
        hi = np.maximum(lin, 0).sum() + np.maximum(quad, 0).sum()
        span = max(hi - lo, 1e-12)
        scale = (2 ** (self.num_value_qubits - 1) - 1) / span
        return QUBO(np.round(lin * scale), np.round(quad * scale), 0.0), float(scale)

    def _solve_small(self, qubo: QUBO, num_samples: int, seed: int | None) -> SolverResult:
        from qiskit_optimization.algorithms import GroverOptimizationResult
        from qiskit_optimization.algorithms import GroverOptimizer
        from qiskit_optimization.utils import algorithm_globals

        if seed is not None:
            algorithm_globals.random_seed = int(seed)
        sampler, pm = self.backend.qiskit_optimization_sampler(seed)
        int_qubo, scale = self.integer_qubo(qubo)
        opt = GroverOptimizer(
            self.num_value_qubits,
            num_iterations=self.num_iterations,
            sampler=sampler,
            pass_manager=pm,
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # qiskit-optimization 0.7 builds its oracle with circuit classes that qiskit 2.1
            # deprecated (QuadraticForm, QFT); nothing a user can change, so keep them out of logs.
            warnings.filterwarnings(
                "ignore", category=DeprecationWarning, message=r".*deprecated as of Qiskit 2\."
            )
            result = opt.solve(qubo_to_quadratic_program(int_qubo))
        assert isinstance(result, GroverOptimizationResult)
        samples = sorted(result.samples or [], key=lambda s: -s.probability)[:num_samples]
        xs = np.array([s.x for s in samples] + [result.x], dtype=np.int8)
        info = {
            "circuit_evaluations": int(len(result.operation_counts)),
            "num_qubits": qubo.num_variables + self.num_value_qubits + 1,
            "value_scale": scale,
            "grover_seconds": round(time.perf_counter() - t0, 6),
        }
        return SolverResult.from_samples(qubo, xs, num_samples, info)
