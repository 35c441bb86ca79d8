"""Offline data for the Lightning NAS tasks: digits, bundled UCR/UEA series, VADER words.

Every loader returns ``(X_train, y_train, X_val, y_val)`` as float32 inputs and int64 labels;
nothing is downloaded. User-supplied arrays go through the same checks.
"""

from __future__ import annotations

from collections.abc import Sequence
import os
from typing import Any

import numpy as np


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


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


def check_arrays(data: Sequence[Any]) -> Arrays:
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


def subsample(X: np.ndarray, y: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if len(X) <= n:
        return X, y
    idx = np.random.default_rng(seed).permutation(len(X))[:n]
    return X[idx], y[idx]
