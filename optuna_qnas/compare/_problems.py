"""What a comparison optimises: a registered problem, a user objective or a Problem."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
import importlib
import importlib.util
from typing import Any

from optuna_qnas.problems import get_problem
from optuna_qnas.problems import Problem
from optuna_qnas.problems import problem_names


_DIRECTIONS = ("minimize", "maximize")


def _fixed_objective(seed: int, *, objective: Callable[[Any], float]) -> Callable[[Any], float]:
    return objective


def _imported_objective(seed: int, *, target: str) -> Callable[[Any], float]:
    return import_objective(target)


def import_objective(target: str) -> Callable[[Any], float]:
    """Import ``"module:function"`` (or ``"path/to/file.py:function"``) and return the function.

    Raises:
        ValueError: the module cannot be imported or has no such callable.
    """
    module_name, _, attr = target.rpartition(":")
    if not module_name or not attr:
        raise ValueError(f"A user objective is written module:function, got {target!r}.")
    try:
        if module_name.endswith(".py"):
            spec = importlib.util.spec_from_file_location("_qnas_user_objective", module_name)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {module_name}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except Exception as e:
        raise ValueError(
            f"Cannot import {module_name!r} for objective {target!r}: {type(e).__name__}: {e}"
        ) from None
    function = getattr(module, attr, None)
    if not callable(function):
        raise ValueError(f"{module_name!r} has no callable {attr!r} (objective {target!r}).")
    return function


def resolve_problem(problem_or_objective: Any, *, direction: str | None = None) -> Problem:
    """A :class:`Problem` from a Problem, a registry name, ``"module:function"`` or a callable.

    Args:
        problem_or_objective:
            What to optimise. A user objective (``trial -> float``) defines its search space
            itself; it gets no seed (the seed only seeds the samplers).
        direction:
            ``"minimize"`` or ``"maximize"`` for a user objective (default ``"minimize"``). For a
            registered problem it must be ``None`` or the problem's own direction.
    """
    if direction is not None and direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}.")
    if isinstance(problem_or_objective, Problem):
        problem = problem_or_objective
    elif isinstance(problem_or_objective, str) and problem_or_objective in problem_names():
        problem = get_problem(problem_or_objective)
    elif isinstance(problem_or_objective, str) and ":" in problem_or_objective:
        import_objective(problem_or_objective)  # fail now, with a clear message
        return Problem(
            name=problem_or_objective,
            make_objective=partial(_imported_objective, target=problem_or_objective),
            directions=(direction or "minimize",),
            description=f"user objective {problem_or_objective}",
        )
    elif isinstance(problem_or_objective, str):
        get_problem(problem_or_objective)  # raises the "unknown problem" error
        raise AssertionError("unreachable")
    elif callable(problem_or_objective):
        name = f"{problem_or_objective.__module__}:{problem_or_objective.__qualname__}"
        return Problem(
            name=name,
            make_objective=partial(_fixed_objective, objective=problem_or_objective),
            directions=(direction or "minimize",),
            description=f"user objective {name}",
        )
    else:
        raise ValueError(
            "Pass a Problem, a registered problem name, 'module:function' or a callable "
            f"objective, got {type(problem_or_objective).__name__}."
        )
    if len(problem.directions) != 1:
        raise ValueError(
            f"Problem {problem.name!r} has {len(problem.directions)} objectives; the comparison "
            "tool compares single-objective problems."
        )
    if direction is not None and direction != problem.directions[0]:
        raise ValueError(
            f"Problem {problem.name!r} is to {problem.directions[0]}; drop the direction "
            f"{direction!r}."
        )
    return problem
