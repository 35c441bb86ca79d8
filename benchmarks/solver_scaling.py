"""Wide sparse QUBOs: energy reached vs wall time, per solver and setting.

Solvers: dwave-samplers' simulated annealing (reads x sweeps), tabu (timeout per read) and
steepest descent (reads), uniform random reads, and ``DecompositionSolver`` (dwave-hybrid's
decomposition loop) with simulated-annealing or tabu subproblems.

Instances, 100 / 300 / 1,000 / 2,000 variables, one per seed:

* ``planted``: frustrated loops (Hen et al., PRA 92, 042325, 2015) on a triangular lattice
  wrapped on a torus (6 neighbours per site). Each loop is a random walk run until it closes on
  itself (at least 4 sites), with ferromagnetic couplings on every edge but one, antiferromagnetic
  there; one loop per variable, summed, then a random gauge. The gauge satisfies every loop as
  well as a frustrated loop can be satisfied, so it is a ground state and the optimum energy is
  known. About 4.5 couplings per variable.
* ``glass``: a spin glass on a random 6-regular graph (Gaussian couplings, fields of standard
  deviation 0.1), as a QUBO. The optimum is unknown: gaps are to the lowest energy any run found,
  a reference anneal of 16 reads x 10,000 sweeps included.

Each call is timed with ``perf_counter`` and includes the conversion of the QUBO into a dimod
BQM (every dimod solve pays it once; its cost per size is printed). The gap is
``(E - E_ref) / |E_ref|``. One process, one thread:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/solver_scaling.py --out results/solver_scaling

Writes ``<out>/solver_scaling.json`` (every run, the machine, the package versions) and prints
one table per family (mean gap over the seeds, hits of the reference energy, mean time).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import metadata
import json
import os
from pathlib import Path
import platform
import time
from typing import Any

import numpy as np

from optuna_qnas import QUBO
from optuna_qnas.solvers import DecompositionSolver
from optuna_qnas.solvers import make_solver
from optuna_qnas.solvers._dimod import ising_beta_range
from optuna_qnas.solvers._dimod import qubo_to_bqm


SIZES = (100, 300, 1000, 2000)
SEEDS = (0, 1, 2)
FAMILIES = ("planted", "glass")
REFERENCE = (16, 10_000)  # reads, sweeps of the glass reference anneal


# --- instances --------------------------------------------------------------------------------


def _ising_to_qubo(n: int, a: np.ndarray, b: np.ndarray, j: np.ndarray, h: np.ndarray) -> QUBO:
    """``sum J s_a s_b + sum h s`` with ``s = 2x - 1`` as a QUBO (``a < b``, one entry per
    pair)."""
    linear = 2 * h - 2 * np.bincount(a, j, n) - 2 * np.bincount(b, j, n)
    quadratic = np.zeros((n, n))
    np.add.at(quadratic, (a, b), 4 * j)
    return QUBO(linear, quadratic, float(j.sum() - h.sum()))


def _lattice_shape(n: int) -> tuple[int, int]:
    rows = int(np.sqrt(n))
    while n % rows:
        rows -= 1
    return rows, n // rows


def planted(n: int, seed: int, loops_per_variable: float = 1.0) -> tuple[QUBO, float]:
    """Frustrated loops on a triangular lattice on a torus: (QUBO, optimum energy)."""
    rng = np.random.default_rng(seed)
    rows, cols = _lattice_shape(n)
    steps = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1))

    def neighbour(v: int, k: int) -> int:
        r, c = divmod(v, cols)
        return ((r + steps[k][0]) % rows) * cols + (c + steps[k][1]) % cols

    couplings: dict[tuple[int, int], float] = {}
    optimum, loops = 0.0, 0
    while loops < int(loops_per_variable * n):
        walk = [int(rng.integers(n))]
        where = {walk[0]: 0}
        while True:
            nxt = neighbour(walk[-1], int(rng.integers(6)))
            if len(walk) > 1 and nxt == walk[-2]:
                continue  # no immediate step back
            if nxt in where:
                loop = walk[where[nxt] :]
                break
            where[nxt] = len(walk)
            walk.append(nxt)
        if len(loop) < 4:
            continue
        loops += 1
        frustrated = int(rng.integers(len(loop)))
        for k, u in enumerate(loop):
            v = loop[(k + 1) % len(loop)]
            key = (min(u, v), max(u, v))
            couplings[key] = couplings.get(key, 0.0) + (1.0 if k == frustrated else -1.0)
        optimum -= len(loop) - 2  # all edges satisfied but one
    gauge = rng.choice([-1, 1], size=n)
    pairs = np.array(list(couplings), dtype=np.int64)
    j = np.array(list(couplings.values())) * gauge[pairs[:, 0]] * gauge[pairs[:, 1]]
    keep = j != 0
    qubo = _ising_to_qubo(n, pairs[keep, 0], pairs[keep, 1], j[keep], np.zeros(n))
    ground = ((gauge + 1) // 2).astype(np.int8)
    assert abs(float(qubo.energies(ground)) - optimum) < 1e-6
    return qubo, optimum


def glass(n: int, seed: int, degree: int = 6) -> QUBO:
    """A Gaussian spin glass on a random ``degree``-regular graph, weak random fields."""
    import networkx as nx

    rng = np.random.default_rng(seed)
    graph = nx.random_regular_graph(degree, n, seed=int(rng.integers(2**31)))
    edges = np.sort(np.array(graph.edges, dtype=np.int64), axis=1)
    return _ising_to_qubo(
        n, edges[:, 0], edges[:, 1], rng.normal(size=len(edges)), 0.1 * rng.normal(size=n)
    )


# --- solvers: (qubo, seed) -> (energy, extra facts); the caller times the call -----------------


Method = Callable[[QUBO, int], tuple[float, dict[str, Any]]]


def annealing(reads: int, sweeps: int) -> Method:
    def run(qubo: QUBO, seed: int) -> tuple[float, dict[str, Any]]:
        from dwave.samplers import SimulatedAnnealingSampler

        bqm = qubo_to_bqm(qubo)
        ss = SimulatedAnnealingSampler().sample(
            bqm, num_reads=reads, num_sweeps=sweeps, seed=seed, beta_range=ising_beta_range(bqm)
        )
        return float(ss.first.energy), {}

    return run


def tabu(timeout_ms: int) -> Method:
    def run(qubo: QUBO, seed: int) -> tuple[float, dict[str, Any]]:
        from dwave.samplers import TabuSampler

        ss = TabuSampler().sample(qubo_to_bqm(qubo), num_reads=1, timeout=timeout_ms, seed=seed)
        return float(ss.first.energy), {}

    return run


def steepest_descent(reads: int) -> Method:
    def run(qubo: QUBO, seed: int) -> tuple[float, dict[str, Any]]:
        from dwave.samplers import SteepestDescentSampler

        ss = SteepestDescentSampler().sample(qubo_to_bqm(qubo), num_reads=reads, seed=seed)
        return float(ss.first.energy), {}

    return run


def random_reads(reads: int) -> Method:
    def run(qubo: QUBO, seed: int) -> tuple[float, dict[str, Any]]:
        n = qubo.num_variables
        xs = np.random.default_rng(seed).integers(0, 2, size=(reads, n), dtype=np.int8)
        return float(np.min(qubo_to_bqm(qubo).energies((xs, range(n))))), {}

    return run


def decomposition(**kwargs: Any) -> Method:
    def run(qubo: QUBO, seed: int) -> tuple[float, dict[str, Any]]:
        # 16 samples, as the QUBO sampler asks by default.
        result = DecompositionSolver(**kwargs).solve(qubo, 16, seed=seed)
        keys = ("decomposition_iterations", "decomposition_improvements", "initial_energy")
        facts = {k: result.info[k] for k in keys}
        facts["subsolver_seconds"] = result.info["subsolver_seconds"]
        return float(result.energies[0]), facts

    return run


def methods() -> dict[str, Method]:
    out: dict[str, Method] = {}
    for reads, sweeps in (
        (1, 100),
        (8, 250),
        (16, 250),
        (1, 1000),
        (4, 1000),
        (1, 4000),
        (8, 1000),
        (2, 4000),
        (4, 4000),
    ):
        out[f"SA {reads} x {sweeps}"] = annealing(reads, sweeps)
    for timeout in (10, 50, 200):
        out[f"tabu {timeout} ms"] = tabu(timeout)
    for reads in (10, 100):
        out[f"steepest descent {reads}"] = steepest_descent(reads)
    for reads in (100, 1000):
        out[f"random {reads}"] = random_reads(reads)
    out["decomp. SA (default)"] = decomposition()
    out["decomp. SA, 64 reads/sub"] = decomposition(subsolver=make_solver("simulated_annealing"))
    out["decomp. SA, energy traversal"] = decomposition(traversal="energy")
    out["decomp. SA, size 50"] = decomposition(subproblem_size=50)
    out["decomp. tabu"] = decomposition(subsolver="tabu")
    out["decomp. SA, 1 x 4000 start"] = decomposition(initial_reads=1, initial_sweeps=4000)
    return out


# --- the run ----------------------------------------------------------------------------------


def _instance(family: str, n: int, seed: int) -> tuple[QUBO, float | None]:
    if family == "planted":
        return planted(n, seed)
    return glass(n, seed), None


def run(sizes: tuple[int, ...], seeds: tuple[int, ...], quiet: bool) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    conversion_ms: dict[int, float] = {}
    table = methods()
    warm = glass(64, 0)
    for method in table.values():  # imports and first-call costs out of the timings
        method(warm, 0)
    for family in FAMILIES:
        for n in sizes:
            for seed in seeds:
                qubo, optimum = _instance(family, n, seed)
                t0 = time.perf_counter()
                bqm = qubo_to_bqm(qubo)
                conversion_ms[n] = 1000 * (time.perf_counter() - t0)
                couplings = 2 * bqm.num_interactions / n
                rows = []
                for name, method in table.items():
                    start, cpu = time.perf_counter(), time.process_time()
                    energy, facts = method(qubo, seed)
                    seconds = time.perf_counter() - start
                    cpu_seconds = time.process_time() - cpu
                    rows.append(
                        {
                            "family": family,
                            "n": n,
                            "seed": seed,
                            "solver": name,
                            "ms": round(1000 * seconds, 3),
                            # This process's CPU time: what the solve costs when other jobs
                            # share the machine (the wall time above includes waiting).
                            "cpu_ms": round(1000 * cpu_seconds, 3),
                            "energy": energy,
                            "couplings_per_variable": round(couplings, 3),
                            **facts,
                        }
                    )
                if optimum is None:
                    reference = annealing(*REFERENCE)(qubo, seed)[0]
                    optimum = min([reference] + [r["energy"] for r in rows])
                    kind = "best known"
                else:
                    kind = "planted optimum"
                    # The planting guarantees it: no solver may go below the optimum.
                    assert all(r["energy"] >= optimum - 1e-6 for r in rows), (family, n, seed)
                for r in rows:
                    r["reference_energy"] = optimum
                    r["reference"] = kind
                    r["gap"] = (r["energy"] - optimum) / abs(optimum)
                runs.extend(rows)
                if not quiet:
                    print(f"{family} n={n} seed={seed}: done", flush=True)
    return {"runs": runs, "conversion_ms": conversion_ms}


def summarise(runs: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, float]]:
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["family"], r["solver"], r["n"]), []).append(r)
    return {
        key: {
            "gap_mean": float(np.mean([r["gap"] for r in rs])),
            "gap_max": float(np.max([r["gap"] for r in rs])),
            "hits": int(sum(r["gap"] < 1e-9 for r in rs)),
            "seeds": len(rs),
            "ms_mean": float(np.mean([r["ms"] for r in rs])),
            "cpu_ms_mean": float(np.mean([r["cpu_ms"] for r in rs])),
        }
        for key, rs in groups.items()
    }


def markdown(result: dict[str, Any]) -> str:
    summary = summarise(result["runs"])
    sizes = sorted({r["n"] for r in result["runs"]})
    solvers = list(dict.fromkeys(r["solver"] for r in result["runs"]))
    lines = []
    for family in FAMILIES:
        if not any(k[0] == family for k in summary):
            continue
        ref = "planted optimum" if family == "planted" else "best energy found"
        lines.append(
            f"### {family}: mean gap to the {ref} (hits/seeds), mean wall / CPU ms per solve"
        )
        lines.append("")
        lines.append("| solver | " + " | ".join(f"n = {n:,}" for n in sizes) + " |")
        lines.append("|---|" + "---:|" * len(sizes))
        for solver in solvers:
            cells = []
            for n in sizes:
                s = summary.get((family, solver, n))
                if s is None:
                    cells.append("")
                    continue
                cells.append(
                    f"{100 * s['gap_mean']:.2f} % ({s['hits']}/{s['seeds']}), "
                    f"{s['ms_mean']:.0f} / {s['cpu_ms_mean']:.0f} ms"
                )
            lines.append(f"| {solver} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.extend(_decomposition_table(result["runs"], sizes))
    conv = ", ".join(f"{n:,}: {ms:.1f} ms" for n, ms in sorted(result["conversion_ms"].items()))
    lines.append(f"QUBO -> BQM conversion (included in every time above): {conv}.")
    return "\n".join(lines)


def _decomposition_table(runs: list[dict[str, Any]], sizes: list[int]) -> list[str]:
    """Per decomposition setting: the gap of its initial anneal, the gap it ended at, and the
    iterations it ran (means over the seeds)."""
    lines = []
    for family in FAMILIES:
        rows = [r for r in runs if r["family"] == family and "decomposition_iterations" in r]
        if not rows:
            continue
        lines.append(f"### {family}, decomposition: gap of its start -> final gap, iterations")
        lines.append("")
        lines.append("| solver | " + " | ".join(f"n = {n:,}" for n in sizes) + " |")
        lines.append("|---|" + "---:|" * len(sizes))
        for solver in dict.fromkeys(r["solver"] for r in rows):
            cells = []
            for n in sizes:
                rs = [r for r in rows if r["solver"] == solver and r["n"] == n]
                if not rs:
                    cells.append("")
                elif any(r["initial_energy"] is None for r in rs):
                    cells.append("solved whole")
                else:
                    start = np.mean(
                        [
                            (r["initial_energy"] - r["reference_energy"])
                            / abs(r["reference_energy"])
                            for r in rs
                        ]
                    )
                    its = np.mean([r["decomposition_iterations"] for r in rs])
                    gap = np.mean([r["gap"] for r in rs])
                    cells.append(f"{100 * start:.2f} -> {100 * gap:.2f} %, {its:.0f} it.")
            lines.append(f"| {solver} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("numpy", "dimod", "dwave-samplers", "dwave-hybrid"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "missing"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("results/solver_scaling"))
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="QUBO widths to run"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="seeds")
    parser.add_argument("--quiet", action="store_true", help="print the tables only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run(tuple(args.sizes), tuple(args.seeds), args.quiet)
    text = markdown(result)
    result["machine"] = {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }
    result["versions"] = _versions()
    result["total_seconds"] = round(time.perf_counter() - start, 1)
    result["table"] = text
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "solver_scaling.json").write_text(json.dumps(result, indent=1))
    print(text)
    print(f"\n{result['total_seconds']} s in all; wrote {args.out / 'solver_scaling.json'}")


if __name__ == "__main__":
    main()
