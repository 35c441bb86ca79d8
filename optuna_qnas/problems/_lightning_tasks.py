"""Real-data NAS tasks trained with a real Lightning ``Trainer``, all offline.

- Digits (scikit-learn's bundled 8x8 handwritten digits, 1,797 images): the NAS-Bench-201-style
  cell CNN or an MLP.
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
import contextlib
import logging
import os
import time
from typing import Any
import warnings

import numpy as np


_logger = logging.getLogger(__name__)

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

#: User attributes every task objective records besides the model costs.
EPOCHS_ATTR = "epochs_trained"
TRAIN_TIME_ATTR = "train_time_s"
ERROR_ATTR = "error"


# --------------------------------------------------------------------------- data loading


def load_digits_arrays(seed: int, *, val_fraction: float = 0.25) -> Arrays:
    """scikit-learn's digits as ``(N, 1, 8, 8)`` float32 images in ``[0, 1]``, split stratified.

    Returns:
        ``(X_train, y_train, X_val, y_val)``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1); got {val_fraction!r}.")
    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X, y, test_size=val_fraction, random_state=seed, stratify=y
    )
    return X_tr, y_tr, X_va, y_va


def bundled_ucr_datasets() -> list[str]:
    """Names of the classification datasets that ship inside aeon (no download needed)."""
    import aeon.datasets

    root = os.path.join(os.path.dirname(aeon.datasets.__file__), "data")
    names = []
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isfile(os.path.join(folder, f"{name}_TRAIN.ts")) and os.path.isfile(
            os.path.join(folder, f"{name}_TEST.ts")
        ):
            names.append(name)
    # Regression problems are bundled the same way; keep the classification ones.
    from aeon.datasets.tsc_datasets import multivariate
    from aeon.datasets.tsc_datasets import univariate

    classification = set(univariate) | set(multivariate)
    return [n for n in names if n in classification]


def load_ucr_arrays(
    dataset: str = "ItalyPowerDemand", *, extract_path: str | None = None
) -> Arrays:
    """A UCR/UEA dataset as ``(N, channels, length)`` float32 arrays and integer labels.

    The official TRAIN split trains and the official TEST split validates.

    Args:
        dataset:
            A dataset name. Without ``extract_path`` it must be one bundled with aeon
            (:func:`bundled_ucr_datasets`): nothing is downloaded.
        extract_path:
            A folder holding ``<dataset>/<dataset>_TRAIN.ts`` and ``_TEST.ts`` (e.g. an unpacked
            UCR archive); read with aeon's loader.
    """
    from aeon.datasets import load_classification

    if extract_path is None:
        bundled = bundled_ucr_datasets()
        if dataset not in bundled:
            raise ValueError(
                f"UCR dataset {dataset!r} is not bundled with aeon and nothing is downloaded "
                f"here; choose one of {bundled} or pass extract_path=<folder with "
                f"{dataset}/{dataset}_TRAIN.ts>."
            )
    else:
        for split in ("TRAIN", "TEST"):
            path = os.path.join(extract_path, dataset, f"{dataset}_{split}.ts")
            if not os.path.isfile(path):
                raise ValueError(f"{path} does not exist; extract_path must hold {dataset}/.")
    X_tr, y_tr = load_classification(dataset, split="train", extract_path=extract_path)
    X_te, y_te = load_classification(dataset, split="test", extract_path=extract_path)
    if isinstance(X_tr, list) or isinstance(X_te, list):
        raise ValueError(f"{dataset} has series of unequal length; equal-length data is needed.")
    classes = {c: i for i, c in enumerate(sorted(set(y_tr) | set(y_te)))}
    return (
        np.asarray(X_tr, dtype=np.float32),
        np.array([classes[c] for c in y_tr], dtype=np.int64),
        np.asarray(X_te, dtype=np.float32),
        np.array([classes[c] for c in y_te], dtype=np.int64),
    )


