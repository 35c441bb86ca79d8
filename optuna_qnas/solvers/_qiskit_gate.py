"""The shared base of the gate-model solvers: argument checks, the qubit budget, decomposition.

``_GateSolver`` resolves the backend, fixes the widest circuit (``max_qubits``), validates the
QUBO it is given, splits one wider than that into sub-QUBOs (``_qiskit_decompose``) unless
``decompose=False``, and runs qiskit-optimization's ``MinimumEigenOptimizer`` for the
``engine="qiskit_optimization"`` path. Subclasses supply ``_solve_small``: one solve of a QUBO that
fits a circuit.

qiskit is imported lazily, inside the methods that need it.
"""

from __future__ import annotations

import abc
import math
import os
import time
from typing import Any

import numpy as np

from optuna_qnas._checks import check_int
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


class _GateSolver(abc.ABC):
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
        mitigation: str | None = None,
        device: str = "CPU",
    ) -> None:
        from optuna_qnas.solvers._qiskit_backends import DEFAULT_MAX_QUBITS
        from optuna_qnas.solvers._qiskit_backends import resolve_backend

        if engine not in _ENGINES:
            raise ValueError(f"engine must be one of {', '.join(_ENGINES)}; got {engine!r}.")
        if max_rounds is not None:
            check_int("max_rounds", max_rounds)
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
            mitigation=mitigation,
            device=device,
        )
        if self.backend.mitigation is not None and engine != "aer":
            raise ValueError(
                f"mitigation={self.backend.mitigation!r} corrects the counts of the "
                f"engine='aer' loop; qiskit-optimization's algorithms (engine={engine!r}, "
                "qaoa=, vqe=) read their sampler's results themselves. Use engine='aer' or "
                "mitigation=None."
            )
        limit = self.backend.num_device_qubits
        if max_qubits is None:
            max_qubits = DEFAULT_MAX_QUBITS[self.backend.kind]
            if limit is not None:
                max_qubits = min(max_qubits, limit)
        else:
            check_int("max_qubits", max_qubits, hint=" (the widest circuit to simulate or run)")
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

        check_int("num_samples", num_samples)
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
        if self.backend.mitigation is not None:
            res.info["mitigation"] = self.backend.mitigation
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

    @abc.abstractmethod
    def _solve_small(self, qubo: QUBO, num_samples: int, seed: int | None) -> SolverResult:
        """One solve of a QUBO that fits the qubit budget (each solver's own algorithm)."""

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
