"""Which quadratic model for wide spaces? Held-out accuracy and fit time by width and evidence.

Each problem is a random sparse quadratic objective over one-hot encoded categorical parameters
(``n_params`` parameters of 4 levels; linear weights ``N(0, 1)``; ``density x n_bits`` random
pairs across parameters with weights ``N(0, (1.5 x scale)^2)``). The models are fitted on the
normal scores of ``n`` uniformly random configurations (what the sampler fits on) and scored by
the Spearman correlation of their posterior mean with the true objective on 1,000 held-out
random configurations; the time is the CPU time of one fit with evidence maximisation.

- ``linear``: Bayesian linear regression on the bits (no pairs);
- ``full``: the Bayesian quadratic regression on every cross-parameter pair (only up to 300
  bits: 2 million pairs at 2,000 bits);
- ``screened``: :class:`optuna_qnas._qubo._screening.ScreenedQuadraticRegression` with its
  defaults (heredity, screening, pairs kept only above the chance level), without the
  residual correction (``residual=False``): the table compares the quadratic models whose QUBOs
  the solvers minimise, on configurations far from the evidence, where that correction (a
  local kernel that ranks the pool) has nothing to add;
- ``screened-nofloor``: the same, every screened pair kept up to the budget (chance level 0).

Usage::

    python benchmarks/model_scaling.py --out results/model-scaling
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import os
from pathlib import Path
import platform
import time
from typing import Any


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from scipy.stats import spearmanr

from optuna_qnas._qubo._screening import ScreenedQuadraticRegression
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression
from optuna_qnas._qubo._surrogate import normal_scores


LEVELS = 4
# (parameters, trials, interaction scale, pairs per bit)
SETTINGS = (
    (75, 50, 1.0, 4),
    (75, 100, 1.0, 4),
    (75, 200, 1.0, 4),
    (75, 100, 4.0, 1),
    (75, 200, 4.0, 1),
    (500, 100, 1.0, 4),
    (75, 300, 8.0, 1),
    (500, 100, 4.0, 1),
    (500, 300, 8.0, 1),
)


def make_problem(
    n_params: int, seed: int, scale: float, density: int
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[int, Any], np.ndarray], np.ndarray]:
    """The objective on bits, a sampler of random one-hot configurations, and the pair mask."""
    rng = np.random.default_rng(seed)
    n_bits = n_params * LEVELS
    lin = rng.normal(size=n_bits)
    m = density * n_bits
    rows, cols = rng.integers(0, n_bits, m), rng.integers(0, n_bits, m)
    weights = 1.5 * scale * rng.normal(size=m)
    group = np.repeat(np.arange(n_params), LEVELS)
    ok = group[rows] != group[cols]
    rows, cols, weights = rows[ok], cols[ok], weights[ok]

    def objective(X: np.ndarray) -> np.ndarray:
        return X @ lin + (weights * X[:, rows] * X[:, cols]).sum(axis=1)

    def random_configs(n: int, gen: Any) -> np.ndarray:
        levels = gen.integers(0, LEVELS, size=(n, n_params))
        X = np.zeros((n, n_bits))
        X[np.arange(n)[:, None], np.arange(n_params) * LEVELS + levels] = 1.0
        return X

    mask = np.triu(group[:, None] != group[None, :], 1)
    return objective, random_configs, mask


def models(mask: np.ndarray) -> dict[str, Callable[[], Any]]:
    out: dict[str, Callable[[], Any]] = {
        "linear": lambda: BayesianQuadraticRegression(np.zeros_like(mask)),
        "screened": lambda: ScreenedQuadraticRegression(mask, residual=False),
        "screened-nofloor": lambda: ScreenedQuadraticRegression(
            mask, chance_level=0.0, residual=False
        ),
    }
    if mask.shape[0] <= 300:
        out["full"] = lambda: BayesianQuadraticRegression(mask)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    names = ("linear", "full", "screened", "screened-nofloor")
    lines = [
        "| bits | trials | interaction scale | pairs per bit | "
        + " | ".join(f"{n}: rho / fit ms" for n in names)
        + " |",
        "|---:|---:|---:|---:|" + "---:|" * len(names),
    ]
    for n_params, n, scale, density in SETTINGS:
        scores: dict[str, list[tuple[float, float]]] = {}
        for seed in range(args.seeds):
            objective, random_configs, mask = make_problem(n_params, seed, scale, density)
            gen = np.random.default_rng(100 + seed)
            X, Xt = random_configs(n, gen), random_configs(1000, gen)
            y, yt = normal_scores(objective(X)), objective(Xt)
            for name, make in models(mask).items():
                model = make()
                start = time.process_time()
                model.fit(X, y, np.random.RandomState(0))
                seconds = time.process_time() - start
                rho = float(spearmanr(model.predict(Xt)[0], yt)[0])
                scores.setdefault(name, []).append((rho, seconds))
                rows.append(
                    {
                        "bits": n_params * LEVELS,
                        "trials": n,
                        "scale": scale,
                        "density": density,
                        "seed": seed,
                        "model": name,
                        "spearman": rho,
                        "fit_seconds": seconds,
                    }
                )
        cells = []
        for name in names:
            if name in scores:
                rho = float(np.mean([r for r, _ in scores[name]]))
                ms = 1000 * float(np.mean([t for _, t in scores[name]]))
                cells.append(f"{rho:.3f} / {ms:.0f}")
            else:
                cells.append("-")
        lines.append(
            f"| {n_params * LEVELS} | {n} | {scale:g} | {density} | " + " | ".join(cells) + " |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    (args.out / "model_scaling.json").write_text(
        json.dumps({"seeds": args.seeds, "machine": machine, "rows": rows}, indent=1)
    )
    (args.out / "model_scaling.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
