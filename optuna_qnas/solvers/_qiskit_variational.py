"""A lean variational loop (QAOA or a VQE ansatz) on qiskit circuits and Aer / any SamplerV2.

qiskit-optimization's ``MinimumEigenOptimizer(QAOA(...))`` spends most of its time outside the
simulation (transpiling, converting every sampled state through a ``SparsePauliOp`` in Python,
1,024-shot estimates that need many optimiser steps). This module runs the same circuits with
less around them:

* The QUBO's energy of every basis state is computed once per solve (``2^n`` floats, numpy); an
  exact evaluation is then one Aer state-vector run with ``save_probabilities`` and one dot
  product.
* Circuits use gates Aer executes natively (h, rz, rzz, rx, ry, cx): no transpilation for Aer;
  for a device (noisy simulator, IBM backend) the parameterised circuit is transpiled once per
  solve and only parameter values travel with each evaluation.
* The Hamiltonian is normalised (unit root-mean-square local field), so angles mean the same from
  one QUBO to the next; consecutive solves start from the previous optimum (warm start).
* On a backend with ``mitigation="mthree"`` every sampled distribution (the objective the
  optimiser sees and the final sample) is readout-mitigated (``_qiskit_mitigation``).
* With ``mitigation="zne"`` (or ``"mthree+zne"``) the transpiled circuit is also folded once per
  solve to each noise scale factor (``_qiskit_zne``); every evaluation runs all of them in one
  sampler job and the optimiser sees the objective extrapolated to zero noise. The final sample
  comes from the unfolded circuit.

Pure helpers (Ising form, diagonal energies, CVaR) are numpy only; qiskit is imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
import time
from typing import Any

import numpy as np

from optuna_qnas._qubo import QUBO


# --------------------------------------------------------------------------------------------
# numpy helpers
# --------------------------------------------------------------------------------------------


def qubo_to_ising(qubo: QUBO) -> tuple[np.ndarray, np.ndarray, float]:
    """``E(x) = const + h . z + z^T J z`` with ``z_i = 1 - 2 x_i`` (qubit |0> is ``x_i = 0``).

    Returns ``h`` (n,), ``J`` (n, n) strictly upper triangular, and ``const``.
    """
    q = qubo.quadratic
    sym = q + q.T
    h = -qubo.linear / 2.0 - sym.sum(axis=1) / 4.0
    j = q / 4.0
    const = qubo.offset + qubo.linear.sum() / 2.0 + q.sum() / 4.0
    return h, j, float(const)


def diagonal_energies(qubo: QUBO) -> np.ndarray:
    """Energy of every basis state, shape ``(2^n,)``; bit ``i`` of the index is ``x_i`` (qubit
    ``i``).

    Built by doubling: adding variable ``k`` appends ``E + linear[k] + sum_{i<k} Q[i,k] x_i``, so
    the cost is ``O(2^n)`` vector operations, not ``O(2^n n^2)``.
    """
    n = qubo.num_variables
    e = np.array([qubo.offset])
    for k in range(n):
        coupling = np.zeros(1)
        for i in range(k):
            coupling = np.concatenate([coupling, coupling + qubo.quadratic[i, k]])
        e = np.concatenate([e, e + qubo.linear[k] + coupling])
    return e


def index_to_bits(idx: np.ndarray, n: int) -> np.ndarray:
    """Basis-state indices (m,) -> bitstrings (m, n) int8, bit ``i`` of the index in column
    ``i``."""
    idx = np.asarray(idx, dtype=np.int64)
    return ((idx[:, None] >> np.arange(n)[None, :]) & 1).astype(np.int8)


def cvar(values: np.ndarray, probs: np.ndarray, alpha: float | None) -> float:
    """Expectation (``alpha`` None or 1) or CVaR_alpha (mean of the lowest ``alpha`` probability
    mass)."""
    if alpha is None or alpha >= 1.0:
        return float(np.dot(probs, values) / max(probs.sum(), 1e-300))
    order = np.argsort(values, kind="stable")
    p = probs[order] / max(probs.sum(), 1e-300)
    cum = np.cumsum(p)
    take = np.minimum(p, np.maximum(alpha - (cum - p), 0.0))
    return float(np.dot(take, values[order]) / alpha)


def linear_ramp(reps: int, delta: float) -> np.ndarray:
    """Annealing-like QAOA start: ``gamma`` rising, ``beta`` falling (Sack & Serbyn 2021, TQA)."""
    t = (np.arange(reps) + 0.5) / reps
    return np.concatenate([t * delta, (1.0 - t) * delta])


def ising_scale(h: np.ndarray, j: np.ndarray) -> float:
    """Root-mean-square local field: ``sqrt((sum h^2 + sum J^2) / n)`` (1 if the QUBO is
    constant)."""
    n = max(len(h), 1)
    s = float(np.sqrt((np.sum(h**2) + np.sum(j**2)) / n))
    return s if s > 0 else 1.0


# --------------------------------------------------------------------------------------------
# circuits
# --------------------------------------------------------------------------------------------


def qaoa_circuit(h: np.ndarray, j: np.ndarray, reps: int, scale: float) -> tuple[Any, list[Any]]:
    """Parameterised QAOA circuit ``prod_l exp(i beta_l sum X) exp(-i gamma_l H / scale) |+>^n``.

    Returns the circuit (no measurement) and its parameters in the order
    ``[gamma_0 .. gamma_{p-1}, beta_0 .. beta_{p-1}]``. The mixer is ``exp(+i beta X)`` (the
    ground state of ``-sum X``), so positive ramps follow an annealing path.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    n = len(h)
    gamma = ParameterVector("gamma", reps)
    beta = ParameterVector("beta", reps)
    qc = QuantumCircuit(n)
    qc.h(range(n))
    rows, cols = np.nonzero(j)
    for layer in range(reps):
        for i in range(n):
            if h[i] != 0:
                qc.rz((2.0 * h[i] / scale) * gamma[layer], i)
        for a, b in zip(rows.tolist(), cols.tolist()):
            qc.rzz((2.0 * j[a, b] / scale) * gamma[layer], a, b)
        for i in range(n):
            qc.rx(-2.0 * beta[layer], i)
    return qc, list(gamma) + list(beta)


