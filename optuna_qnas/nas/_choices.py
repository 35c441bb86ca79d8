"""Suggesting one choice from a list: a categorical view and an ordinal (integer) view.

Optuna samplers see a search space through its distributions. A categorical distribution is what
TPE and our QUBO samplers (one-hot bits) handle best, but CMA-ES falls back to independent random
sampling on categoricals (measured: no better than random search on NAS-Bench-201). The ordinal
view asks ``suggest_int(name, 0, len(choices) - 1)`` and maps the index back, so CMA-ES can move
through it.
Both views decode to the same values, so one space definition serves every sampler.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from typing import TypeVar


T = TypeVar("T")


def suggest_choice(trial: Any, name: str, choices: Sequence[T], *, ordinal: bool = False) -> T:
    """Suggest one of ``choices``; a single choice is returned without asking the trial.

    Args:
        trial:
            An ``optuna.trial.Trial`` (or ``FixedTrial``).
        name:
            The parameter name.
        choices:
            The values to choose from, in the order the ordinal view uses.
        ordinal:
            ``False``: ``trial.suggest_categorical(name, choices)``. ``True``:
            ``choices[trial.suggest_int(name, 0, len(choices) - 1)]``.

    Returns:
        The chosen value.
    """
    if len(choices) == 0:
        raise ValueError(f"Parameter {name!r} has no choices; give at least one value.")
    if len(choices) == 1:
        return choices[0]
    if ordinal:
        return choices[trial.suggest_int(name, 0, len(choices) - 1)]
    return trial.suggest_categorical(name, list(choices))


def check_choices(
    name: str,
    choices: Sequence[Any],
    *,
    allowed: Sequence[Any] | None = None,
    minimum: float | None = None,
    below: float | None = None,
    integer: bool = False,
) -> tuple[Any, ...]:
    """Validate a tuple of choices and return it as a tuple; raise ``ValueError`` on bad input."""
    if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
        raise ValueError(
            f"{name} must be a sequence of choices, e.g. ({choices!r},); got {choices!r}."
        )
    values = tuple(choices)
    if len(values) == 0:
        raise ValueError(f"{name} must list at least one choice.")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} lists a choice twice: {values!r}; remove the duplicates.")
    for v in values:
        if allowed is not None and v not in allowed:
            raise ValueError(f"{name} contains {v!r}; valid choices are {list(allowed)!r}.")
        if integer and (isinstance(v, bool) or not isinstance(v, int)):
            raise ValueError(f"{name} must contain integers; got {v!r}.")
        if minimum is not None and not v >= minimum:
            raise ValueError(f"{name} must contain values >= {minimum}; got {v!r}.")
        if below is not None and not v < below:
            raise ValueError(f"{name} must contain values < {below}; got {v!r}.")
    return values


def check_int_range(name: str, bounds: Sequence[int], *, minimum: int) -> tuple[int, int]:
    """Validate inclusive integer bounds ``(low, high)`` with ``minimum <= low <= high``."""
    if isinstance(bounds, int) and not isinstance(bounds, bool):
        bounds = (bounds, bounds)
    if len(bounds) != 2 or any(isinstance(b, bool) or not isinstance(b, int) for b in bounds):
        raise ValueError(f"{name} must be a pair of integers (low, high); got {bounds!r}.")
    low, high = int(bounds[0]), int(bounds[1])
    if low < minimum:
        raise ValueError(f"{name} low bound must be >= {minimum}; got {low}.")
    if low > high:
        raise ValueError(
            f"{name} bounds are impossible: low={low} > high={high}; give low <= high."
        )
    return low, high


def suggest_int_range(trial: Any, name: str, low: int, high: int, *, ordinal: bool = False) -> int:
    """Suggest an integer in ``[low, high]``: categorical over the values by default, or
    ``suggest_int(name, low, high)`` in the ordinal view; ``low == high`` asks nothing."""
    if low == high:
        return low
    if ordinal:
        return trial.suggest_int(name, low, high)
    return trial.suggest_categorical(name, list(range(low, high + 1)))
