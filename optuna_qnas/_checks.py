"""Argument checks shared by the samplers and solvers, with messages that say what to change."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_int(name: str, value: Any, minimum: int = 1, hint: str = "") -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}{hint}; got {value!r}.")
    return int(value)
