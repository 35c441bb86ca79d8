"""Readout-error mitigation of sampled counts with mthree (M3, Nation et al., PRX Quantum 2021).

A noisy backend misreads each measured qubit with a few per cent probability, which spreads the
sampled distribution over neighbouring bitstrings. M3 calibrates the readout of the measured
physical qubits (one circuit preparing |0> and one preparing |1> per qubit), solves the
calibration matrix restricted to the bitstrings that were actually observed, and returns a
quasi-probability distribution; its nearest probability distribution (Smolin et al., PRL 108,
070502, 2012: the closest distribution in the L2 norm, negative entries clipped and the rest
renormalised) is what the solvers use in place of the raw frequencies: for the objective the
optimiser sees and for the final choice of the most probable bitstrings.

Only simulated noisy backends are calibrated here: ``"noisy"`` / ``"noisy:<FakeDevice>"`` and a
fake ``BackendV2`` on the runtime path. The calibration runs on
``AerSimulator.from_backend(device)``, the same readout-error model the circuits meet, with a fixed
seed (:data:`CALIBRATION_SEED`), so that every process builds the same calibration for the same
device and qubits and a seeded solve is reproducible, whatever was solved before it.

A :class:`ReadoutMitigator` keeps one calibration per set of measured physical qubits (the layout
of a transpiled circuit decides which qubits those are), built on first use and reused for every
later solve on the same qubits; the backend that owns it drops it when pickled, so it is rebuilt
after unpickling.

mthree and qiskit-aer are imported lazily (both come with ``pip install optuna-qnas[qiskit]``).
"""

from __future__ import annotations

from typing import Any
from typing import TYPE_CHECKING

import numpy as np


if TYPE_CHECKING:
    from optuna_qnas.solvers._qiskit_zne import ZNESettings


#: The mitigation methods a solver accepts (``mitigation=``), besides ``None``: readout-error
#: mitigation (``"mthree"``), zero-noise extrapolation (``"zne"``, ``_qiskit_zne``), or both.
MITIGATIONS = ("mthree", "zne", "mthree+zne")
#: Shots per calibration circuit: mthree's own default for simulators (``min(10_000,
#: max_shots)``); the calibration's statistical error per matrix entry is then about 0.2 %.
CALIBRATION_SHOTS = 10_000
#: Seed of the calibration runs (see the module docstring).
CALIBRATION_SEED = 0


def validate_mitigation(mitigation: Any) -> tuple[str | None, ZNESettings | None]:
    """The method (one of :data:`MITIGATIONS`, or ``None``) and, for ``"zne"`` /
    ``"mthree+zne"``, the checked ZNE settings; a ``ValueError`` for anything else.

    ``mitigation`` is ``None`` or a method name (case-insensitive); a ZNE method may carry its
    settings after colons, in any order: the scale factors as comma-separated numbers and the
    extrapolation by name (``"zne:1,3,5"``, ``"zne:richardson"``, ``"mthree+zne:1,2,3:linear"``).
    """
    from optuna_qnas.solvers._qiskit_zne import parse_zne

    if mitigation is None:
        return None, None
    if isinstance(mitigation, str):
        name, *parts = mitigation.replace(" ", "").lower().split(":")
        name = "mthree+zne" if name == "zne+mthree" else name
        # Settings (ZNE only): at most one list of scale factors and one extrapolation name.
        factors = [p for p in parts if p[:1].isdigit() or p[:1] == "."]
        methods = [p for p in parts if p not in factors]
        if name in MITIGATIONS and "zne" not in name and not parts:
            return name, None
        if name in MITIGATIONS and "zne" in name and len(factors) <= 1 and len(methods) <= 1:
            return name, parse_zne(
                factors[0].split(",") if factors else None, methods[0] if methods else None
            )
    raise ValueError(
        f"mitigation must be None or one of {', '.join(repr(m) for m in MITIGATIONS)} (readout-"
        "error mitigation with mthree, zero-noise extrapolation, or both); a ZNE method may name "
        "its scale factors and extrapolation after colons, e.g. 'zne:1,3,5:richardson'. Got "
        f"{mitigation!r}."
    )


