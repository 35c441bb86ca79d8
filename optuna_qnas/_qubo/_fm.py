"""Factorization-machine surrogate (FMQA; Kitai et al., Phys. Rev. Research 2, 013319, 2020).

``y = b + x.w + sum_{i<j} <v_i, v_j> x_i x_j`` with ``v_i`` in ``R^k``: a QUBO of rank ``k``.
There is no posterior: exploration comes from re-training from a fresh random initialisation
each time a QUBO is drawn, as in FMQA.

.. note:: This surrogate requires ``torch`` (``pip install optuna-qnas[lightning]``).
"""

from __future__ import annotations

import numpy as np

from optuna_qnas._qubo._model import QUBO


class FactorizationMachine:
    """Args:
    pair_mask:
        Which bit pairs the QUBO may couple (pairs outside the mask are zeroed).
    rank:
        Factor dimension ``k``.
    n_epochs:
        Full-batch Adam steps per draw.
    weight_decay:
        L2 penalty on all weights (the data are few; without it the model interpolates).
    """

    def __init__(
        self,
        pair_mask: np.ndarray,
        *,
        rank: int = 8,
        n_epochs: int = 300,
        weight_decay: float = 1e-3,
    ) -> None:
        if rank < 1 or n_epochs < 1:
            raise ValueError("FactorizationMachine needs rank >= 1 and n_epochs >= 1.")
        self.mask = np.triu(np.asarray(pair_mask, dtype=bool), 1)
        self.rank = rank
        self.n_epochs = n_epochs
        self.weight_decay = weight_decay
        self._X: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._last: QUBO | None = None

    def fit(self, X: np.ndarray, y: np.ndarray, rng: np.random.RandomState | None = None) -> None:
        self._X = np.asarray(X, dtype=np.float32)
        self._y = np.asarray(y, dtype=np.float32)
        self._last = None

    def _train(self, seed: int) -> QUBO:
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "surrogate='fm' needs torch: pip install 'optuna-qnas[lightning]' (torch==2.13.0)."
            ) from exc
        assert self._X is not None and self._y is not None
        gen = torch.Generator().manual_seed(int(seed))
        n = self._X.shape[1]
        X = torch.from_numpy(self._X)
        y = torch.from_numpy(self._y)
        mask = torch.from_numpy(self.mask.astype(np.float32))
        b = torch.zeros(1, requires_grad=True)
        w = torch.zeros(n, requires_grad=True)
        V = (0.1 * torch.randn(n, self.rank, generator=gen)).requires_grad_(True)
        opt = torch.optim.Adam([b, w, V], lr=0.05, weight_decay=self.weight_decay)
        for _ in range(self.n_epochs):
            opt.zero_grad()
            Q = (V @ V.T) * mask
            pred = b + X @ w + ((X @ Q) * X).sum(dim=1)
            loss = torch.mean((pred - y) ** 2)
            loss.backward()
            opt.step()
        with torch.no_grad():
            Q = ((V @ V.T) * mask).numpy().astype(float)
            return QUBO(w.detach().numpy().astype(float), Q, float(b.item()))

    def sample_qubo(self, rng: np.random.RandomState) -> QUBO:
        self._last = self._train(int(rng.randint(2**31 - 1)))
        return self._last

    def mean_qubo(self) -> QUBO:
        return self._last if self._last is not None else self._train(0)
