"""Side-by-side sampler comparisons on one Optuna storage, with statistics and a report.

scipy, pandas and matplotlib are imported only when statistics, tables or plots are asked for,
so that worker processes start quickly.
"""

from optuna_qnas.compare._problems import import_objective
from optuna_qnas.compare._problems import resolve_problem
from optuna_qnas.compare._result import ComparisonResult
from optuna_qnas.compare._result import load_comparison
from optuna_qnas.compare._result import RunResult
from optuna_qnas.compare._runner import compare_samplers
from optuna_qnas.compare._samplers import DEFAULT_SAMPLERS
from optuna_qnas.compare._samplers import resolve_samplers
from optuna_qnas.compare._samplers import SAMPLERS
from optuna_qnas.compare._samplers import SamplerSpec
from optuna_qnas.compare._storage import make_storage
from optuna_qnas.compare._storage import study_name
from optuna_qnas.compare._timing import SamplerCallError
from optuna_qnas.compare._timing import TimedSampler


__all__ = [
    "ComparisonResult",
    "DEFAULT_SAMPLERS",
    "RunResult",
    "SAMPLERS",
    "SamplerCallError",
    "SamplerSpec",
    "TimedSampler",
    "compare_samplers",
    "import_objective",
    "load_comparison",
    "make_storage",
    "resolve_problem",
    "resolve_samplers",
    "study_name",
]