class ReadoutMitigator:
    """M3 readout calibrations of one device, one per set of measured qubits, built on first use.

    Args:
        device:
            The ``BackendV2`` whose noise the circuits meet (a qiskit-ibm-runtime fake device).
        shots:
            Shots per calibration circuit.
        seed:
            Seed of the calibration simulator.

    Attributes:
        calibrations_built:
            How many calibrations this object has run (one per distinct set of measured qubits).
    """

    def __init__(
        self, device: Any, *, shots: int = CALIBRATION_SHOTS, seed: int = CALIBRATION_SEED
    ) -> None:
        self.device = device
        self.shots = int(shots)
        self.seed = int(seed)
        self.calibrations_built = 0
        self._simulator: Any = None
        self._calibrations: dict[tuple[int, ...], Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Calibrations and the noisy simulator are rebuilt on use; they never travel in a pickle.
        state = self.__dict__.copy()
        state["_simulator"] = None
        state["_calibrations"] = {}
        state["calibrations_built"] = 0
        return state

    @staticmethod
    def measured_qubits(circuit: Any) -> tuple[int, ...]:
        """The physical qubit behind each classical bit of a transpiled, measured circuit
        (classical bit ``i`` -> entry ``i``)."""
        # The last measurement into each classical bit, read from the back of the circuit
        # (mthree.utils.final_measurement_mapping does the same through a deprecated qiskit API).
        mapping: dict[int, int] = {}
        for instruction in reversed(circuit.data):
            if instruction.operation.name != "measure":
                continue
            clbit = circuit.find_bit(instruction.clbits[0]).index
            if clbit not in mapping:
                mapping[clbit] = circuit.find_bit(instruction.qubits[0]).index
        if sorted(mapping) != list(range(circuit.num_clbits)):
            raise ValueError(
                "Readout mitigation needs every classical bit to hold a final measurement; this "
                f"circuit measures {len(mapping)} of its {circuit.num_clbits} classical bits."
            )
        return tuple(int(mapping[c]) for c in range(circuit.num_clbits))

    def calibration(self, qubits: tuple[int, ...]) -> Any:
        """The ``mthree.M3Mitigation`` calibrated on ``qubits`` (built once, then cached)."""
        key = tuple(sorted(set(int(q) for q in qubits)))
        cal = self._calibrations.get(key)
        if cal is None:
            import mthree

            if self._simulator is None:
                from qiskit_aer import AerSimulator

                self._simulator = AerSimulator.from_backend(self.device, seed_simulator=self.seed)
            cal = mthree.M3Mitigation(self._simulator)
            # "independent": one |0> and one |1> circuit per qubit, mthree's choice for
            # simulators; Aer's noise models misread each qubit independently, so single-qubit
            # calibrations describe them fully.
            cal.cals_from_system(
                list(key), shots=self.shots, method="independent", async_cal=False
            )
            self._calibrations[key] = cal
            self.calibrations_built += 1
        return cal

    def apply(
        self,
        indices: np.ndarray,  # (m,) observed basis states, bit i = classical bit i
        counts: np.ndarray,  # (m,) how often each was observed
        qubits: tuple[int, ...],  # physical qubit of each classical bit
    ) -> np.ndarray:  # (m,) mitigated probabilities, summing to 1
        """Mitigated probabilities of the observed bitstrings (M3 quasi-probabilities projected
        onto the nearest probability distribution)."""
        width = len(qubits)
        keys = [format(int(i), f"0{width}b") for i in indices]
        raw = {k: int(c) for k, c in zip(keys, counts)}
        quasi = self.calibration(qubits).apply_correction(raw, list(qubits))
        nearest = quasi.nearest_probability_distribution()
        probs = np.array([float(nearest.get(k, 0.0)) for k in keys], dtype=float)
        total = probs.sum()
        if not total > 0:  # pragma: no cover - the projection always keeps some mass
            return np.asarray(counts, dtype=float) / float(np.sum(counts))
        return probs / total