def ansatz_circuit(
    num_qubits: int, reps: int, entanglement: str = "linear"
) -> tuple[Any, list[Any]]:
    """Hardware-efficient real ansatz (``qiskit.circuit.library.real_amplitudes``) starting in
    |+>^n.

    The leading Hadamards make the all-zero parameter point the uniform superposition, so a VQE
    starts unbiased.
    """
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import real_amplitudes

    body = real_amplitudes(num_qubits, reps=reps, entanglement=entanglement)
    qc = QuantumCircuit(num_qubits)
    qc.h(range(num_qubits))
    qc.compose(body, inplace=True)
    qc = qc.decompose()  # plain ry / cx, which Aer runs natively
    return qc, list(qc.parameters)


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------


@dataclass
class VariationalRun:
    """Outcome of one variational optimisation."""

    samples: np.ndarray  # (m, n) int8, the most probable bitstrings (+ best measurement)
    point: np.ndarray  # optimised parameters
    value: float  # objective at ``point``
    circuit_evaluations: int
    optimizer_evaluations: int
    seconds: dict[str, float] = field(default_factory=dict)
    #: With zero-noise extrapolation: scale factors reached, the objective at each and the
    #: extrapolated value, at ``point`` (from the final sampling run).
    zne: dict[str, Any] | None = None


