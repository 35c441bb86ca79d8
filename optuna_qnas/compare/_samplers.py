"""The samplers a comparison can name, each a ``seed -> sampler`` factory.

Baselines are built with Optuna's defaults and nothing else (never tuned down): TPE is
``TPESampler(seed=seed)``, GP is ``GPSampler(seed=seed)``. The one change is CMA-ES's
``warn_independent_sampling=False``, which only silences the per-parameter warning printed when
it falls back to random sampling on categorical parameters; ``cmaes-int`` runs the same
``CmaEsSampler`` on the problem's integer view, where it does not fall back.

Factories are module-level functions so that they pickle into worker processes and onto Dask
workers. Samplers of this project are imported lazily, when a factory is first called.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
import importlib
from typing import Any

import optuna


SamplerFactory = Callable[[int], optuna.samplers.BaseSampler]

DEFAULT_VIEW = "default"
INTEGER_VIEW = "integer"


@dataclass(frozen=True)
class SamplerSpec:
    """A named sampler of a comparison.

    Args:
        name:
            Name used in study names, tables and plots (``"tpe"``).
        factory:
            ``seed -> sampler``; called once per run (and again when a run is resumed).
        view:
            ``"default"`` or ``"integer"``: which view of the problem's search space the sampler
            searches (the integer view exists for CMA-ES; see ``Problem.make_integer_objective``).
        description:
            One line for ``optuna-qnas compare --list`` and the report.
    """

    name: str
    factory: SamplerFactory
    view: str = DEFAULT_VIEW
    description: str = ""

    def __post_init__(self) -> None:
        if self.view not in (DEFAULT_VIEW, INTEGER_VIEW):
            raise ValueError(f"view must be 'default' or 'integer', got {self.view!r}.")
        if not self.name or any(c in self.name for c in "/,\n"):
            raise ValueError(
                f"Sampler name {self.name!r} must be non-empty without '/', ',' or newlines."
            )


def _project_sampler(class_name: str, seed: int) -> optuna.samplers.BaseSampler:
    try:
        module = importlib.import_module("optuna_qnas")
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as e:
        raise ValueError(
            f"optuna_qnas.{class_name} cannot be imported here ({e}); install the extra it "
            "needs or choose another sampler."
        ) from None
    return cls(seed=seed)


def annealing_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna_qnas.QuantumAnnealingSampler(seed=seed)`` (simulated annealing by default)."""
    return _project_sampler("QuantumAnnealingSampler", seed)


def qaoa_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna_qnas.QAOASampler(seed=seed)`` (QAOA on qiskit-aer)."""
    return _project_sampler("QAOASampler", seed)


def vqe_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna_qnas.VQESampler(seed=seed)`` (a sampling VQE on qiskit-aer)."""
    return _project_sampler("VQESampler", seed)


def grover_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna_qnas.GroverSampler(seed=seed)`` (Grover adaptive search on qiskit-aer)."""
    return _project_sampler("GroverSampler", seed)


def tpe_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna.samplers.TPESampler(seed=seed)`` with Optuna's defaults."""
    return optuna.samplers.TPESampler(seed=seed)


def cmaes_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``CmaEsSampler(seed=seed, warn_independent_sampling=False)``."""
    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def gp_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna.samplers.GPSampler(seed=seed)`` with Optuna's defaults."""
    return optuna.samplers.GPSampler(seed=seed)


def random_sampler(seed: int) -> optuna.samplers.BaseSampler:
    """``optuna.samplers.RandomSampler(seed=seed)``."""
    return optuna.samplers.RandomSampler(seed=seed)


SAMPLERS: dict[str, SamplerSpec] = {
    spec.name: spec
    for spec in [
        SamplerSpec(
            "annealing",
            annealing_sampler,
            description="optuna_qnas.QuantumAnnealingSampler(seed=seed): QUBO surrogate + "
            "simulated annealing",
        ),
        SamplerSpec(
            "qaoa",
            qaoa_sampler,
            description="optuna_qnas.QAOASampler(seed=seed): QUBO surrogate + QAOA on qiskit-aer",
        ),
        SamplerSpec(
            "vqe",
            vqe_sampler,
            description="optuna_qnas.VQESampler(seed=seed): QUBO surrogate + sampling VQE on "
            "qiskit-aer",
        ),
        SamplerSpec(
            "grover",
            grover_sampler,
            description="optuna_qnas.GroverSampler(seed=seed): QUBO surrogate + Grover adaptive "
            "search on qiskit-aer (seconds per proposal)",
        ),
        SamplerSpec(
            "tpe", tpe_sampler, description="optuna TPESampler(seed=seed), Optuna defaults"
        ),
        SamplerSpec(
            "cmaes",
            cmaes_sampler,
            description="optuna CmaEsSampler(seed=seed, warn_independent_sampling=False); "
            "categorical parameters fall back to random sampling",
        ),
        SamplerSpec(
            "cmaes-int",
            cmaes_sampler,
            view=INTEGER_VIEW,
            description="the same CmaEsSampler on the problem's integer view (ops as integers)",
        ),
        SamplerSpec("gp", gp_sampler, description="optuna GPSampler(seed=seed), Optuna defaults"),
        SamplerSpec("random", random_sampler, description="optuna RandomSampler(seed=seed)"),
    ]
}
"""The registry: name -> :class:`SamplerSpec`."""

DEFAULT_SAMPLERS = ("annealing", "tpe", "cmaes", "random")


def resolve_samplers(
    samplers: str | Sequence[str] | Mapping[str, Any] | None,
) -> dict[str, SamplerSpec]:
    """Turn what the user passed into named :class:`SamplerSpec` objects.

    Args:
        samplers:
            ``None`` (the defaults ``annealing, tpe, cmaes, random``), a comma-separated string
            or a sequence of registry names, or a mapping ``name -> factory`` where a factory is
            a ``seed -> sampler`` callable, a :class:`SamplerSpec` or a registry name.

    Raises:
        ValueError: an unknown name (the message lists the valid ones), a duplicate, an empty
            selection or a value that is not a factory.
    """
    if samplers is None:
        samplers = DEFAULT_SAMPLERS
    if isinstance(samplers, str):
        samplers = [s.strip() for s in samplers.split(",") if s.strip()]
    if isinstance(samplers, Mapping):
        items = list(samplers.items())
    else:
        names = list(samplers)
        if len(set(names)) != len(names):
            raise ValueError(f"Sampler names must be unique, got {names}.")
        items = [(n, n) for n in names]
    if not items:
        raise ValueError(f"Name at least one sampler; valid samplers: {', '.join(SAMPLERS)}.")
    specs: dict[str, SamplerSpec] = {}
    for name, value in items:
        if isinstance(value, SamplerSpec):
            spec = (
                value
                if value.name == name
                else SamplerSpec(name, value.factory, value.view, value.description)
            )
        elif isinstance(value, str):
            if value not in SAMPLERS:
                raise ValueError(
                    f"Unknown sampler {value!r}; valid samplers: {', '.join(SAMPLERS)}."
                )
            base = SAMPLERS[value]
            spec = SamplerSpec(name, base.factory, base.view, base.description)
        elif callable(value):
            spec = SamplerSpec(
                name, value, description=getattr(value, "__qualname__", repr(value))
            )
        else:
            raise ValueError(
                f"Sampler {name!r} must map to a `seed -> sampler` callable, a SamplerSpec or a "
                f"registry name, got {type(value).__name__}."
            )
        specs[name] = spec
    return specs
