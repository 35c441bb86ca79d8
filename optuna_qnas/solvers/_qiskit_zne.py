"""Digital zero-noise extrapolation (ZNE) of the variational objective, on qiskit only.

This is the package's own small implementation (Temme, Bravyi & Gambetta, PRL 119, 180509, 2017;
digital unitary folding as in Giurgica-Tiron et al., IEEE QCE 2020). Of the ready-made options,
mitiq cannot be installed next to numpy >= 2.3, and qiskit-ibm-runtime's resilience options
(ZNE in its EstimatorV2) are ignored by its local testing mode, so they could not be measured off
hardware; its SamplerV2 has no resilience options at all.

How it works, for one evaluation of the objective at angles ``theta``:

1. Noise is amplified by **gate folding** of the circuit already transpiled for the backend: a
   gate ``G`` becomes ``G (G^dagger G)^k``, the same operation, with ``2k + 1`` times the gate's
   error. To reach a scale factor ``lambda`` every gate is folded ``floor((lambda - 1) / 2)``
   times and an evenly spaced share of each gate type once more, so factors between the odd
   integers (1.5, 2, ...) are available and every gate type is amplified alike. ``rz`` is not
   folded: IBM devices apply it in software, without error (a folded ``rz`` would add no noise).
   Folding happens after transpilation and nothing transpiles the folded circuits again, so no
   optimisation pass can cancel ``G^dagger G``; the layout, routing and parameters stay those
   of the unfolded circuit, so a solve transpiles and folds once and only parameter values
   travel with each evaluation.
2. The circuits of all scale factors run as one sampler job, with the same shots each; the
   objective (energy expectation or CVaR) is computed from each one's counts (readout-mitigated
   first with ``"mthree+zne"``).
3. The values are **extrapolated** to zero noise and the optimiser minimises the value at
   ``lambda = 0``. ``"exponential"`` (default) fits ``mixed + A exp(-c lambda)``, where ``mixed``
   is the objective of the maximally mixed state (the mean energy of all bitstrings for an
   expectation), the value gate noise drives every expectation towards, enlarging the signal at
   scale 1 at most threefold (:data:`MAX_EXPONENTIAL_GAIN`); ``"linear"`` fits a
   straight line by least squares, ``"richardson"`` the polynomial of degree
   ``len(scale_factors) - 1`` through all points. The defaults (factors 1 and 2, exponential)
   were chosen by measurement (docs/qiskit.md, "Error mitigation").

ZNE corrects expectation values, not samples: the bitstrings a solve returns are sampled from the
unfolded circuit (scale 1), so ZNE can change a solve's samples only through the angles the
optimiser chooses.

``sx`` folds with ``sx^dagger = rz(pi) sx rz(pi)`` (equal up to a global phase), because IBM
devices have no ``sxdg`` gate; every other gate's inverse must be a gate the circuit or the device
already runs (``cx``, ``ecr``, ``cz``, ``x`` are their own inverses; ``rz``, ``rx``, ``rzz`` ...
invert by negating the angle), else folding raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np


#: How the scaled values are extrapolated to zero noise.
EXTRAPOLATIONS = ("exponential", "linear", "richardson")
#: Default noise scale factors (see docs/qiskit.md, "Error mitigation").
DEFAULT_SCALE_FACTORS = (1.0, 2.0)
#: Default extrapolation.
DEFAULT_EXTRAPOLATION = "exponential"
#: Largest scale factor accepted: a factor of ``lambda`` runs ``lambda`` times the gates.
MAX_SCALE_FACTOR = 9.0
#: Most the exponential fit may enlarge the signal (value minus the mixed state's) measured at
#: scale 1. The exact values of the measured 10- and 12-qubit circuits needed 1.4-2.3 times
#: (docs/qiskit.md, "Error mitigation"); a larger gain means the folded circuits kept almost no
#: signal, where the fit mostly amplifies shot noise: a 12-qubit solve without this bound was
#: steered to angles whose doubled circuit had lost its signal and reported an energy three
#: times below the ground state's.
MAX_EXPONENTIAL_GAIN = 3.0
#: Operations never folded: no error to amplify, or not unitary.
_NOT_FOLDED = frozenset({"rz", "measure", "barrier", "delay", "reset", "id", "global_phase"})


@dataclass(frozen=True)
class ZNESettings:
    """Settings of zero-noise extrapolation.

    Attributes:
        scale_factors:
            Noise scale factors, increasing, the first one 1 (the unfolded circuit).
        extrapolation:
            ``"linear"`` or ``"richardson"`` (see the module docstring).
    """

    scale_factors: tuple[float, ...] = DEFAULT_SCALE_FACTORS
    extrapolation: str = DEFAULT_EXTRAPOLATION


def parse_zne(scale_factors: Any = None, extrapolation: Any = None) -> ZNESettings:
    """Checked :class:`ZNESettings` (defaults for ``None``); a ``ValueError`` says what to
    change."""
    factors: tuple[float, ...] = DEFAULT_SCALE_FACTORS
    if scale_factors is not None:
        try:
            factors = tuple(float(f) for f in scale_factors)
        except (TypeError, ValueError):
            factors = ()
        if (
            isinstance(scale_factors, (str, bytes))
            or len(factors) < 2
            or factors[0] != 1.0
            or any(not math.isfinite(f) for f in factors)
            or any(b <= a for a, b in zip(factors, factors[1:]))
            or factors[-1] > MAX_SCALE_FACTOR
        ):
            raise ValueError(
                "zne scale_factors must be at least two increasing numbers, the first 1 (the "
                f"unfolded circuit) and none above {MAX_SCALE_FACTOR:g} (e.g. (1, 2, 3) or "
                f"(1, 3, 5)); got {scale_factors!r}."
            )
    method = DEFAULT_EXTRAPOLATION if extrapolation is None else extrapolation
    if not isinstance(method, str) or method.strip().lower() not in EXTRAPOLATIONS:
        raise ValueError(
            f"zne extrapolation must be one of {', '.join(repr(e) for e in EXTRAPOLATIONS)}; got "
            f"{extrapolation!r}."
        )
    return ZNESettings(factors, method.strip().lower())


def extrapolate(scales: Any, values: Any, method: str, *, mixed: float | None = None) -> float:
    """The value at zero noise of ``values`` measured at noise ``scales``.

    ``"linear"``: least-squares line; ``"richardson"``: the interpolating polynomial of degree
    ``len(scales) - 1``; ``"exponential"``: ``mixed + A exp(-c lambda)``, a least-squares line
    through ``log |value - mixed|``, where ``mixed`` is the objective of the maximally mixed
    state (the value noise drives every expectation towards); the extrapolated signal
    ``|value - mixed|`` is at most :data:`MAX_EXPONENTIAL_GAIN` times the first one. Where a
    value lies on the other side of ``mixed`` from the first one, or at it (the signal is lost
    in shot noise), the exponential fit is undefined and the linear one is returned.
    """
    x = np.asarray(scales, dtype=float)
    y = np.asarray(values, dtype=float)
    if method == "exponential":
        if mixed is None:
            raise ValueError("exponential extrapolation needs the maximally mixed state's value.")
        signal = y - mixed
        sign = np.sign(signal[0])
        if sign != 0 and np.all(np.sign(signal) == sign):
            intercept = np.polynomial.polynomial.polyfit(x, np.log(np.abs(signal)), 1)[0]
            magnitude = min(np.exp(intercept), MAX_EXPONENTIAL_GAIN * abs(signal[0]))
            return float(mixed + sign * magnitude)
        method = "linear"
    degree = 1 if method == "linear" else len(x) - 1
    # Fit in the variable lambda - 1 (values near 0), which keeps the fit well conditioned.
    coefficients = np.polynomial.polynomial.polyfit(x - 1.0, y, degree)
    return float(np.polynomial.polynomial.polyval(-1.0, coefficients))


def _inverse_ops(operation: Any, allowed: set[str]) -> list[Any]:
    """Operations whose product is ``operation^dagger`` (up to a global phase), using only gates
    in ``allowed``."""
    from qiskit.circuit.library import RZGate
    from qiskit.circuit.library import SXGate

    inverse = operation.inverse()
    if inverse.name in allowed or inverse.name == operation.name:
        return [inverse]
    if operation.name == "sx" and "rz" in allowed:
        return [RZGate(math.pi), SXGate(), RZGate(math.pi)]
    raise ValueError(
        f"Zero-noise extrapolation cannot fold the gate {operation.name!r}: its inverse "
        f"{inverse.name!r} is not a gate this backend runs ({', '.join(sorted(allowed))}). Use a "
        "pass manager that targets a basis of invertible gates (IBM's cx / ecr / cz, rz, sx, "
        "x), or mitigation=None."
    )


def fold_gates(circuit: Any, scale: float, *, basis: Any = None) -> tuple[Any, float]:
    """``circuit`` with its noise scaled by about ``scale``, and the factor reached.

    Every gate except ``rz`` and non-unitary operations is folded ``G -> G (G^dagger G)^k``;
    ``k`` is ``floor((scale - 1) / 2)`` for all gates plus one for an evenly spaced share of each
    gate type. The factor reached is the number of folded-type gates after folding over their
    number before (``scale`` up to rounding of each type's share). ``basis`` names the gates the
    backend runs (default: those already in ``circuit``).
    """
    allowed = {inst.operation.name for inst in circuit.data}
    if basis is not None:
        allowed |= set(basis)
    positions: dict[str, list[int]] = {}
    for pos, inst in enumerate(circuit.data):
        name = inst.operation.name
        if name not in _NOT_FOLDED and not inst.clbits:
            positions.setdefault(name, []).append(pos)
    base = int(math.floor((scale - 1.0) / 2.0 + 1e-9))
    fraction = (scale - 1.0) / 2.0 - base
    folds: dict[int, int] = {}
    for pos_list in positions.values():
        extra = int(round(fraction * len(pos_list)))
        chosen: set[int] = set()
        if extra > 0:
            # Evenly spaced through the circuit, the same on every call.
            picks = np.floor((np.arange(extra) + 0.5) * len(pos_list) / extra).astype(int)
            chosen = {pos_list[int(i)] for i in picks}
        for p in pos_list:
            folds[p] = base + (1 if p in chosen else 0)
    folded = circuit.copy_empty_like()  # registers, layout, global phase
    before = after = 0
    for pos, inst in enumerate(circuit.data):
        folded.append(inst)
        k = folds.get(pos, 0)
        if pos in folds:
            before += 1
            after += 1 + 2 * k
        if k:
            inverse = _inverse_ops(inst.operation, allowed)
            for _ in range(k):
                for op in inverse:
                    folded.append(op, inst.qubits)
                folded.append(inst)
    return folded, (after / before if before else 1.0)
