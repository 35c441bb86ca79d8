"""User objectives (``path.py:function``) for the comparison and CLI tests."""

from __future__ import annotations

import os
import time


def slow_sphere(trial):
    """A 2-D sphere that takes ``QNAS_TEST_SLEEP`` seconds (default 0.15) per evaluation."""
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_int("y", -3, 3)
    time.sleep(float(os.environ.get("QNAS_TEST_SLEEP", "0.15")))
    return x * x + y * y


def flaky(trial):
    """Fails for a third of the configurations, prunes another few."""
    x = trial.suggest_float("x", 0.0, 1.0)
    if x > 0.66:
        raise RuntimeError(f"diverged at x={x:.3f}")
    if x < 0.1:
        import optuna

        raise optuna.TrialPruned()
    return x
