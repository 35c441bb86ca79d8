"""Where gate-model circuits run: qiskit-aer simulators (exact, shots, MPS, noisy) or IBM hardware.

Everything qiskit is imported inside functions so that ``import optuna_qnas.solvers`` stays
light. A :class:`CircuitBackend` bundles what a solver needs to run circuits on one target:

* ``"statevector"`` (default): exact probabilities of every basis state from
  ``AerSimulator(method="statevector")`` with ``save_probabilities``; the circuit is built from
  gates Aer executes natively (h, rz, rzz, rx), so there is nothing to transpile and no shot noise.
* ``"shots"``: ``qiskit_aer.primitives.SamplerV2`` on the state-vector method, ``shots`` per
  circuit.
* ``"mps"``: the same sampler on the ``matrix_product_state`` method, for circuits wider than a
  state vector allows.
* ``"noisy"`` / ``"noisy:FakeBrisbane"``: ``AerSimulator.from_backend`` of a qiskit-ibm-runtime
  fake device (its coupling map, basis gates and calibrated noise), circuits transpiled by a
  preset pass manager for that device.
* ``"ibm"`` / ``"ibm:<backend name>"``: qiskit-ibm-runtime's ``SamplerV2`` (the client-side
  ``qiskit_ibm_runtime.executor_sampler.SamplerV2`` where installed) on an IBM Quantum backend;
  needs a saved ``QiskitRuntimeService`` account or the ``QISKIT_IBM_TOKEN`` environment variable.
* a ``BackendV2`` object (a real ``IBMBackend`` or a fake device): the same runtime ``SamplerV2``
  path as ``"ibm"`` (a fake device runs it locally on Aer, which is how the hardware path is
  tested).
* a ``BaseSamplerV2`` object: used as is, with the ``pass_manager`` you pass (if any).

Two options apply to some kinds only, and are checked when the backend is resolved:

* ``device="GPU"`` runs the Aer simulators (``"statevector"``, ``"shots"``, ``"noisy"``) on an
  NVIDIA GPU; it needs the CUDA build of Aer (``pip install qiskit-aer-gpu``). Aer's
  matrix-product-state method, IBM hardware, fake devices on the runtime path and your own
  sampler run where they run.
* ``mitigation="mthree"`` corrects readout errors of sampled counts (``_qiskit_mitigation``) on the
  simulated noisy backends (``"noisy"``, a fake ``BackendV2``).
* ``mitigation="zne"`` extrapolates the objective to zero noise from gate-folded circuits
  (``_qiskit_zne``) on every backend that samples with noise: ``"noisy"``, IBM hardware, a
  ``BackendV2`` and a sampler you pass; ``"mthree+zne"`` does both where mthree applies.
"""

from __future__ import annotations

import os
import pickle
from typing import Any


DEFAULT_NOISY_DEVICE = "FakeManilaV2"
_KINDS = ("statevector", "shots", "mps", "noisy", "ibm")
#: Where the Aer simulators run (``device=``); "GPU" needs the CUDA build of qiskit-aer.
AER_DEVICES = ("CPU", "GPU")
_GPU_KINDS = ("statevector", "shots", "noisy")

# Widest circuit each kind accepts by default (see docs/qiskit.md, "max_qubits"). Measured on the
# project's 2-core CPU box: one exact state-vector evaluation of a dense QAOA circuit (reps=2)
# takes 8 ms at 10 qubits, 40 ms at 14, 85 ms at 16, 350 ms at 18 and 1.6 s at 20 qubits (the
# many RZZ gates of a dense QUBO, not memory, set the cost); measured again single-threaded with
# Aer's per-run overhead included: 3 ms at 10 qubits, 6 ms at 12, 17 ms at 14. 10 keeps a
# warm-started solve (about 12 evaluations) near 0.05 s: a NAS-Bench-201 proposal (30 one-hot
# bits, decomposed) took 0.21 CPU s on average over 100 trials at 10 qubits against 0.33 s at 12
# (seed 0). Raise it for bigger single circuits.
# Matrix-product states do not help dense QUBOs: every pair of qubits is coupled, the bond
# dimension grows with each RZZ layer, and one evaluation took 0.36 s at 10 qubits and over 7 s at
# 14 here; MPS pays off only for sparse, chain-like couplings, so its default stays small.
DEFAULT_MAX_QUBITS = {
    "statevector": 10,
    "shots": 10,
    "mps": 10,
    "noisy": 8,
    "ibm": 24,
    "custom": 14,
}


