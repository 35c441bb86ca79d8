"""QAOA cost and quality vs qubits, beside a numpy state-vector floor and simulated annealing.

Part 1 (cost): time and peak memory per proposal for the exact state vector, shot sampling and
matrix-product-state backends at 10/14/18/22/26 qubits, and for the decomposed path at 40/60 bits.
Each configuration runs in its own process (peak RSS is that process's ``ru_maxrss``). Where a
whole solve fits the time budget it is measured (a cold solve, then a warm-started solve of a
slightly changed QUBO, which is what consecutive trials look like); wider circuits get the time of
one circuit evaluation, and the per-proposal estimate is that time x the warm solve's measured
number of evaluations. The floor is a few-line numpy simulation of the same circuit.

Part 2 (quality): on random dense QUBOs (brute-force optimum), the approximation ratio
``(E_max - <E>) / (E_max - E_min)``, the probability of the exact optimum in the final state, and
whether it is among the 16 most probable bitstrings, vs qubits and reps; simulated annealing
(dwave-samplers, 16 reads) on the same QUBOs.

A solver micro-benchmark (no sampler, no study); the sampler comparisons are the suites of
``benchmarks/run.py``.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/qaoa_scaling.py

Writes results/qaoa_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

from optuna_qnas import QUBO


def random_qubo(n: int, seed: int) -> QUBO:
    rng = np.random.default_rng(seed)
    return QUBO.from_dense(rng.normal(size=(n, n)))


# --- the floor: a few-line numpy QAOA of the same circuit -------------------------------------


def all_energies(qubo: QUBO) -> np.ndarray:
    """Energy of every bitstring, shape ``(2^n,)``; bit ``i`` of the index is ``x_i``.

    Built one variable at a time: adding ``x_k`` appends ``E + linear[k] + c``, where ``c``, the
    coupling ``sum_{i<k} Q[i, k] x_i`` of every state so far, is itself built by doubling. Memory
    stays at a few floats per state.
    """
    e = np.array([qubo.offset])
    for k in range(qubo.num_variables):
        coupling = np.zeros(1)
        for i in range(k):
            coupling = np.concatenate([coupling, coupling + qubo.quadratic[i, k]])
        e = np.concatenate([e, e + qubo.linear[k] + coupling])
    return e


def ising_scale(qubo: QUBO) -> float:
    """The solver's Hamiltonian normalisation: the root-mean-square Ising field and coupling.

    With ``z = 1 - 2x`` the QUBO is ``const + h.z + z^T J z``; the scale is
    ``sqrt((sum h^2 + sum J^2) / n)`` (QAOASolver divides the cost Hamiltonian by it).
    """
    q = qubo.quadratic
    h = -qubo.linear / 2.0 - (q + q.T).sum(axis=1) / 4.0
    n = max(qubo.num_variables, 1)
    scale = float(np.sqrt((np.sum(h**2) + np.sum((q / 4.0) ** 2)) / n))
    return scale if scale > 0 else 1.0


def linear_ramp(reps: int, delta: float) -> np.ndarray:
    """Angles ``[gamma_1..gamma_p, beta_1..beta_p]``: gamma rising, beta falling, to ``delta``."""
    t = (np.arange(reps) + 0.5) / reps
    return np.concatenate([t * delta, (1.0 - t) * delta])


def numpy_qaoa_probs(energies: np.ndarray, scale: float, theta: np.ndarray) -> np.ndarray:
    """``|<x| prod_l exp(i b_l sum X) exp(-i g_l E / scale) |+>^n|^2`` for all x.

    Bit ``i`` of ``x`` is qubit ``i``.
    """
    n = int(np.log2(energies.size))
    p = len(theta) // 2
    psi = np.full(energies.size, 2 ** (-n / 2), dtype=complex)
    for g, b in zip(theta[:p], theta[p:]):
        psi *= np.exp(-1j * g * energies / scale)
        c, s = np.cos(b), 1j * np.sin(b)
        for q in range(n):
            v = psi.reshape(-1, 2, 2**q)
            a0 = v[:, 0, :].copy()
            v[:, 0, :] = c * a0 + s * v[:, 1, :]
            v[:, 1, :] = s * a0 + c * v[:, 1, :]
    return np.abs(psi) ** 2


# --- part 1: one configuration per process ----------------------------------------------------


def child(cfg: dict[str, Any]) -> dict[str, Any]:
    from optuna_qnas.solvers import QAOASolver

    n, reps, kind, mode = cfg["n"], cfg["reps"], cfg["backend"], cfg["mode"]
    qubo = random_qubo(n, 1000 + n)
    nudged = QUBO(
        qubo.linear + 0.05 * np.random.default_rng(1).normal(size=n), qubo.quadratic, qubo.offset
    )
    out: dict[str, Any] = dict(cfg)
    theta = linear_ramp(reps, 0.8)
    if mode == "numpy":
        t0 = time.perf_counter()
        e = all_energies(qubo)
        scale = ising_scale(qubo)
        out["energies_seconds"] = time.perf_counter() - t0
        times, cpus = [], []
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            probs = numpy_qaoa_probs(e, scale, theta)
            float(probs @ e)
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        out["eval_seconds"] = float(np.median(times))
        out["eval_cpu_seconds"] = float(np.median(cpus))
    elif mode == "naive":
        # The textbook route: MinimumEigenOptimizer(QAOA(Aer SamplerV2, COBYLA(100))) with its
        # defaults (random initial point), plus a pass manager so the V2 sampler does not warn.
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_aer import AerSimulator
        from qiskit_aer.primitives import SamplerV2
        from qiskit_optimization import QuadraticProgram
        from qiskit_optimization.algorithms import MinimumEigenOptimizer
        from qiskit_optimization.minimum_eigensolvers import QAOA
        from qiskit_optimization.optimizers import COBYLA
        from qiskit_optimization.utils import algorithm_globals

        program = QuadraticProgram()
        for i in range(n):
            program.binary_var(f"x{i}")
        rows, cols = np.nonzero(qubo.quadratic)
        program.minimize(
            constant=qubo.offset,
            linear=qubo.linear.tolist(),
            quadratic={(int(a), int(b)): float(qubo.quadratic[a, b]) for a, b in zip(rows, cols)},
        )
        algorithm_globals.random_seed = 0
        pm = generate_preset_pass_manager(optimization_level=1, backend=AerSimulator())
        qaoa = QAOA(SamplerV2(seed=0), COBYLA(maxiter=100), reps=reps, pass_manager=pm)
        t0, c0 = time.perf_counter(), time.process_time()
        res = MinimumEigenOptimizer(qaoa).solve(program)
        out["cold_seconds"] = time.perf_counter() - t0
        out["cold_cpu_seconds"] = time.process_time() - c0
        eigen: Any = res.min_eigen_solver_result
        out["cold_evaluations"] = int(eigen.cost_function_evals)
        out["found_optimum"] = bool(np.isclose(float(res.fval or 0.0), all_energies(qubo).min()))
    elif mode == "solve":
        solver = QAOASolver(
            reps=reps,
            backend=kind,
            max_qubits=cfg.get("max_qubits") or n,
            engine=cfg.get("engine", "aer"),
        )
        t0, c0 = time.perf_counter(), time.process_time()
        cold = solver.solve(qubo, 16, seed=0)
        out["cold_seconds"] = time.perf_counter() - t0
        out["cold_cpu_seconds"] = time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        warm = solver.solve(nudged, 16, seed=1)
        out["warm_seconds"] = time.perf_counter() - t0
        out["warm_cpu_seconds"] = time.process_time() - c0
        out["cold_evaluations"] = cold.info["circuit_evaluations"]
        out["warm_evaluations"] = warm.info["circuit_evaluations"]
        out["decomposed"] = warm.info["decomposed"]
        if not warm.info["decomposed"] and n <= 20:
            e = all_energies(nudged)
            out["found_optimum_warm"] = bool(np.isclose(warm.energies.min(), e.min()))
        if warm.info["decomposed"]:
            out["decomposition_rounds"] = warm.info["decomposition_rounds"]
            out["improvements_over_annealing"] = [
                cold.info["decomposition_improvements"],
                warm.info["decomposition_improvements"],
            ]
        out["eval_seconds"] = (
            warm.info["seconds"]["optimise"] / max(warm.info["optimizer_evaluations"], 1)
            if "seconds" in warm.info
            else None
        )
        out["warm_eval_cpu_seconds"] = out["warm_cpu_seconds"] / max(out["warm_evaluations"], 1)
    else:  # one circuit evaluation
        # The solver with a minimiser of our own that only times evaluations of its objective
        # (each one circuit run) at the starting angles.
        from qiskit_optimization.optimizers import OptimizerResult

        times, cpus = [], []

        def time_evaluations(fun: Any, x0: np.ndarray) -> OptimizerResult:
            for _ in range(cfg.get("repeats", 2)):
                t0, c0 = time.perf_counter(), time.process_time()
                value = fun(x0)
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            result = OptimizerResult()
            result.x, result.fun, result.nfev = x0, value, len(times)
            return result

        solver = QAOASolver(
            reps=reps,
            backend=kind,
            max_qubits=n,
            optimizer=time_evaluations,
            initial_point=theta,
            warm_start=False,
        )
        t0 = time.perf_counter()
        result = solver.solve(qubo, 16, seed=0)
        out["solve_seconds"] = time.perf_counter() - t0
        out["setup_seconds"] = result.info["seconds"]["build"]
        out["eval_seconds"] = float(np.median(times))
        out["eval_cpu_seconds"] = float(np.median(cpus))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def run_child(cfg: dict[str, Any], timeout: float) -> dict[str, Any]:
    code = (
        "import json, sys; from benchmarks.qaoa_scaling import child; "
        "print(json.dumps(child(json.loads(sys.argv[1]))))"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(cfg)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=Path(__file__).resolve().parents[1],
        )
    except subprocess.TimeoutExpired:
        return dict(cfg, error=f"timeout after {timeout:.0f} s")
    if proc.returncode != 0:
        return dict(
            cfg,
            error=proc.stderr.strip().splitlines()[-1]
            if proc.stderr.strip()
            else f"rc={proc.returncode}",
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def engine_configs() -> list[dict[str, Any]]:
    """The lean Aer engine, qiskit-optimization's MinimumEigenOptimizer(QAOA), the naive route."""
    cfgs: list[dict[str, Any]] = []
    for n in (10, 14):
        cfgs.append(
            {"n": n, "reps": 2, "backend": "statevector", "mode": "solve", "engine": "aer"}
        )
        cfgs.append(
            {
                "n": n,
                "reps": 2,
                "backend": "statevector",
                "mode": "solve",
                "engine": "qiskit_optimization",
            }
        )
        cfgs.append({"n": n, "reps": 2, "backend": "aer_sampler_v2", "mode": "naive"})
    return cfgs


