"""Real-data NAS tasks trained with a real Lightning ``Trainer``, all offline.

- Digits (scikit-learn's bundled 8x8 handwritten digits, 1,797 images): the NAS-Bench-201-style
  cell CNN, an MLP, or a 12-layer macro CNN with its learning rate and weight decay (182 bits).
- UCR/UEA time-series classification from the datasets bundled inside aeon
  (``ItalyPowerDemand``, ``GunPoint``, ``BasicMotions``, ...): a 1-D CNN / TCN.
- Text: word-level sentiment from the human-rated lexicon bundled in ``vaderSentiment``
  (no PyPI package bundles SST or PTB), as one-hot characters: the same 1-D CNN / TCN.

Each ``make_*_objective`` returns a define-by-run objective ``trial -> validation accuracy``
(maximise) that suggests an architecture, trains it on CPU with the pruning and model-cost
callbacks attached, and records the costs as trial user attributes. The same loaders take
user-supplied arrays (``data=(X_train, y_train, X_val, y_val)``), e.g. CIFAR-10 as
``(N, 3, 32, 32)`` uint8 images, or a full UCR archive through ``extract_path``.

torch and Lightning are imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np

from optuna_qnas.problems._lightning_data import bundled_ucr_datasets
from optuna_qnas.problems._lightning_data import load_digits_arrays
from optuna_qnas.problems._lightning_data import load_ucr_arrays
from optuna_qnas.problems._lightning_data import load_vader_lexicon_arrays
from optuna_qnas.problems._lightning_data import subsample
from optuna_qnas.problems._lightning_training import make_array_objective
from optuna_qnas.problems._lightning_training import TRAIN_TIME_ATTR


__all__ = [
    "DIRECTION",
    "bundled_ucr_datasets",
    "format_summary_table",
    "make_array_objective",
    "make_digits_macro_objective",
    "make_digits_objective",
    "make_text_objective",
    "make_ucr_objective",
    "study_summary",
]

#: Every task objective returns a validation accuracy.
DIRECTION = "maximize"


def make_digits_objective(
    seed: int,
    *,
    quick: bool = False,
    model: str = "cell",
    space: Any = None,
    ordinal: bool = False,
    data: Sequence[Any] | None = None,
    max_epochs: int | None = None,
    **kwargs: Any,
) -> Callable[[Any], float | tuple[float, ...]]:
    """NAS on scikit-learn's 8x8 digits (or user images): ``trial -> validation accuracy``.

    Args:
        seed:
            Fixes the train/val split, the weights and the data order.
        quick:
            500 training / 300 validation images, 3 epochs, 8-channel cells: one to two
            seconds per trial on a CPU core. Otherwise the full split (1,347 / 450) and 15 epochs.
        model:
            ``"cell"`` (NAS-Bench-201-style cell CNN, :class:`~optuna_qnas.nas.CellCNNSpace`)
            or ``"mlp"`` (:class:`~optuna_qnas.nas.MLPSpace`).
        space:
            A custom search space (overrides ``model``).
        ordinal:
            Integer view of the space (for CMA-ES).
        data:
            ``(X_train, y_train, X_val, y_val)`` to use instead of digits, e.g. CIFAR-10 as
            ``(N, 3, 32, 32)`` arrays.
        max_epochs:
            Overrides the epochs of the mode.
        kwargs:
            Passed to :func:`make_array_objective` (``budgets``, ``extra_objectives``,
            ``cost_device``, ``trainer_kwargs``, ``on_error``, ...).
    """
    from optuna_qnas.nas import CellCNNSpace
    from optuna_qnas.nas import MLPSpace

    if space is None:
        if model == "cell":
            space = CellCNNSpace(channels=(8,) if quick else (8, 16), ordinal=ordinal)
        elif model == "mlp":
            space = MLPSpace(ordinal=ordinal)
        else:
            raise ValueError(f"model must be 'cell' or 'mlp'; got {model!r}.")
    if data is None:
        X_tr, y_tr, X_va, y_va = load_digits_arrays(seed)
        if quick:
            X_tr, y_tr = subsample(X_tr, y_tr, 500, seed)
            X_va, y_va = subsample(X_va, y_va, 300, seed + 1)
        data = (X_tr, y_tr, X_va, y_va)
    epochs = max_epochs if max_epochs is not None else (3 if quick else 15)
    return make_array_objective(seed, data=data, space=space, max_epochs=epochs, **kwargs)


def make_digits_macro_objective(
    seed: int,
    *,
    quick: bool = False,
    ordinal: bool = False,
    max_epochs: int | None = None,
    **kwargs: Any,
) -> Callable[[Any], float | tuple[float, ...]]:
    """Macro NAS on scikit-learn's digits: ``trial -> validation accuracy``.

    12 layers, each with an operation, width, activation and residual-skip choice, plus Adam's
    learning rate and weight decay (:class:`~optuna_qnas.problems._lightning_macro.MacroSpace`;
    182 bits in the default encoding).

    Args:
        seed:
            Fixes the train/val split, the weights and the data order.
        quick:
            500 training / 300 validation images and 2 epochs (a smoke test); otherwise the full
            split (1,347 / 450) and 10 epochs.
        ordinal:
            Integer view of the categorical choices (for CMA-ES).
        max_epochs:
            Overrides the epochs of the mode.
        kwargs:
            Passed to :func:`make_digits_objective` and on to :func:`make_array_objective`.
    """
    from optuna_qnas.problems._lightning_macro import MacroSpace

    epochs = max_epochs if max_epochs is not None else (2 if quick else 10)
    return make_digits_objective(
        seed, quick=quick, space=MacroSpace(ordinal=ordinal), max_epochs=epochs, **kwargs
    )


def make_ucr_objective(
    seed: int,
    *,
    dataset: str = "ItalyPowerDemand",
    quick: bool = False,
    space: Any = None,
    ordinal: bool = False,
    extract_path: str | None = None,
    data: Sequence[Any] | None = None,
    max_epochs: int | None = None,
    **kwargs: Any,
) -> Callable[[Any], float | tuple[float, ...]]:
    """NAS of a 1-D CNN / TCN on a UCR/UEA dataset: ``trial -> validation accuracy``.

    Trains on the official TRAIN split and validates on the official TEST split (so the
    accuracies are comparable with published UCR results, and are selection-biased as any
    search on a fixed split is).

    Args:
        seed:
            Fixes the weights and the data order.
        dataset:
            A dataset bundled with aeon (``ItalyPowerDemand``, ``GunPoint``, ``BasicMotions``,
            ...), or any UCR/UEA name with ``extract_path``.
        quick:
            Smaller networks and 10 epochs; otherwise 40 epochs.
        space:
            A custom search space (default :class:`~optuna_qnas.nas.TCNSpace`).
        ordinal:
            Integer view of the space (for CMA-ES).
        extract_path:
            Folder with ``<dataset>/<dataset>_TRAIN.ts`` and ``_TEST.ts`` (a full archive).
        data:
            ``(X_train, y_train, X_val, y_val)`` with X ``(N, channels, length)``.
        max_epochs:
            Overrides the epochs of the mode.
        kwargs:
            Passed to :func:`make_array_objective`.
    """
    from optuna_qnas.nas import TCNSpace

    if space is None:
        space = (
            TCNSpace(num_blocks=(1, 3), channels=(8, 16), kernel_sizes=(3, 5), ordinal=ordinal)
            if quick
            else TCNSpace(ordinal=ordinal)
        )
    if data is None:
        data = load_ucr_arrays(dataset, extract_path=extract_path)
    epochs = max_epochs if max_epochs is not None else (10 if quick else 40)
    kwargs.setdefault("batch_size", 16)
    return make_array_objective(seed, data=data, space=space, max_epochs=epochs, **kwargs)


def make_text_objective(
    seed: int,
    *,
    quick: bool = False,
    space: Any = None,
    ordinal: bool = False,
    data: Sequence[Any] | None = None,
    max_epochs: int | None = None,
    **kwargs: Any,
) -> Callable[[Any], float | tuple[float, ...]]:
    """NAS of a character-level 1-D CNN / TCN for word sentiment (VADER lexicon, bundled).

    No package ships SST or PTB; ``vaderSentiment`` (MIT, 125 kB) ships the closest labelled
    text: human sentiment ratings of 7,520 tokens (see :func:`load_vader_lexicon_arrays`).

    Args:
        seed:
            Fixes the split, the weights and the data order.
        quick:
            1,000 training / 400 validation tokens and 3 epochs; otherwise all (5,453 / 1,364)
            and 20 epochs.
        space:
            A custom search space (default :class:`~optuna_qnas.nas.TCNSpace`).
        ordinal:
            Integer view of the space (for CMA-ES).
        data:
            ``(X_train, y_train, X_val, y_val)`` of your own ``(N, channels, length)`` text
            encodings (e.g. one-hot characters of SST sentences).
        max_epochs:
            Overrides the epochs of the mode.
        kwargs:
            Passed to :func:`make_array_objective`.
    """
    from optuna_qnas.nas import TCNSpace

    if space is None:
        space = (
            TCNSpace(num_blocks=(1, 3), channels=(16, 32), kernel_sizes=(3, 5), ordinal=ordinal)
            if quick
            else TCNSpace(channels=(16, 32, 64), ordinal=ordinal)
        )
    if data is None:
        X_tr, y_tr, X_va, y_va = load_vader_lexicon_arrays(seed)
        if quick:
            X_tr, y_tr = subsample(X_tr, y_tr, 1000, seed)
            X_va, y_va = subsample(X_va, y_va, 400, seed + 1)
        data = (X_tr, y_tr, X_va, y_va)
    epochs = max_epochs if max_epochs is not None else (3 if quick else 20)
    return make_array_objective(seed, data=data, space=space, max_epochs=epochs, **kwargs)


# --------------------------------------------------------------------------- reporting


def study_summary(name: str, study: Any) -> dict[str, Any]:
    """Best trial of a single-objective task study with its costs, for a comparison table.

    Returns:
        ``sampler``, ``trials`` (complete/pruned/failed counts), ``best_acc``, ``n_params``,
        ``flops_per_sample``, ``latency_ms``, ``architecture``, ``mean_train_s``.
    """
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counts = {s: sum(t.state == s for t in trials) for s in TrialState}
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    row: dict[str, Any] = {
        "sampler": name,
        "complete": counts[TrialState.COMPLETE],
        "pruned": counts[TrialState.PRUNED],
        "failed": counts[TrialState.FAIL],
        "best_acc": float("nan"),
        "n_params": None,
        "flops_per_sample": None,
        "latency_ms": float("nan"),
        "architecture": "",
        "mean_train_s": float("nan"),
    }
    if complete:
        best = study.best_trial
        row.update(
            best_acc=float(best.value),
            n_params=best.user_attrs.get("n_params"),
            flops_per_sample=best.user_attrs.get("flops_per_sample"),
            latency_ms=float(best.user_attrs.get("latency_ms", float("nan"))),
            architecture=best.user_attrs.get("architecture", ""),
            mean_train_s=float(
                np.mean([t.user_attrs.get(TRAIN_TIME_ATTR, np.nan) for t in complete])
            ),
        )
    return row


def format_summary_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Plain-text table of :func:`study_summary` rows."""
    header = (
        f"{'sampler':<22} {'done/pruned/fail':>16} {'best acc':>9} {'params':>8} "
        f"{'MFLOPs':>8} {'lat ms':>7} {'train s':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        flops = r["flops_per_sample"]
        lines.append(
            f"{r['sampler']:<22} "
            f"{str(r['complete']) + '/' + str(r['pruned']) + '/' + str(r['failed']):>16} "
            f"{r['best_acc']:>9.4f} {r['n_params'] if r['n_params'] is not None else '-':>8} "
            f"{(flops / 1e6 if flops is not None else float('nan')):>8.3f} "
            f"{r['latency_ms']:>7.3f} {r['mean_train_s']:>8.2f}"
        )
    for r in rows:
        if r["architecture"]:
            lines.append(f"  {r['sampler']} best: {r['architecture']}")
    return "\n".join(lines)
