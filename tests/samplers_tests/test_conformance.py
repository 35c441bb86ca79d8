"""Optuna's own sampler test cases (optuna.testing.pytest_samplers), for every shipped
configuration of the annealing sampler."""

from __future__ import annotations

from optuna.testing.pytest_samplers import BasicSamplerTestCase
from optuna.testing.pytest_samplers import MultiObjectiveSamplerTestCase
from optuna.testing.pytest_samplers import RelativeSamplerTestCase
import pytest

from optuna_qnas import QuantumAnnealingSampler


# Few reads keep the suite fast; the code path is the same as with the defaults.
# The default configuration runs every case; the other shipped configurations (tabu search,
# the compact binary code) run the cases that exercise the relative (model-based) path, which
# is the only code that differs between them.
_VARIANTS = {
    "tabu": dict(num_reads=4, solver="tabu"),
    "binary": dict(num_reads=16, encoding="binary"),
}


class _Default:
    @pytest.fixture
    def sampler(self):  # type: ignore[no-untyped-def]
        return lambda: QuantumAnnealingSampler(seed=0, n_startup_trials=3, num_reads=16)


class _Variants:
    @pytest.fixture(params=sorted(_VARIANTS))
    def sampler(self, request):  # type: ignore[no-untyped-def]
        kwargs = _VARIANTS[request.param]
        return lambda: QuantumAnnealingSampler(seed=0, n_startup_trials=3, **kwargs)


class TestBasic(_Default, BasicSamplerTestCase):
    pass


class TestRelative(_Default, RelativeSamplerTestCase):
    pass


class TestMultiObjective(_Default, MultiObjectiveSamplerTestCase):
    pass


class TestRelativeVariants(_Variants, RelativeSamplerTestCase):
    pass