def load_vader_lexicon_arrays(
    seed: int,
    *,
    min_abs_valence: float = 0.5,
    max_len: int = 20,
    val_fraction: float = 0.2,
) -> Arrays:
    """Word-level sentiment from the human-rated VADER lexicon, as one-hot character sequences.

    The ``vaderSentiment`` wheel ships ``vader_lexicon.txt``: 7,520 English words, slang and
    emoticons, each rated by 10 people from -4 (negative) to +4 (positive) (Hutto & Gilbert,
    ICWSM 2014). Tokens whose mean rating is at least ``min_abs_valence`` away from 0 are
    labelled positive (1) or negative (0) and encoded as ``(N, alphabet, max_len)`` one-hot
    characters, split stratified. Related forms (``foolish``, ``foolishly``) can fall on both
    sides of the split, which makes the task easier than sentence-level sentiment.

    Returns:
        ``(X_train, y_train, X_val, y_val)``.
    """
    from sklearn.model_selection import train_test_split
    import vaderSentiment

    if min_abs_valence < 0 or max_len < 1 or not 0.0 < val_fraction < 1.0:
        raise ValueError(
            "Need min_abs_valence >= 0, max_len >= 1 and 0 < val_fraction < 1; got "
            f"{min_abs_valence}, {max_len}, {val_fraction}."
        )
    path = os.path.join(os.path.dirname(vaderSentiment.__file__), "vader_lexicon.txt")
    tokens, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            mean = float(parts[1])
            if abs(mean) >= min_abs_valence and mean != 0:
                tokens.append(parts[0][:max_len])
                labels.append(int(mean > 0))
    alphabet = {c: i for i, c in enumerate(sorted({c for t in tokens for c in t}))}
    X = np.zeros((len(tokens), len(alphabet), max_len), dtype=np.float32)
    for n, token in enumerate(tokens):
        for pos, c in enumerate(token):
            X[n, alphabet[c], pos] = 1.0
    y = np.asarray(labels, dtype=np.int64)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X, y, test_size=val_fraction, random_state=seed, stratify=y
    )
    return X_tr, y_tr, X_va, y_va


def _check_arrays(data: Sequence[Any]) -> Arrays:
    if len(data) != 4:
        raise ValueError(
            f"data must be (X_train, y_train, X_val, y_val); got a sequence of {len(data)} items."
        )
    X_tr, y_tr, X_va, y_va = (np.asarray(a) for a in data)
    for name, X, y in (("train", X_tr, y_tr), ("val", X_va, y_va)):
        if X.ndim < 2 or y.ndim != 1 or len(X) != len(y) or len(X) == 0:
            raise ValueError(
                f"{name} arrays must be X (N, ...) and y (N,) with N > 0; got {X.shape} and "
                f"{y.shape}."
            )
    if X_tr.shape[1:] != X_va.shape[1:]:
        raise ValueError(f"Train and val samples differ in shape: {X_tr.shape} vs {X_va.shape}.")
    if X_tr.dtype == np.uint8:  # images stored as bytes (e.g. CIFAR-10)
        X_tr, X_va = X_tr / np.float32(255.0), X_va / np.float32(255.0)
    labels = np.unique(np.concatenate([y_tr, y_va]))
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError("Labels must be integers 0..num_classes-1; encode them first.")
    return (
        X_tr.astype(np.float32),
        y_tr.astype(np.int64),
        X_va.astype(np.float32),
        y_va.astype(np.int64),
    )


