"""How many evaluations does reaching within 1 % of a planted ground state take?

The planted problems (:mod:`optuna_qnas.problems._planted`) are Ising spin glasses without
fields: ``E(s) = sum_ij J_ij s_i s_j`` with 814 non-zero couplings at 500 variables and 3,287 at
2,000, plus N(0, 1) evaluation noise. Every configuration and its global flip have the same
energy, so no single variable has a main effect; a model can only find low energies through the
couplings. This benchmark measures, outside any sampler, what learning them costs:

- ``oracle-support``: the learner is told which pairs interact and fits their couplings by least
  squares on ``n`` uniformly random noisy evaluations (random +-1 configurations make the
  features nearly orthogonal, the best case for a linear fit); the fitted Ising model is
  minimised by simulated annealing and the true energy of its best read is scored.
- ``screened``: no support is given. The pairs whose products correlate most with the
  evaluations (sure independence screening over all ``N (N - 1) / 2`` pairs) are kept, as many
  as the instance has couplings, then fitted and minimised as above. ``recall`` is the fraction
  of the true couplings among the kept pairs.
- ``exact``: the same annealing on the true couplings, no evaluations: how close the minimiser
  itself comes (the floor of the two learners' gaps).
- ``descent``: no model. First-improvement single-flip descent from a random configuration on
  noise-free evaluations, one evaluation per tried flip, until no flip improves: how many
  evaluations a local search spends to reach its local minimum, and how deep that is.

``gap`` is ``(E - E_0) / |E_0|``: 0.01 is the issue's "within 1 %". Means over ``--reps``
repetitions (each its own random design, noise and annealing seed).

Usage::

    python benchmarks/planted_budget.py --out results/planted-budget
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import time
from typing import Any


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from optuna_qnas.problems._planted import NOISE_STD
from optuna_qnas.problems._planted import PlantedInstance
from optuna_qnas.problems._planted import SHAPES


BUDGETS = {
    500: (100, 250, 500, 750, 1000, 2000, 4000, 8000, 16000, 32000),
    2000: (100, 1000, 2000, 3000, 4000, 8000, 16000),
}


#: Evaluation counts at which the descent's energy is recorded (the studies' budgets).
DESCENT_MARKS = (50, 100)


def minimise_ising(n: int, edges: np.ndarray, couplings: np.ndarray, seed: int) -> np.ndarray:
    """The lowest-energy read (spins) of simulated annealing on ``sum J_e s_a s_b``."""
    from dwave.samplers import SimulatedAnnealingSampler

    J = {(int(a), int(b)): float(j) for (a, b), j in zip(edges, couplings) if j != 0.0}
    h = {i: 0.0 for i in range(n)}
    result = SimulatedAnnealingSampler().sample_ising(
        h, J, num_reads=20, num_sweeps=2000, seed=seed
    )
    best = result.first.sample
    return np.array([best[i] for i in range(n)], dtype=float)


def scored_minimum(
    inst: PlantedInstance, edges: np.ndarray, couplings: np.ndarray, rng: np.random.Generator
) -> dict[str, float]:
    """The true energy of the annealer's best read on ``couplings`` over ``edges``, and its gap
    ``(E - E_0) / |E_0|``."""
    spins = minimise_ising(inst.n_variables, edges, couplings, int(rng.integers(2**31)))
    energy = inst.energy((spins + 1) / 2)
    return {"energy": energy, "gap": gap(inst, energy)}


def gap(inst: PlantedInstance, energy: float) -> float:
    """How far ``energy`` lies above the planted ground state, relative to it."""
    return (energy - inst.ground_energy) / abs(inst.ground_energy)


def fit_couplings(S: np.ndarray, y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Least-squares couplings on the pair products ``s_a s_b`` of ``edges`` (minimum norm when
    the evaluations are fewer than the pairs)."""
    F = S[:, edges[:, 0]] * S[:, edges[:, 1]]
    F = np.hstack([F, np.ones((len(S), 1))])
    coef, *_ = np.linalg.lstsq(F, y, rcond=None)
    return coef[:-1]