class CircuitBackend:
    """One execution target.

    The target is described by a few plain values (kind, device, shots, seeds); the qiskit objects
    that run circuits (Aer simulators and samplers, the runtime sampler, the preset pass manager)
    are built on first use and never pickled, so a solver, and a sampler holding one, can be
    pickled before or after use and resumes with the same objects rebuilt. A preset pass manager
    holds lambdas (it cannot be pickled at all), and a noisy simulator's noise model is large
    (measured: 6.4 MB and 3 s to pickle for FakeBrisbane, 3.2 s to rebuild from the device).

    Attributes:
        kind:
            ``"statevector"``, ``"shots"``, ``"mps"``, ``"noisy"``, ``"ibm"`` or ``"custom"``.
        name:
            A readable name for ``SolverResult.info`` (never a credential).
        num_device_qubits:
            The device's qubit count where there is a device, else ``None``.
        shots:
            Shots per circuit for the sampling kinds.
        mitigation:
            ``None``, ``"mthree"`` (readout-error mitigation of sampled counts), ``"zne"``
            (zero-noise extrapolation of the objective) or ``"mthree+zne"``.
        zne:
            The :class:`~optuna_qnas.solvers._qiskit_zne.ZNESettings` with ``"zne"`` /
            ``"mthree+zne"``, else ``None``.
        aer_device:
            ``"CPU"`` or ``"GPU"``: where the Aer simulators run.
    """

    def __init__(
        self,
        kind: str,
        name: str,
        *,
        shots: int = 1024,
        seed: int | None = None,
        device: Any = None,
        device_name: str | None = None,
        optimization_level: int = 1,
        sampler: Any = None,
        pass_manager: Any = None,
        mitigation: str | None = None,
        zne: Any = None,
        aer_device: str = "CPU",
    ) -> None:
        self.kind = kind
        self.name = name
        self.shots = shots
        self.seed = seed
        self.optimization_level = optimization_level
        self.mitigation = mitigation
        self.zne = zne
        self.aer_device = aer_device
        self.num_device_qubits = None if device is None else int(device.num_qubits)
        # A fake device named by a string ("noisy:FakeBrisbane") is pickled as its name; a real
        # IBM backend is pickled as its name and reconnected on first use after unpickling (its
        # service holds the account's credentials, which must not land in a pickle); a fake
        # BackendV2 object passed by the user is pickled as it is.
        self._device_name = device_name
        self._device = device
        self._user_sampler = sampler
        self._user_pass_manager = pass_manager
        self._cache: dict[str, Any] = {}

    # -- pickling ------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cache"] = {}
        if self._device_name is not None:
            state["_device"] = None
        if self.kind == "custom":
            hint = (
                "Pass backend='noisy:<FakeDevice>' or a BackendV2 instead (their pass managers "
                "are rebuilt after unpickling), or re-create the sampler instead of pickling it."
            )
            check_picklable("sampler", self._user_sampler, hint)
            check_picklable("pass_manager", self._user_pass_manager, hint)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # -- the qiskit objects, built on first use ---------------------------------------------------

    @property
    def exact(self) -> bool:
        return self.kind == "statevector"

    @property
    def device(self) -> Any:
        """The ``BackendV2`` behind the ``"noisy"`` and ``"ibm"`` kinds (``None`` for the
        others)."""
        if self._device is None and self._device_name is not None:
            if self.kind == "noisy":
                self._device = fake_device(self._device_name)
            else:
                self._device = _connect_ibm(self._device_name)
        return self._device

    @property
    def simulator(self) -> Any:
        """The exact kind's ``AerSimulator`` (``None`` for the other kinds)."""
        if self.kind != "statevector":
            return None
        if "simulator" not in self._cache:
            from qiskit_aer import AerSimulator

            self._cache["simulator"] = AerSimulator(
                method="statevector", seed_simulator=self.seed, device=self._aer_device()
            )
        return self._cache["simulator"]

    @property
    def mitigator(self) -> Any:
        """The :class:`~optuna_qnas.solvers._qiskit_mitigation.ReadoutMitigator` that corrects
        sampled counts (``None`` unless ``mitigation`` includes ``"mthree"``); built on first use,
        never pickled."""
        if not self.readout_mitigation:
            return None
        if "mitigator" not in self._cache:
            from optuna_qnas.solvers._qiskit_mitigation import ReadoutMitigator

            self._cache["mitigator"] = ReadoutMitigator(self.device)
        return self._cache["mitigator"]

    @property
    def readout_mitigation(self) -> bool:
        """Whether sampled counts are readout-mitigated (``"mthree"``, ``"mthree+zne"``)."""
        return self.mitigation is not None and "mthree" in self.mitigation

    def _aer_device(self) -> str:
        # Checked again on use: a backend pickled on a GPU machine may be unpickled on another.
        if self.aer_device == "GPU":
            check_gpu_available()
        return self.aer_device

    @property
    def sampler(self) -> Any:
        """A ``BaseSamplerV2`` for the sampling kinds (``None`` for the exact kind)."""
        if self.kind == "custom":
            return self._user_sampler
        if self.kind == "statevector":
            return None
        if "sampler" not in self._cache:
            self._cache["sampler"] = self._build_sampler(self.seed)
        return self._cache["sampler"]

    @property
    def pass_manager(self) -> Any:
        """Transpiles circuits for ``sampler`` (``None`` when the sampler takes Aer's native
        gates)."""
        if self.kind == "custom":
            return self._user_pass_manager
        if self.kind not in ("noisy", "ibm"):
            return None
        if "pass_manager" not in self._cache:
            self._cache["pass_manager"] = self._build_pass_manager(self.seed)
        return self._cache["pass_manager"]

    def _noisy_simulator(self) -> Any:
        if "noisy_simulator" not in self._cache:
            from qiskit_aer import AerSimulator

            self._cache["noisy_simulator"] = AerSimulator.from_backend(
                self.device, seed_simulator=self.seed, device=self._aer_device()
            )
        return self._cache["noisy_simulator"]

    def _build_sampler(self, seed: int | None) -> Any:
        if self.kind in ("shots", "mps"):
            from qiskit_aer.primitives import SamplerV2

            method = "statevector" if self.kind == "shots" else "matrix_product_state"
            return SamplerV2(
                default_shots=self.shots,
                seed=None if seed is None else int(seed),
                options={"backend_options": {"method": method, "device": self._aer_device()}},
            )
        if self.kind == "noisy":
            from qiskit_aer.primitives import SamplerV2

            return SamplerV2.from_backend(
                self._noisy_simulator(),
                default_shots=self.shots,
                seed=None if seed is None else int(seed),
            )
        # kind == "ibm": qiskit-ibm-runtime's SamplerV2 in job mode on the device (local Aer for
        # a fake device).
        try:
            # qiskit-ibm-runtime >= 0.50 deprecates the server-side SamplerV2 for this client-side
            # one (same constructor, options and results).
            from qiskit_ibm_runtime.executor_sampler import SamplerV2 as RuntimeSamplerV2
        except ImportError:  # pragma: no cover - older qiskit-ibm-runtime
            from qiskit_ibm_runtime import SamplerV2 as RuntimeSamplerV2

        device = self.device
        sampler = RuntimeSamplerV2(mode=device)
        sampler.options.default_shots = self.shots
        if seed is not None and _is_fake(device):
            # Local testing mode runs Aer; seed it for reproducible tests.
            sampler.options.simulator.seed_simulator = int(seed)
        return sampler

    def _build_pass_manager(self, seed: int | None) -> Any:
        from qiskit.transpiler import generate_preset_pass_manager

        return generate_preset_pass_manager(
            optimization_level=self.optimization_level,
            backend=self.device,
            seed_transpiler=None if seed is None else int(seed),
        )

    # -- per-solve objects ---------------------------------------------------------------------

    def _seeds_per_solve(self, seed: int | None) -> bool:
        """Whether a solve's seed makes its own sampler and transpiler: for every simulated
        sampling kind (a real IBM device cannot be seeded)."""
        if seed is None:
            return False
        if self.kind in ("shots", "mps", "noisy"):
            return True
        return self.kind == "ibm" and _is_fake(self.device)

    def sampler_for(self, seed: int | None) -> Any:
        """The sampler to use for one solve: simulated samplers are re-created with the solve's
        seed so that a seeded solve is reproducible; other samplers are used as given."""
        if not self._seeds_per_solve(seed):
            return self.sampler
        return self._build_sampler(seed)

    def pass_manager_for(self, seed: int | None) -> Any:
        """The pass manager for one solve: seeded with the solve's seed where the sampler is, so
        that the layout (and so the noise a circuit meets) is reproducible too."""
        if self.kind in ("noisy", "ibm") and self._seeds_per_solve(seed):
            return self._build_pass_manager(seed)
        return self.pass_manager

    def qiskit_optimization_sampler(self, seed: int | None) -> tuple[Any, Any]:
        """A ``(SamplerV2, pass_manager)`` pair for qiskit-optimization's algorithms.

        qiskit-optimization's QAOA / SamplingVQE / GroverOptimizer take a sampler primitive; for
        the exact kind this is Aer's ``SamplerV2`` on the state-vector method with ``shots`` shots.
        """
        if self.kind != "statevector":
            return self.sampler_for(seed), self.pass_manager_for(seed)
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_aer import AerSimulator
        from qiskit_aer.primitives import SamplerV2

        sampler = SamplerV2(
            default_shots=self.shots,
            seed=seed,
            options={"backend_options": {"method": "statevector", "device": self._aer_device()}},
        )
        if "statevector_pass_manager" not in self._cache:
            # Built once per backend (0.2 CPU s each, a tenth of a small Grover solve); it holds
            # no seed, so every solve can share it.
            self._cache["statevector_pass_manager"] = generate_preset_pass_manager(
                optimization_level=1, backend=AerSimulator(method="statevector")
            )
        return sampler, self._cache["statevector_pass_manager"]