class _Evaluator:
    """Runs the circuit at given parameters on one backend; tracks the best point seen."""

    def __init__(
        self,
        qubo: QUBO,
        circuit: Any,
        params: list[Any],
        backend: Any,
        *,
        cvar_alpha: float | None,
        seed: int | None,
    ):
        self.qubo = qubo
        self.n = qubo.num_variables
        self.circuit = circuit
        self.params = params
        self.backend = backend
        self.alpha = cvar_alpha
        self.evals = 0
        self.best: tuple[float, np.ndarray, Any] | None = None
        self.best_measured: tuple[float, np.ndarray] | None = None
        self.zne: Any = None  # ZNESettings on a sampling backend with zero-noise extrapolation
        self.last_scaled: list[float] = []  # objective at each scale, last evaluation
        self.last_unfolded: tuple[np.ndarray, np.ndarray] | None = None  # its (indices, probs)
        self.mixed = 0.0
        if backend.exact:
            self.energies = diagonal_energies(qubo)
            from qiskit_aer.library import SaveProbabilities

            circ = circuit.copy()
            # The instruction itself: circ.save_probabilities() exists only once qiskit_aer has
            # been imported somewhere, which a fresh process may not have done yet.
            circ.append(SaveProbabilities(circ.num_qubits), circ.qubits)
            self.exact_circuit = circ
        else:
            from qiskit import QuantumCircuit

            circ = circuit.copy()
            circ.measure_all()
            pass_manager = backend.pass_manager_for(seed)
            if pass_manager is not None:
                circ = pass_manager.run(circ)
            self.sampler_circuit: QuantumCircuit = circ
            # Parameter order of the (possibly transpiled) circuit is alphabetical; map ours
            # onto it.
            names = [p.name for p in params]
            self.order = [names.index(p.name) for p in circ.parameters]
            self.creg = circ.cregs[0].name if circ.cregs else "meas"
            self.sampler = backend.sampler_for(seed)
            self.mitigator = backend.mitigator
            if self.mitigator is not None:
                # The layout is fixed for the whole solve: one calibration serves every evaluation.
                self.measured_qubits = self.mitigator.measured_qubits(circ)
            # Zero-noise extrapolation: the transpiled circuit folded once per scale factor (the
            # first factor is 1, the circuit itself); parameters and layout are unchanged.
            self.zne = backend.zne
            self.circuits: list[QuantumCircuit] = [circ]
            self.scales: list[float] = [1.0]
            if self.zne is not None:
                from optuna_qnas.solvers._qiskit_zne import fold_gates

                device = backend.device
                basis = None if device is None else device.operation_names
                for factor in self.zne.scale_factors[1:]:
                    folded, reached = fold_gates(circ, factor, basis=basis)
                    self.circuits.append(folded)
                    self.scales.append(reached)
                # The objective of the maximally mixed state, the value noise drives towards:
                # the asymptote of the exponential extrapolation.
                self.mixed = (
                    qubo_to_ising(qubo)[2]
                    if cvar_alpha is None or cvar_alpha >= 1.0
                    else cvar(diagonal_energies(qubo), np.ones(2**self.n), cvar_alpha)
                )

    def distribution(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indices, probabilities, energies)`` of the basis states the circuit produced (the
        unfolded circuit only)."""
        return self.distributions(theta, all_scales=False)[0]

    def distributions(
        self, theta: np.ndarray, *, all_scales: bool
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`distribution` of the unfolded circuit and, with ``all_scales``, of each folded
        one (in the order of ``scales``), all from one sampler job."""
        self.evals += 1
        if self.backend.exact:
            bound = self.exact_circuit.assign_parameters(dict(zip(self.params, theta.tolist())))
            probs = np.asarray(
                self.backend.simulator.run(bound).result().data(0)["probabilities"], dtype=float
            )
            return [(np.arange(probs.shape[0]), probs, self.energies)]
        values = np.asarray(theta, dtype=float)[self.order]
        circuits = self.circuits if all_scales else self.circuits[:1]
        results = self.sampler.run([(c, values) for c in circuits]).result()
        out = []
        for k, result in enumerate(results):
            counts = getattr(result.data, self.creg).get_int_counts()
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            cnt = np.fromiter(counts.values(), dtype=float, count=len(counts))
            e = self.qubo.energies(index_to_bits(idx, self.n))
            if k == 0:
                # Samples come from the unfolded circuit only.
                b = int(np.argmin(e))
                if self.best_measured is None or e[b] < self.best_measured[0]:
                    self.best_measured = (float(e[b]), index_to_bits(idx[b : b + 1], self.n)[0])
            if self.mitigator is not None:
                out.append((idx, self.mitigator.apply(idx, cnt, self.measured_qubits), e))
            else:
                out.append((idx, cnt / cnt.sum(), e))
        return out

    def objective(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float).ravel()
        zne = self.zne  # set on sampling backends only
        runs = self.distributions(theta, all_scales=zne is not None)
        idx, probs, energies = runs[0]
        self.last_unfolded = (idx, probs)
        value = cvar(energies, probs, self.alpha)
        if zne is not None:
            from optuna_qnas.solvers._qiskit_zne import extrapolate

            self.last_scaled = [value] + [cvar(e, p, self.alpha) for _, p, e in runs[1:]]
            value = extrapolate(self.scales, self.last_scaled, zne.extrapolation, mixed=self.mixed)
        if self.best is None or value < self.best[0]:
            self.best = (value, theta.copy(), (idx, probs))
        return value