def cost_configs(quick: bool) -> list[dict[str, Any]]:
    cfgs: list[dict[str, Any]] = []
    sizes = (10, 14) if quick else (10, 14, 18, 22, 26)
    for n in sizes:
        cfgs.append({"n": n, "reps": 2 if n <= 18 else 1, "backend": "numpy", "mode": "numpy"})
        for kind in ("statevector", "shots", "mps"):
            full = n <= (18 if kind != "mps" else 10)
            cfgs.append(
                {
                    "n": n,
                    "reps": 2 if n <= 18 else 1,
                    "backend": kind,
                    "mode": "solve" if full else "eval",
                }
            )
    for n in () if quick else (40, 60):
        cfgs.append(
            {"n": n, "reps": 2, "backend": "statevector", "mode": "solve", "max_qubits": 14}
        )
    return cfgs


# --- part 2: quality --------------------------------------------------------------------------


def quality(
    sizes: tuple[int, ...], reps_list: tuple[int, ...], seeds: int
) -> list[dict[str, Any]]:
    import dimod
    from dwave.samplers import SimulatedAnnealingSampler

    from optuna_qnas.solvers import QAOASolver

    rows = []
    for n in sizes:
        for seed in range(seeds):
            qubo = random_qubo(n, 2000 + 10 * n + seed)
            e = all_energies(qubo)
            e_min, e_max = float(e.min()), float(e.max())
            opt = int(np.argmin(e))
            bqm = dimod.BinaryQuadraticModel(
                qubo.linear, qubo.quadratic, qubo.offset, dimod.BINARY
            )
            t0 = time.perf_counter()
            ss = SimulatedAnnealingSampler().sample(bqm, num_reads=16, seed=seed)
            t_sa = time.perf_counter() - t0
            reads = np.array([[sample[i] for i in range(n)] for sample in ss.samples()])
            read_e = qubo.energies(reads)
            rows.append(
                {
                    "solver": "simulated_annealing",
                    "n": n,
                    "seed": seed,
                    "reps": None,
                    "approx_ratio": float((e_max - read_e.mean()) / (e_max - e_min)),
                    "p_optimum": float(np.mean(np.isclose(read_e, e_min))),
                    "optimum_in_top16": bool(np.isclose(read_e.min(), e_min)),
                    "seconds": t_sa,
                }
            )
            for reps in reps_list:
                solver = QAOASolver(reps=reps, max_qubits=n, warm_start=False)
                t0 = time.perf_counter()
                res = solver.solve(qubo, 16, seed=seed)
                t_q = time.perf_counter() - t0
                point = np.array(res.info["optimal_point"])
                probs = numpy_qaoa_probs(e, ising_scale(qubo), point)
                rows.append(
                    {
                        "solver": "qaoa",
                        "n": n,
                        "seed": seed,
                        "reps": reps,
                        "approx_ratio": float((e_max - probs @ e) / (e_max - e_min)),
                        "p_optimum": float(probs[opt]),
                        "optimum_in_top16": bool(np.isclose(res.energies.min(), e_min)),
                        "evaluations": res.info["circuit_evaluations"],
                        "seconds": t_q,
                        "p_optimum_uniform": 1.0 / 2**n,
                    }
                )
            print(f"quality n={n} seed={seed} done", flush=True)
    return rows