def check_picklable(what: str, obj: Any, hint: str) -> None:
    """A clear one-line error for a user-supplied object that cannot be pickled."""
    if obj is None:
        return
    try:
        pickle.dumps(obj)
    except Exception as exc:
        raise TypeError(
            f"This solver cannot be pickled: the {what} you passed ({type(obj).__name__}) cannot "
            f"be pickled ({type(exc).__name__}: {exc}). {hint}"
        ) from None


def _validate_shots(shots: Any) -> int:
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise ValueError(f"shots must be a positive integer (e.g. 1024); got {shots!r}.")
    return int(shots)


def gpu_available() -> bool:
    """Whether this qiskit-aer can simulate on a GPU (``"GPU"`` in ``available_devices()``)."""
    from qiskit_aer import AerSimulator

    return "GPU" in AerSimulator().available_devices()


def check_gpu_available() -> None:
    """A ``ValueError`` that says how to get a GPU simulator, unless this Aer has one."""
    if gpu_available():
        return
    from qiskit_aer import AerSimulator

    devices = ", ".join(AerSimulator().available_devices())
    raise ValueError(
        "device='GPU' needs a GPU build of qiskit-aer and an NVIDIA CUDA GPU, but this qiskit-aer "
        f"offers only {devices}. Install the CUDA build with `pip uninstall qiskit-aer && pip "
        "install qiskit-aer-gpu` (Linux x86_64) on a machine with a CUDA GPU and its driver, or "
        "use device='CPU'."
    )