def screen(S: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` pairs whose products correlate most with ``y`` (all pairs; +-1 spins make
    every product's norm the same, so the inner product ranks them)."""
    r = y - y.mean()
    C = np.abs(S.T @ (r[:, None] * S))  # (N, N) |sum_t r_t s_ta s_tb|
    iu = np.triu_indices(S.shape[1], 1)
    top = np.argsort(-C[iu], kind="stable")[:k]
    return np.stack([iu[0][top], iu[1][top]], axis=1)


def learner_gap(
    inst: PlantedInstance, n_evals: int, rng: np.random.Generator, screened: bool
) -> dict[str, float]:
    N = inst.n_variables
    S = rng.choice([-1.0, 1.0], size=(n_evals, N))
    y = inst.energies((S + 1) / 2) + NOISE_STD * rng.normal(size=n_evals)
    edges = screen(S, y, len(inst.couplings)) if screened else inst.edges
    out = scored_minimum(inst, edges, fit_couplings(S, y, edges), rng)
    if screened:
        true = {tuple(sorted(e)) for e in inst.edges.tolist()}
        out["recall"] = sum(tuple(sorted(e)) in true for e in edges.tolist()) / len(true)
    return out


def exact_minimum(inst: PlantedInstance, rng: np.random.Generator) -> dict[str, float]:
    """The annealer on the true couplings: the floor that the minimiser sets for the learners."""
    return scored_minimum(inst, inst.edges, inst.couplings, rng)


def descent(inst: PlantedInstance, rng: np.random.Generator) -> dict[str, float]:
    """First-improvement single-flip descent on noise-free energies, counting evaluations."""
    N = inst.n_variables
    nbr: list[list[tuple[int, float]]] = [[] for _ in range(N)]
    for (a, b), j in zip(inst.edges.tolist(), inst.couplings.tolist()):
        nbr[a].append((b, j))
        nbr[b].append((a, j))
    s = rng.choice([-1.0, 1.0], size=N)
    energy = inst.energy((s + 1) / 2)
    evals, improved = 1, True  # the start is evaluated once
    at: dict[str, float] = {}
    while improved:
        improved = False
        for i in rng.permutation(N):
            evals += 1
            delta = -2.0 * s[i] * sum(j * s[k] for k, j in nbr[i])
            if delta < 0:
                s[i] = -s[i]
                energy += delta
                improved = True
            if evals in DESCENT_MARKS:
                at[f"energy_at_{evals}"] = energy
    return {
        "evaluations": evals,
        "energy": energy,
        "gap": gap(inst, energy),
        **at,
        "bits": ((s + 1) // 2).astype(int).tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,2000", help="planted sizes (500, 2000)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default="results/planted-budget")
    ap.add_argument(
        "--tables-only", action="store_true", help="rewrite the summary from OUT/results.json"
    )
    args = ap.parse_args()
    out = Path(args.out)
    if args.tables_only:
        print(summary_table(json.loads((out / "results.json").read_text())["rows"]))
        return
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    lines = [
        "| variables | learner | evaluations | gap to E_0 (mean, min-max) | recall | seconds "
        "| descent energy after 50 / 100 evaluations |",
        "|---:|---|---:|---|---|---:|---|",
    ]
    for size in (int(s) for s in args.sizes.split(",")):
        inst = PlantedInstance(*SHAPES[size], seed=0)
        runs = [("exact", 0), ("descent", 0)]  # no evaluations; the descent stops by itself
        runs += [(lrn, n) for n in BUDGETS[size] for lrn in ("oracle-support", "screened")]
        for learner, n_evals in runs:
            t0 = time.process_time()
            reps = []
            for rep in range(args.reps):
                rng = np.random.default_rng([size, rep, n_evals])
                if learner == "exact":
                    reps.append(exact_minimum(inst, rng))
                elif learner == "descent":
                    reps.append(descent(inst, rng))
                else:
                    reps.append(learner_gap(inst, n_evals, rng, learner == "screened"))
            seconds = (time.process_time() - t0) / args.reps
            gaps = [r["gap"] for r in reps]
            evals = float(np.mean([r.get("evaluations", n_evals) for r in reps]))
            recall = np.mean([r["recall"] for r in reps]) if learner == "screened" else None
            row = {
                "variables": size,
                "learner": learner,
                "evaluations": evals,
                "gap_mean": float(np.mean(gaps)),
                "gap_min": float(np.min(gaps)),
                "gap_max": float(np.max(gaps)),
                "recall": None if recall is None else float(recall),
                "seconds": seconds,
                "reps": reps,
            }
            rows.append(row)
            line = (
                f"| {size} | {learner} | {evals:,.0f} | {np.mean(gaps):.1%} "
                f"({np.min(gaps):.1%}-{np.max(gaps):.1%}) | "
                f"{'-' if recall is None else f'{recall:.0%}'} | {seconds:.1f} |"
            )
            marks = "-"
            if learner == "descent":
                marks = " / ".join(
                    f"{np.mean([r[f'energy_at_{m}'] for r in reps]):.0f}" for m in DESCENT_MARKS
                )
            line += f" {marks} |"
            lines.append(line)
            print(line, flush=True)
    meta = {
        "machine": platform.platform(),
        "processor": platform.processor(),
        "reps": args.reps,
        "noise_std": NOISE_STD,
    }
    (out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (out / "table.md").write_text("\n".join(lines) + "\n\n" + summary_table(rows) + "\n")
    print(summary_table(rows))
    print(f"wrote {out / 'table.md'} and {out / 'results.json'}")


def summary_table(rows: list[dict[str, Any]]) -> str:
    """The learners' gaps by evaluations, one column per size and learner (the docs' table)."""
    sizes = sorted({r["variables"] for r in rows})

    def cell(size: int, learner: str, n: float) -> str:
        hit = [
            r
            for r in rows
            if (r["variables"], r["learner"], r["evaluations"]) == (size, learner, n)
        ]
        if not hit:
            return "-"
        r = hit[0]
        text = f"{r['gap_mean']:.1%}"
        return text + (f" ({r['recall']:.0%})" if r["recall"] is not None else "")

    head = "| evaluations | " + " | ".join(
        f"{size}: oracle-support | {size}: screened (recall)" for size in sizes
    )
    lines = [head + " |", "|---:|" + "---:|" * (2 * len(sizes))]
    budgets = sorted({r["evaluations"] for r in rows if r["learner"] == "oracle-support"})
    for n in budgets:
        cells = [
            c
            for size in sizes
            for c in (cell(size, "oracle-support", n), cell(size, "screened", n))
        ]
        lines.append(f"| {n:,.0f} | " + " | ".join(cells) + " |")
    for size in sizes:
        for r in rows:
            if r["variables"] != size or r["learner"] not in ("exact", "descent"):
                continue
            if r["learner"] == "exact":
                lines.append(
                    f"\n{size} variables, annealing on the true couplings: {r['gap_mean']:.1%}."
                )
            else:
                marks = ", ".join(
                    f"{np.mean([x[f'energy_at_{m}'] for x in r['reps']]):.0f} after {m}"
                    for m in DESCENT_MARKS
                )
                lines.append(
                    f"{size} variables, single-flip descent: {r['gap_mean']:.1%} after "
                    f"{r['evaluations']:,.0f} evaluations (energy {marks} evaluations)."
                )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