def most_probable(probs: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest entries of ``probs``, largest first, ties by position.

    The same as ``np.argsort(-probs, kind="stable")[:k]`` without sorting all ``2^n`` entries of
    a wide state vector (a full stable sort of 2^28 probabilities costs tens of seconds): only
    the entries at or above the ``k``-th largest value are sorted.
    """
    m = len(probs)
    k = min(int(k), m)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < m:
        threshold = np.partition(probs, m - k)[m - k]
        candidates = np.flatnonzero(probs >= threshold)
    else:
        candidates = np.arange(m)
    return candidates[np.argsort(-probs[candidates], kind="stable")[:k]]


def make_optimizer(name: str, maxiter: int, *, num_params: int, step: float) -> Any:
    """A ``qiskit_optimization.optimizers`` instance by name.

    COBYLA needs ``num_params + 2`` evaluations to build its first simplex, so ``maxiter`` is
    raised to that where it is smaller.
    """
    from qiskit_optimization.optimizers import COBYLA
    from qiskit_optimization.optimizers import NELDER_MEAD
    from qiskit_optimization.optimizers import SPSA

    if name == "cobyla":
        return COBYLA(maxiter=max(maxiter, num_params + 2), rhobeg=step)
    if name == "nelder_mead":
        return NELDER_MEAD(maxiter=maxiter, maxfev=maxiter, adaptive=True)
    # SPSA: fixed gains (no 50-evaluation calibration); each iteration costs two evaluations.
    return SPSA(maxiter=max(1, maxiter // 2), learning_rate=step / 2, perturbation=step / 4)


OPTIMIZERS = ("cobyla", "nelder_mead", "spsa")


def sample_distribution(
    qubo: QUBO,
    circuit: Any,
    params: list[Any],
    backend: Any,
    theta: np.ndarray,
    *,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, probabilities)`` the circuit gives at ``theta`` on ``backend``, as one
    evaluation of a solve seeded with ``seed`` sees them (exact, sampled, or sampled and
    readout-mitigated)."""
    ev = _Evaluator(qubo, circuit, params, backend, cvar_alpha=None, seed=seed)
    idx, probs, _ = ev.distribution(np.asarray(theta, dtype=float).ravel())
    return idx, probs


def optimise(
    qubo: QUBO,
    circuit: Any,
    params: list[Any],
    backend: Any,
    *,
    starts: list[np.ndarray],
    optimizer: Any,
    num_samples: int,
    cvar_alpha: float | None,
    seed: int | None,
) -> VariationalRun:
    """Pick the best of ``starts``, optimise from it, return the most probable bitstrings.

    ``optimizer`` is a ``qiskit_optimization.optimizers.Optimizer`` or a callable
    ``(fun, x0) -> OptimizerResult``.
    """
    t0 = time.perf_counter()
    ev = _Evaluator(qubo, circuit, params, backend, cvar_alpha=cvar_alpha, seed=seed)
    t_build = time.perf_counter() - t0
    values = [ev.objective(s) for s in starts]
    x0 = starts[int(np.argmin(values))]
    t1 = time.perf_counter()
    if callable(getattr(optimizer, "minimize", None)):
        res = optimizer.minimize(fun=ev.objective, x0=x0)
    else:
        res = optimizer(fun=ev.objective, x0=x0)
    t_opt = time.perf_counter() - t1
    nfev = int(getattr(res, "nfev", 0) or 0)
    assert ev.best is not None
    best_value, best_theta, (idx, probs) = ev.best
    zne: dict[str, Any] | None = None
    if ev.zne is not None:
        # Once more at the final point, every scale: the final sample (scale 1) and a record of
        # what the extrapolation saw there.
        final_value = ev.objective(best_theta)
        assert ev.last_unfolded is not None
        idx, probs = ev.last_unfolded
        zne = {
            "scale_factors": [round(s, 6) for s in ev.scales],
            "extrapolation": ev.zne.extrapolation,
            "raw_objective": [float(v) for v in ev.last_scaled],
            "extrapolated_objective": float(final_value),
        }
    elif not backend.exact:
        # The optimiser's estimates are noisy: sample the final point once more for the
        # distribution.
        idx, probs, _ = ev.distribution(best_theta)
    top = idx[most_probable(probs, num_samples)]
    samples = index_to_bits(top, qubo.num_variables)
    if ev.best_measured is not None:
        samples = np.vstack([samples, ev.best_measured[1][None, :]])
    return VariationalRun(
        samples=samples,
        point=np.asarray(best_theta, dtype=float),
        value=float(best_value),
        circuit_evaluations=ev.evals,
        optimizer_evaluations=nfev,
        seconds={
            "build": round(t_build, 6),
            "optimise": round(t_opt, 6),
            "total": round(time.perf_counter() - t0, 6),
        },
        zne=zne,
    )