def _validate_device(device: Any) -> str:
    if not isinstance(device, str) or device.strip().upper() not in AER_DEVICES:
        raise ValueError(
            f"device must be one of {', '.join(repr(d) for d in AER_DEVICES)} (where the Aer "
            f"simulators run); got {device!r}."
        )
    return device.strip().upper()


_IBM_MITIGATION = (
    "mitigation='mthree' is only available on simulated noisy backends here "
    "(backend='noisy:<FakeDevice>' or a fake BackendV2). On IBM hardware use mitigation='zne' "
    "(zero-noise extrapolation, which only changes the circuits sent), or the runtime's own "
    "error suppression: its SamplerV2 takes no resilience level (measurement mitigation, "
    "TREX, is an EstimatorV2 option) but offers measurement and gate twirling (options.twirling) "
    "and dynamical decoupling (options.dynamical_decoupling); configure one and pass it as "
    "primitive=."
)


def _check_options(backend: CircuitBackend) -> CircuitBackend:
    """Refuse ``device="GPU"`` and ``mitigation`` where they do not apply, before any solve."""
    if backend.aer_device == "GPU":
        if backend.kind not in _GPU_KINDS:
            where = {
                "mps": "Aer's matrix-product-state method runs on the CPU only",
                "ibm": (
                    "IBM hardware and fake devices on the runtime path choose their own "
                    "execution (use backend='noisy:<FakeDevice>' to simulate a device on a GPU)"
                ),
                "custom": "a sampler you pass runs where you configured it",
            }[backend.kind]
            raise ValueError(
                f"device='GPU' applies to the Aer simulators ({', '.join(_GPU_KINDS)}); {where}. "
                "Use device='CPU' with this backend."
            )
        check_gpu_available()
    if backend.kind in ("statevector", "shots", "mps") and backend.mitigation is not None:
        what = {
            "mthree": "corrects readout errors",
            "zne": "extrapolates away gate noise",
            "mthree+zne": "corrects readout errors and gate noise",
        }[backend.mitigation]
        cost = (
            "computes exact probabilities"
            if backend.exact
            else "samples without noise, so mitigation could only add noise of its own"
        )
        raise ValueError(
            f"mitigation={backend.mitigation!r} {what}, which only noisy backends have; the "
            f"{backend.kind!r} backend {cost}. Use "
            "backend='noisy' / 'noisy:<FakeDevice>' or a BackendV2, or mitigation=None."
        )
    if backend.readout_mitigation:
        if backend.kind == "ibm" and not _is_fake(backend.device):
            raise ValueError(_IBM_MITIGATION)
        if backend.kind == "custom":
            raise ValueError(
                f"mitigation={backend.mitigation!r}: mthree's readout calibration applies to the "
                "noisy backends this package builds (backend='noisy:<FakeDevice>' or a fake "
                "BackendV2); a sampler you pass is used as it is. Mitigate readout inside your "
                "primitive, or use mitigation='zne' (which only changes the circuits sent) or "
                "None."
            )
    return backend


