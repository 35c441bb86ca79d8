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

This module gathers the solvers; each lives in its own module:

* ``_qiskit_gate``: the shared base (argument checks, qubit budget, decomposition, the
  qiskit-optimization ``MinimumEigenOptimizer`` path) and ``qubo_to_quadratic_program``;
* ``_qiskit_variational_solver``: the base of QAOA and VQE (optimiser, starting angles, the Aer
  path);
* ``_qiskit_qaoa``, ``_qiskit_vqe``, ``_qiskit_grover``: the three solvers.
"""

from optuna_qnas.solvers._qiskit_gate import qubo_to_quadratic_program
from optuna_qnas.solvers._qiskit_gate import statevector_qubit_limit
from optuna_qnas.solvers._qiskit_grover import GroverSolver
from optuna_qnas.solvers._qiskit_qaoa import QAOASolver
from optuna_qnas.solvers._qiskit_vqe import VQESolver


__all__ = [
    "GroverSolver",
    "QAOASolver",
    "VQESolver",
    "qubo_to_quadratic_program",
    "statevector_qubit_limit",
]
