"""The real Lightning NAS tasks run through the comparison tool (real training: slow)."""

from __future__ import annotations

import numpy as np
import pytest

from optuna_qnas.compare import compare_samplers
from optuna_qnas.problems import get_problem
from optuna_qnas.problems import list_problems


pytestmark = pytest.mark.slow


def test_digits_quick_in_a_comparison():
    pytest.importorskip("lightning")
    infos = {i.name: i for i in list_problems()}
    assert infos["digits-quick"].available, infos["digits-quick"].reason
    problem = get_problem("digits-quick")
    assert problem.directions == ("maximize",) and problem.make_integer_objective is not None
    result = compare_samplers("digits-quick", "random,cmaes-int", n_trials=2, seeds=[0])
    for run in result.runs:
        assert len(run.values) == 2 and run.n_failed == 0
        assert np.all((run.values > 0.0) & (run.values <= 1.0))  # validation accuracy