def fake_device(name: str) -> Any:
    """A qiskit-ibm-runtime fake device by class name (``"FakeManilaV2"``, ``"FakeBrisbane"``
    ...)."""
    from qiskit_ibm_runtime import fake_provider

    cls = getattr(fake_provider, name, None)
    if cls is None or not name.startswith("Fake"):
        available = sorted(
            n for n in dir(fake_provider) if n.startswith("Fake") and not n.endswith("Provider")
        )
        raise ValueError(
            f"Unknown fake device {name!r}. Use one of qiskit_ibm_runtime.fake_provider's "
            f"devices, e.g. {', '.join(available[:6])} ... (backend='noisy:FakeBrisbane')."
        )
    return cls()


def ibm_credentials_configured() -> bool:
    """True if ``QISKIT_IBM_TOKEN`` is set or a ``QiskitRuntimeService`` account is saved on
    disk."""
    if os.environ.get("QISKIT_IBM_TOKEN"):
        return True
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        return bool(QiskitRuntimeService.saved_accounts())
    except Exception:
        return False


def resolve_backend(
    backend: Any = "statevector",
    *,
    shots: int = 1024,
    seed: int | None = None,
    sampler: Any = None,
    pass_manager: Any = None,
    optimization_level: int = 1,
    mitigation: str | None = None,
    device: str = "CPU",
) -> CircuitBackend:
    """Build the :class:`CircuitBackend` that ``backend`` names (see the module docstring).

    ``device="GPU"`` and ``mitigation`` are refused with a ``ValueError`` on backends they do not
    apply to, and ``device="GPU"`` also where this qiskit-aer has no GPU.
    """
    from optuna_qnas.solvers._qiskit_mitigation import validate_mitigation

    shots = _validate_shots(shots)
    method, zne = validate_mitigation(mitigation)
    options = {"mitigation": method, "zne": zne, "aer_device": _validate_device(device)}
    if (
        method is not None
        and "mthree" in method
        and sampler is None
        and isinstance(backend, str)
        and backend.partition(":")[0].strip().lower() == "ibm"
    ):
        raise ValueError(_IBM_MITIGATION)  # before connecting to IBM Quantum
    return _check_options(
        _resolve(backend, shots, seed, sampler, pass_manager, optimization_level, options)
    )


