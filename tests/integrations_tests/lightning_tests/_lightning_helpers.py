"""A tiny real LightningModule on scikit-learn's digits and a quiet Trainer (callback tests)."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import numpy as np
from sklearn.datasets import load_digits
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torch.utils.data import TensorDataset


# Tiny models: one thread avoids OpenMP spin contention on a shared 2-core machine.
torch.set_num_threads(1)


class DigitsMLP(pl.LightningModule):
    def __init__(self, *, log_metric: str = "val_acc", hidden: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10)
        )
        self.log_metric = log_metric
        self.example_input_array = torch.zeros(1, 64)
        self.validation_epochs = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(self(x), y)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log(self.log_metric, (self(x).argmax(-1) == y).float().mean())

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self.validation_epochs += 1

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def digits_loaders_data() -> tuple[DataLoader, DataLoader]:
    digits = load_digits()
    X = torch.from_numpy((digits.data / 16.0).astype(np.float32))
    y = torch.from_numpy(digits.target.astype(np.int64))
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(X), generator=g)
    tr, va = perm[:400], perm[400:600]
    return (
        DataLoader(TensorDataset(X[tr], y[tr]), batch_size=50, shuffle=True, generator=g),
        DataLoader(TensorDataset(X[va], y[va]), batch_size=200),
    )


def make_trainer(callbacks: list[Any], *, max_epochs: int = 2, **kwargs: Any) -> pl.Trainer:
    defaults = dict(
        accelerator="cpu",
        devices=1,
        max_epochs=max_epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    defaults.update(kwargs)
    return pl.Trainer(callbacks=callbacks, **defaults)
