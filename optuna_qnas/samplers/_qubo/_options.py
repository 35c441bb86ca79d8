"""Checks of the sampler's constructor arguments, with errors that say what to change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from optuna_qnas._qubo._surrogate import missing_surrogate_methods


_REMOVED_SURROGATES = ("bore", "fm")


def check_surrogate(surrogate: Any) -> Callable[[np.ndarray], Any] | None:
    """``None`` for the default regression, else the factory, checked against the protocol.

    A class is checked without being instantiated; any other callable is called once on the
    pair mask of a two-bit space and the model it returns is checked.
    """
    if surrogate is None or surrogate == "blr":
        return None
    if isinstance(surrogate, str):
        removed = (
            f" surrogate={surrogate!r} was removed in optuna-qnas 0.2 (it was no better than "
            "the default on any benchmark)."
            if surrogate in _REMOVED_SURROGATES
            else ""
        )
        raise ValueError(
            f"Unknown surrogate {surrogate!r}.{removed} Leave surrogate out for the default "
            "Bayesian quadratic regression, or pass a callable pair_mask -> model that follows "
            "optuna_qnas.Surrogate."
        )
    if not callable(surrogate):
        raise ValueError(
            "surrogate must be None or a callable pair_mask -> model following "
            f"optuna_qnas.Surrogate; got {surrogate!r}."
        )
    if isinstance(surrogate, type):
        probe: Any = surrogate
    else:
        mask = np.array([[False, True], [False, False]])
        try:
            probe = surrogate(mask)
        except Exception as e:
            raise ValueError(
                "surrogate(pair_mask) failed on the pair mask of a two-bit space "
                f"({type(e).__name__}: {e}); it must return a model following "
                "optuna_qnas.Surrogate."
            ) from e
    missing = missing_surrogate_methods(probe)
    if missing:
        raise ValueError(
            f"The surrogate's models lack {', '.join(missing)}: a surrogate needs fit(X, y, rng), "
            "mean_qubo(), sample_qubo(rng) and predict(X) -> (mean, std) (optuna_qnas.Surrogate)."
        )
    return surrogate


def resolve_solver(solver: Any, num_reads: int | None, *, what: str = "solver") -> Any:
    """A solver object from a preset name, a dimod sampler, or a ``solve`` object (``None``:
    simulated annealing); ``what`` names the argument in the error for anything else."""
    from optuna_qnas.solvers._dimod import as_solver

    return as_solver("simulated_annealing" if solver is None else solver, num_reads, what=what)