def _resolve(
    backend: Any,
    shots: int,
    seed: int | None,
    sampler: Any,
    pass_manager: Any,
    optimization_level: int,
    options: dict[str, Any],
) -> CircuitBackend:
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0, 1, 2 or 3; got {optimization_level!r}.")
    if sampler is not None:
        from qiskit.primitives import BaseSamplerV2

        if not isinstance(sampler, BaseSamplerV2):
            raise ValueError(
                "sampler must be a qiskit BaseSamplerV2 primitive "
                "(qiskit_aer.primitives.SamplerV2, qiskit_ibm_runtime.SamplerV2 ...); got "
                f"{type(sampler).__name__}."
            )
        return CircuitBackend(
            "custom",
            type(sampler).__name__,
            sampler=sampler,
            pass_manager=pass_manager,
            shots=shots,
            **options,
        )
    if not isinstance(backend, str):
        from qiskit.providers import BackendV2

        if isinstance(backend, BackendV2):
            return CircuitBackend(
                "ibm",
                f"ibm_runtime_{backend.name}",
                shots=shots,
                seed=seed,
                device=backend,
                # A real IBM backend is reconnected by name after unpickling; a fake one travels.
                device_name=None if _is_fake(backend) else backend.name,
                optimization_level=optimization_level,
                **options,
            )
        raise ValueError(
            f"backend must be one of {', '.join(_KINDS)} (optionally 'noisy:<FakeDevice>' or "
            f"'ibm:<backend name>'), a qiskit BackendV2, or pass sampler=<BaseSamplerV2>; got "
            f"{type(backend).__name__}."
        )
    kind, _, detail = backend.partition(":")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        raise ValueError(
            f"Unknown backend {backend!r}. Use one of {', '.join(_KINDS)} (optionally "
            "'noisy:<FakeDevice>' or 'ibm:<backend name>'), a qiskit BackendV2, or pass "
            "sampler=<BaseSamplerV2>."
        )
    if kind == "statevector":
        return CircuitBackend(
            "statevector", "aer_statevector_exact", shots=shots, seed=seed, **options
        )
    if kind in ("shots", "mps"):
        # Aer executes h / rz / rzz / rx / measure natively: no pass manager is needed.
        method = "statevector" if kind == "shots" else "matrix_product_state"
        return CircuitBackend(kind, f"aer_{method}_shots", shots=shots, seed=seed, **options)
    if kind == "noisy":
        device_name = detail.strip() or DEFAULT_NOISY_DEVICE
        device = fake_device(device_name)
        return CircuitBackend(
            "noisy",
            f"aer_noisy_{device.name}",
            shots=shots,
            seed=seed,
            device=device,
            device_name=device_name,
            optimization_level=optimization_level,
            **options,
        )
    # kind == "ibm"
    if not ibm_credentials_configured():
        raise ValueError(
            "backend='ibm' needs IBM Quantum credentials: set the QISKIT_IBM_TOKEN environment "
            "variable (and QISKIT_IBM_INSTANCE if you have several instances) or save an account "
            "once with qiskit_ibm_runtime.QiskitRuntimeService.save_account(token=..., "
            "set_as_default=True). To run locally use backend='statevector', 'shots', 'mps' or "
            "'noisy:FakeBrisbane'."
        )
    device = _connect_ibm(detail.strip() or None)
    return CircuitBackend(
        "ibm",
        f"ibm_runtime_{device.name}",
        shots=shots,
        seed=seed,
        device=device,
        device_name=device.name,
        optimization_level=optimization_level,
        **options,
    )


def _connect_ibm(name: str | None) -> Any:
    """Open the IBM Quantum service and pick a backend; any failure is one error without its
    text."""
    try:
        from qiskit_ibm_runtime import QiskitRuntimeService

        service = QiskitRuntimeService()  # reads QISKIT_IBM_TOKEN or the saved default account
        return (
            service.backend(name)
            if name
            else service.least_busy(operational=True, simulator=False)
        )
    except Exception as exc:
        # Never include the exception text: some client errors echo the request, token included.
        raise RuntimeError(
            f"Could not open IBM Quantum backend {name or '(least busy)'} ({type(exc).__name__}). "
            "Check QISKIT_IBM_TOKEN / QiskitRuntimeService.saved_accounts(), the backend name and "
            "your network, or use backend='noisy:FakeBrisbane' to simulate locally."
        ) from None


def _is_fake(device: Any) -> bool:
    try:
        from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

        return isinstance(device, FakeBackendV2)
    except ImportError:  # pragma: no cover
        return False
