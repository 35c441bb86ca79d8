"""``GroverSolver``: Grover adaptive search through qiskit-optimization's ``GroverOptimizer``."""

from __future__ import annotations

import time
from typing import Any
import warnings

import numpy as np

from optuna_qnas._checks import check_int
from optuna_qnas._qubo import QUBO
from optuna_qnas.solvers._base import SolverResult
from optuna_qnas.solvers._qiskit_gate import _GateSolver
from optuna_qnas.solvers._qiskit_gate import qubo_to_quadratic_program


#: Sub-QUBO solves per decomposed Grover solve unless ``max_rounds`` says otherwise, so that a
#: proposal's cost does not grow with the QUBO's width. A 15-trial study on a 26-bit mixed space
#: (2-core CPU) took 180 CPU s with 8 value qubits and five sub-solves per proposal, 23 s with 6
#: value qubits and two.
DEFAULT_GROVER_ROUNDS = 2


class GroverSolver(_GateSolver):
    """Grover adaptive search (Gilliam et al. 2021) with qiskit-optimization's ``GroverOptimizer``.

    The QUBO is scaled and rounded to integers that fit ``num_value_qubits`` (two's complement,
    including the threshold shift); the returned samples are re-scored with the exact QUBO.

    Args:
        num_value_qubits:
            Qubits holding the value register (resolution of the rounded QUBO), >= 3. Default 6:
            on random 7-bit QUBOs (6 seeded cases, 2-core CPU) 6 value qubits found the optimum
            as often as 8 (5/6) at a third of the CPU time (1.3 s instead of 4.2 s per solve),
            the circuit being two qubits narrower.
        num_iterations:
            Grover rounds without improvement before stopping (``GroverOptimizer``'s own). Default
            6: with 3 (2) the optimum of those QUBOs was found in 3/6 (1/6 at 8 value qubits).
        max_rounds:
            Sub-QUBO solves per decomposed solve. Default 2, so that one proposal costs a bounded
            number of Grover searches however wide the QUBO (a wide QUBO is improved around the
            annealed incumbent by two sub-solves instead of one per ``max_qubits`` variables);
            ``ceil(n / width) + 1`` offers every variable.
        backend, shots, sampler, pass_manager, decompose, device:
            As for :class:`QAOASolver`. The exact kind samples Aer's state-vector ``SamplerV2``.
            Readout mitigation is not offered: ``GroverOptimizer`` reads its sampler's results
            itself.
        max_qubits:
            Widest circuit, value register and oracle qubit included; sub-QUBOs have
            ``max_qubits - num_value_qubits - 1`` variables. Default 14 on simulators (7 key
            bits at the default 6 value qubits).

    .. note:: Requires ``pip install optuna-qnas[qiskit]``.
    """

    _name = "grover"

    def __init__(
        self,
        *,
        num_value_qubits: int = 6,
        num_iterations: int = 6,
        backend: Any = "statevector",
        shots: int = 1024,
        sampler: Any = None,
        pass_manager: Any = None,
        max_qubits: int | None = None,
        decompose: bool = True,
        max_rounds: int | None = None,
        device: str = "CPU",
    ) -> None:
        self.num_value_qubits = check_int("num_value_qubits", num_value_qubits, minimum=3)
        self.num_iterations = check_int("num_iterations", num_iterations)
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
            device=device,
        )
        if max_qubits is None and self.backend.num_device_qubits is None:
            # Grover's circuit carries the value register: 14 qubits leave 7 key bits at the
            # default 6 value qubits (about 1.3 CPU s per 7-bit solve on a 2-core CPU).
            self.max_qubits = 14
        if max_rounds is None:
            self.max_rounds = DEFAULT_GROVER_ROUNDS
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