def summarise_quality(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = sorted({(r["solver"], r["n"], r["reps"] or 0) for r in rows})
    out = []
    for solver, n, reps in keys:
        sel = [
            r for r in rows if r["solver"] == solver and r["n"] == n and (r["reps"] or 0) == reps
        ]
        out.append(
            {
                "solver": solver,
                "n": n,
                "reps": reps or None,
                "cases": len(sel),
                "approx_ratio_mean": float(np.mean([r["approx_ratio"] for r in sel])),
                "p_optimum_mean": float(np.mean([r["p_optimum"] for r in sel])),
                "optimum_in_top16_rate": float(np.mean([r["optimum_in_top16"] for r in sel])),
                "seconds_mean": float(np.mean([r["seconds"] for r in sel])),
            }
        )
    return out


def markdown(paths: list[str]) -> str:
    """Markdown tables (as in docs/qiskit.md) from result files of this script."""
    data: dict[str, Any] = {}
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for path in paths:
        if Path(path).exists():
            loaded = json.loads(Path(path).read_text())
            for r in loaded.pop("cost", []):
                key = (r["n"], r["backend"], r["mode"])
                # A later file's row replaces an earlier one unless the later one failed.
                if key not in rows or "error" not in r:
                    rows[key] = r
            data.update(loaded)
    if rows:
        order = ["numpy", "statevector", "shots", "mps"]
        data["cost"] = sorted(rows.values(), key=lambda c: (c["n"], order.index(c["backend"])))

    def f(x: Any, digits: int = 2) -> str:
        return "-" if x is None else (f"{x:.{digits}f}" if isinstance(x, float) else str(x))

    lines: list[str] = []
    if "cost" in data:
        lines += [
            "| qubits | backend | reps | CPU s / evaluation | CPU s / warm proposal "
            "| evaluations (cold / warm) | peak RSS MB |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in data["cost"]:
            label = r["backend"] + (
                " (decomposed, 14-qubit sub-QUBOs)" if r.get("max_qubits") else ""
            )
            if "error" in r:
                lines.append(f"| {r['n']} | {label} | {r['reps']} | {r['error']} | | | |")
                continue
            per_eval = r.get("eval_cpu_seconds", r.get("warm_eval_cpu_seconds"))
            warm = r.get("warm_cpu_seconds")
            evals = (
                f"{r['cold_evaluations']} / {r['warm_evaluations']}"
                if "warm_evaluations" in r
                else "-"
            )
            if warm is None and per_eval is not None and r["backend"] != "numpy":
                warm_txt = f"~{per_eval * 12:.1f} (12 x evaluation)"
            else:
                warm_txt = f(warm)
            lines.append(
                f"| {r['n']} | {label} | {r['reps']} | {f(per_eval, 4)} | {warm_txt} | {evals} "
                f"| {f(r.get('peak_rss_mb'), 0)} |"
            )
    if "engines" in data:
        lines += [
            "",
            "| qubits | engine | CPU s cold solve | CPU s warm solve | evaluations (cold / warm) "
            "| optimum found |",
            "|---|---|---|---|---|---|",
        ]
        for r in data["engines"]:
            if "error" in r:
                lines.append(f"| {r['n']} | {r.get('engine', r['mode'])} | {r['error']} | | | |")
                continue
            name = (
                "naive MinimumEigenOptimizer(QAOA(SamplerV2, COBYLA(100)))"
                if r["mode"] == "naive"
                else r["engine"]
            )
            evals = f"{r['cold_evaluations']} / {r.get('warm_evaluations', '-')}"
            found = r.get("found_optimum_warm", r.get("found_optimum"))
            lines.append(
                f"| {r['n']} | {name} | {f(r.get('cold_cpu_seconds'))} "
                f"| {f(r.get('warm_cpu_seconds'))} | {evals} | {found} |"
            )
    if "quality" in data:
        lines += [
            "",
            "| qubits | solver | reps | approx. ratio | P(exact optimum) | optimum in top 16 "
            "| cases |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in data["quality"]:
            lines.append(
                f"| {r['n']} | {r['solver']} | {f(r['reps'])} | {r['approx_ratio_mean']:.3f} "
                f"| {r['p_optimum_mean']:.3f} | "
                f"{r['optimum_in_top16_rate']:.2f} | {r['cases']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="10/14 qubits only, fewer quality cases"
    )
    parser.add_argument(
        "--timeout", type=float, default=240.0, help="seconds per cost configuration"
    )
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--engines",
        action="store_true",
        help="only compare engines (aer, qiskit_optimization, naive)",
    )
    parser.add_argument(
        "--redo-missing-cpu", action="store_true", help="re-measure cost rows without CPU times"
    )
    parser.add_argument(
        "--rows",
        nargs="*",
        default=None,
        help="(re-)measure cost rows n:backend:mode[:max_qubits]",
    )
    parser.add_argument("--out", default="results/qaoa_scaling.json")
    parser.add_argument(
        "--table",
        nargs="*",
        default=None,
        help="print Markdown tables from these result files and exit",
    )
    args = parser.parse_args(argv)
    if args.table is not None:
        print(markdown(args.table or [args.out]))
        return
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs (shared with other jobs), "
        f"Python {platform.python_version()}",
        "threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "command": " ".join(["python"] + sys.argv),
    }
    if out_path.exists():
        try:
            payload = {**json.loads(out_path.read_text()), **payload}
        except ValueError:
            pass
    if args.rows:
        # (Re-)measure the named rows, e.g. 60:statevector:solve:14 22:statevector:eval
        cost = payload.get("cost", [])
        for spec in args.rows:
            parts = spec.split(":")
            n, kind, mode = int(parts[0]), parts[1], parts[2]
            cfg: dict[str, Any] = {
                "n": n,
                "reps": 2 if n <= 18 or mode == "solve" else 1,
                "backend": kind,
                "mode": mode,
            }
            if len(parts) > 3:
                cfg["max_qubits"] = int(parts[3])
            r = run_child(cfg, args.timeout)
            key = (n, kind, mode)
            cost = [c for c in cost if (c["n"], c["backend"], c["mode"]) != key] + [r]
            cost.sort(
                key=lambda c: (
                    c["n"],
                    ["numpy", "statevector", "shots", "mps"].index(c["backend"]),
                )
            )
            print(json.dumps(r), flush=True)
            payload["cost"] = cost
            out_path.write_text(json.dumps(payload, indent=1))
        return
    if args.redo_missing_cpu:
        # Rows measured before CPU times were recorded (or that failed): measure them again.
        cost = payload.get("cost", [])
        for i, r in enumerate(cost):
            if not any(k in r for k in ("eval_cpu_seconds", "warm_cpu_seconds")):
                cfg = {
                    k: r[k]
                    for k in ("n", "reps", "backend", "mode", "max_qubits", "engine")
                    if k in r
                }
                cost[i] = run_child(cfg, args.timeout)
                print(json.dumps(cost[i]), flush=True)
                payload["cost"] = cost
                out_path.write_text(json.dumps(payload, indent=1))
        return
    if args.engines:
        rows = []
        for cfg in engine_configs():
            r = run_child(cfg, args.timeout)
            rows.append(r)
            print(json.dumps(r), flush=True)
            payload["engines"] = rows
            out_path.write_text(json.dumps(payload, indent=1))
        return
    if not args.skip_cost:
        cost = []
        for cfg in cost_configs(args.quick):
            r = run_child(cfg, args.timeout)
            cost.append(r)
            print(json.dumps(r), flush=True)
            payload["cost"] = cost
            out_path.write_text(json.dumps(payload, indent=1))
    if not args.skip_quality:
        sizes = (8, 10) if args.quick else (8, 10, 12, 14, 16)
        rows = quality(sizes, (1, 2) if args.quick else (1, 2, 3), 2 if args.quick else 4)
        payload["quality_cases"] = rows
        payload["quality"] = summarise_quality(rows)
        for row in payload["quality"]:
            print(json.dumps(row), flush=True)
        out_path.write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