def _subsample(X: np.ndarray, y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if len(X) <= n:
        return X, y
    idx = np.random.default_rng(seed).permutation(len(X))[:n]
    return X[idx], y[idx]


# --------------------------------------------------------------------------- training


def _classifier_class() -> type:
    import lightning.pytorch as pl
    import torch
    import torch.nn.functional as F

    class ArchitectureClassifier(pl.LightningModule):
        """A network built by a search space, trained with cross-entropy and Adam."""

        def __init__(
            self, net: torch.nn.Module, *, lr: float, weight_decay: float, example: torch.Tensor
        ) -> None:
            super().__init__()
            self.net = net
            self.lr = lr
            self.weight_decay = weight_decay
            self.example_input_array = example

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = F.cross_entropy(self(x), y)
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            logits = self(x)
            self.log("val_loss", F.cross_entropy(logits, y), on_epoch=True)
            self.log("val_acc", (logits.argmax(-1) == y).float().mean(), on_epoch=True)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    return ArchitectureClassifier


def _build_network(config: Any, sample_shape: tuple[int, ...], num_classes: int) -> Any:
    from optuna_qnas.nas import CellCNNConfig
    from optuna_qnas.nas import MLPConfig
    from optuna_qnas.nas import TCNConfig

    if isinstance(config, MLPConfig):
        return config.build(in_features=int(np.prod(sample_shape)), num_classes=num_classes)
    if isinstance(config, (CellCNNConfig, TCNConfig)):
        return config.build(in_channels=sample_shape[0], num_classes=num_classes)
    # Any other space: its config builds from the sample shape.
    return config.build(input_shape=sample_shape, num_classes=num_classes)


class _QuietLightning(contextlib.ContextDecorator):
    """Silence Lightning's per-Trainer banner and data-loader worker hints during a trial."""

    def __enter__(self) -> _QuietLightning:
        self._loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric")]
        self._levels = [lg.level for lg in self._loggers]
        for lg in self._loggers:
            lg.setLevel(logging.WARNING)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=r".*number of training batches.*")
        # Raised inside Lightning itself on torch 2.13; nothing a user can act on.
        warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._warnings.__exit__(*exc)
        for lg, level in zip(self._loggers, self._levels):
            lg.setLevel(level)


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Any:
    import torch

    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_array_objective(
    seed: int,
    *,
    data: Sequence[Any],
    space: Any,
    max_epochs: int,
    batch_size: int = 32,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    monitor: str = "val_acc",
    pruning: bool = True,
    cost_device: str = "cpu",
    cost_repeats: int = 20,
    budgets: Mapping[str, float] | None = None,
    extra_objectives: Sequence[str] = (),
    on_error: str = "fail",
    trainer_kwargs: Mapping[str, Any] | None = None,
    num_threads: int | None = 1,
) -> Callable[[Any], float | tuple[float, ...]]:
    """A NAS objective on user-supplied arrays: suggest, build, train, validate.

    Args:
        seed:
            Fixes weight initialisation, dropout and data order (not the trial number, so the
            same architecture gets the same accuracy in any study with this seed).
        data:
            ``(X_train, y_train, X_val, y_val)``; X is ``(N, ...)`` (uint8 is scaled by 1/255),
            y holds integer labels.
        space:
            Anything with ``suggest(trial) -> config``; the :mod:`optuna_qnas.nas` spaces, or a
            config with ``build(input_shape=..., num_classes=...)``.
        max_epochs:
            Training epochs (the pruner may stop earlier).
        batch_size, lr, weight_decay:
            Adam training settings.
        monitor:
            The metric reported to the pruner and returned: ``"val_acc"``.
        pruning:
            Attach :class:`~optuna_qnas.integrations.lightning.PruningCallback` (single-objective
            studies only; it is left out automatically when ``extra_objectives`` is set).
        cost_device, cost_repeats:
            Where and how often the batch-1 latency is measured.
        budgets:
            ``{cost name: budget}`` constraints, e.g. ``{"latency_ms": 2.0}``.
        extra_objectives:
            Cost names returned after the accuracy for a multi-objective study, e.g.
            ``("latency_ms",)``: create the study with
            ``directions=["maximize"] + ["minimize"] * len(extra_objectives)``.
        on_error:
            ``"fail"``: an exception during training is recorded in the ``error`` user
            attribute and the objective returns NaN, so Optuna marks the trial FAIL and the study
            goes on. ``"raise"``: the exception propagates (Optuna marks the trial FAIL and stops
            unless ``study.optimize(catch=...)`` names it).
        trainer_kwargs:
            Overrides of the ``lightning.pytorch.Trainer`` arguments.
        num_threads:
            torch intra-op threads during the trial (restored afterwards); ``None`` leaves
            torch's setting. One thread is the default because these networks are tiny: on a
            shared 2-core machine two spinning OpenMP threads made a trial 20x slower (60 s vs
            3 s). The latency attribute is measured with the same setting.
    """
    from optuna_qnas.integrations.lightning._cost import check_budgets
    from optuna_qnas.integrations.lightning._cost import COST_ATTRS

    X_tr, y_tr, X_va, y_va = _check_arrays(data)
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be >= 1; got {max_epochs}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    if on_error not in ("fail", "raise"):
        raise ValueError(f"on_error must be 'fail' or 'raise'; got {on_error!r}.")
    if num_threads is not None and num_threads < 1:
        raise ValueError(f"num_threads must be >= 1 or None; got {num_threads!r}.")
    checked_budgets = check_budgets(budgets)
    extra = tuple(extra_objectives)
    for key in extra:
        if key not in COST_ATTRS:
            raise ValueError(f"extra_objectives must be among {list(COST_ATTRS)}; got {key!r}.")
    if not hasattr(space, "suggest"):
        raise ValueError("space must have a suggest(trial) method (see optuna_qnas.nas).")
    num_classes = int(max(y_tr.max(), y_va.max())) + 1
    sample_shape = tuple(X_tr.shape[1:])
    user_trainer_kwargs = dict(trainer_kwargs or {})

    def objective(trial: Any) -> float | tuple[float, ...]:
        import lightning.pytorch as pl
        import optuna
        import torch
        from torch.utils.data import DataLoader
        from torch.utils.data import TensorDataset

        from optuna_qnas.integrations.lightning import ModelCostCallback
        from optuna_qnas.integrations.lightning import PruningCallback

        config = space.suggest(trial)
        trial.set_user_attr("architecture", repr(config))
        study = getattr(trial, "study", None)
        single = study is None or len(study.directions) == 1
        if extra and single:
            raise ValueError(
                f"extra_objectives={extra} needs a study with {1 + len(extra)} directions."
            )
        with _QuietLightning(), _torch_threads(num_threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            try:
                net = _build_network(config, sample_shape, num_classes)
                train_ds = TensorDataset(torch.from_numpy(X_tr), torch.from_numpy(y_tr))
                val_ds = TensorDataset(torch.from_numpy(X_va), torch.from_numpy(y_va))
                train_loader = DataLoader(
                    train_ds,
                    batch_size=batch_size,
                    shuffle=True,
                    # A last batch of one sample breaks BatchNorm in training mode.
                    drop_last=len(train_ds) % batch_size == 1,
                    generator=torch.Generator().manual_seed(seed),
                )
                val_loader = DataLoader(val_ds, batch_size=max(batch_size, 256))
                model = _classifier_class()(
                    net, lr=lr, weight_decay=weight_decay, example=torch.from_numpy(X_tr[:1])
                )
                callbacks: list[Any] = [
                    ModelCostCallback(
                        trial,
                        device=cost_device,
                        repeats=cost_repeats,
                        budgets=checked_budgets,
                    )
                ]
                if pruning and single:
                    callbacks.append(PruningCallback(trial, monitor))
                kwargs: dict[str, Any] = dict(
                    accelerator="cpu",
                    devices=1,
                    max_epochs=max_epochs,
                    logger=False,
                    enable_checkpointing=False,
                    enable_progress_bar=False,
                    enable_model_summary=False,
                    num_sanity_val_steps=0,
                    deterministic=True,
                )
                kwargs.update(user_trainer_kwargs)
                kwargs["callbacks"] = list(kwargs.get("callbacks", [])) + callbacks
                trainer = pl.Trainer(**kwargs)
                t0 = time.perf_counter()
                trainer.fit(model, train_dataloaders=train_loader, val_dataloaders=val_loader)
                trial.set_user_attr(TRAIN_TIME_ATTR, time.perf_counter() - t0)
                trial.set_user_attr(EPOCHS_ATTR, int(trainer.current_epoch))
                if monitor not in trainer.callback_metrics:
                    raise ValueError(
                        f"The metric {monitor!r} was never logged; logged: "
                        f"{sorted(trainer.callback_metrics)}."
                    )
                value = float(trainer.callback_metrics[monitor])
            except optuna.TrialPruned:
                raise
            except Exception as exc:
                if on_error == "raise":
                    raise
                message = f"{type(exc).__name__}: {exc}"
                trial.set_user_attr(ERROR_ATTR, message[:2000])
                _logger.warning(f"Trial {trial.number} failed during training: {message}")
                nan = float("nan")
                return (nan,) * (1 + len(extra)) if extra else nan
        if not extra:
            return value
        return (value, *(float(trial.user_attrs[k]) for k in extra))

    return objective


# --------------------------------------------------------------------------- the tasks


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
            X_tr, y_tr = _subsample(X_tr, y_tr, 500, seed)
            X_va, y_va = _subsample(X_va, y_va, 300, seed + 1)
        data = (X_tr, y_tr, X_va, y_va)
    epochs = max_epochs if max_epochs is not None else (3 if quick else 15)
    return make_array_objective(seed, data=data, space=space, max_epochs=epochs, **kwargs)


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
            X_tr, y_tr = _subsample(X_tr, y_tr, 1000, seed)
            X_va, y_va = _subsample(X_va, y_va, 400, seed + 1)
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
