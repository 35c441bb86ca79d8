"""Error mitigation (mthree, zero-noise extrapolation) for QAOA on a noisy simulated device, on
NAS-Bench-201 QUBOs.

The QUBOs are the sampler's own: for each of ``--n-qubos`` study seeds, a short study on
``nasbench201-cifar10`` (``optuna_qnas.problems``) runs ``QuantumAnnealingSampler`` with the
binary encoding (6 edges x 3 bits = 18 bits) and one solve per proposal
(``PoolSettings(n_draws=0)``) through a solver that records every QUBO it is given; the last one
(the surrogate's posterior mean at the study's last proposal) is kept. It is cut to ``--qubits``
bits with ``QUBO.restricted``: the edges are taken in a random order (seeded by the study seed),
whole edges (3 bits) are left free first and, where the width is not a multiple of 3, the low bits
of one more edge; every other bit is fixed at the study's best cell.

Solve rows: each sub-QUBO is solved with QAOA (``--seeds`` solve seeds each) in the settings of
``--settings`` (default: the first three):

* noiseless: the exact state vector (``backend="statevector"``);
* noisy: Aer with a fake IBM device's noise model (``backend="noisy:<device>"``), ``--shots`` shots
  per circuit, transpiled onto the device;
* noisy+mthree: the same with ``mitigation="mthree"`` (the optimiser sees mitigated values,
  and the final sample is mitigated);
* noisy+zne / noisy+mthree+zne: ``mitigation="zne"`` / ``"mthree+zne"`` (the optimiser sees the
  objective extrapolated to zero noise; the final sample is the unfolded circuit's), with the
  package's default settings unless ``--zne-scales`` / ``--zne-extrapolation`` say otherwise.

For each run, on the final distribution of the optimised circuit (exact probabilities for the
noiseless run, sampled frequencies otherwise, re-sampled at the solve's angles with the solve's
seed, which reproduces the solve's final sample): the probability of the QUBO's ground state
(``QUBO.brute_force``), the mean energy above the ground state, that gap as a fraction of a
uniformly random guess's, and whether the ground state is among the solver's returned samples.
The "noisy, raw counts at the mitigated run's angles" row separates what the correction itself
does from what it does to the optimisation.

Fixed-angle rows (the classic ZNE measurement; ``--fixed-scales``, empty to skip): at the
noiseless solve's optimal angles, the exact energy expectation against the noisy estimates of the
circuit folded to each scale factor (one sampler job, the solve's seed), from raw counts and from
the same counts readout-corrected with mthree; the table extrapolates them in several ways.

Every solve is cold (``warm_start=False``) so runs are independent; one solver per setting is
reused, so each mitigated sub-QUBO layout is calibrated once. The noiseless solve does not depend
on the seed (exact probabilities, fixed starting angles), so its spread is across QUBOs only.

Solve seeds: the first ``--seeds`` seeds, from 0, whose transpiled circuit stays on
``--qubits`` physical qubits. The transpiler's routing sometimes moves states through extra
qubits of the device (seen: 13 for a 10-qubit circuit), and Aer then simulates a 13-qubit noisy
state, 64 times the cost of a 10-qubit density matrix (one such solve took 20 CPU minutes); the
seeds passed over are recorded in the JSON.

    OMP_NUM_THREADS=1 python benchmarks/mitigation.py --out results/mitigation.json
    OMP_NUM_THREADS=1 python benchmarks/mitigation.py --n-qubos 5 --seeds 2 \
        --settings noiseless,noisy,noisy+mthree,noisy+zne,noisy+mthree+zne \
        --out results/mitigation_zne10.json
    OMP_NUM_THREADS=1 python benchmarks/mitigation.py --qubits 12 --settings noiseless \
        --n-qubos 3 --seeds 1 --fixed-scales 1,2,3 --aer-method density_matrix \
        --out results/mitigation_zne12_fixed.json

At 10 qubits one noisy evaluation costs about 1.3 CPU s on a 2-core CPU machine (Aer picks its
density-matrix method, 4^10 entries); at 12 qubits Aer's automatic choice samples state-vector
trajectories (23 CPU s per 1,024-shot circuit, growing with depth and shots), while
``--aer-method density_matrix`` takes about 30 CPU s per 4,096-shot circuit, nearly independent
of depth.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any

import numpy as np


def record_qubos(
    problem_name: str, study_seed: int, n_trials: int
) -> tuple[Any, np.ndarray, np.ndarray]:
    """The last QUBO a short binary-encoded annealing study solves, and its best cell's bits."""
    import optuna
    from optuna.search_space import IntersectionSearchSpace

    from optuna_qnas import PoolSettings
    from optuna_qnas import QuantumAnnealingSampler
    from optuna_qnas._qubo._encoding import SearchSpaceEncoding
    from optuna_qnas.problems import get_problem
    from optuna_qnas.solvers import make_solver

    class Recorder:
        """Simulated annealing that keeps every QUBO it is asked to solve."""

        def __init__(self) -> None:
            self.inner = make_solver("simulated_annealing")
            self.qubos: list[Any] = []

        @property
        def max_variables(self) -> int | None:
            return getattr(self.inner, "max_variables", None)

        def solve(self, qubo: Any, num_samples: int, seed: int | None = None) -> Any:
            self.qubos.append(qubo)
            return self.inner.solve(qubo, num_samples, seed)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = get_problem(problem_name)
    recorder = Recorder()
    sampler = QuantumAnnealingSampler(
        solver=recorder,
        encoding="binary",
        pool=PoolSettings(n_draws=0),
        n_startup_trials=10,
        seed=study_seed,
    )
    directions: list[Any] = list(problem.directions)
    study = optuna.create_study(directions=directions, sampler=sampler)
    study.optimize(problem.make_objective(study_seed), n_trials=n_trials)
    # The sampler encodes the intersection search space (sorted by name) without fixed values.
    space = {
        name: dist
        for name, dist in IntersectionSearchSpace(include_pruned=True).calculate(study).items()
        if not dist.single()
    }
    enc = SearchSpaceEncoding(space, "binary")
    qubo = recorder.qubos[-1]
    if qubo.num_variables != enc.n_bits:
        raise RuntimeError(f"recorded a {qubo.num_variables}-bit QUBO for {enc.n_bits} bits")
    return qubo, enc.encode(study.best_trial.params), enc.offsets


def sub_qubo(qubo: Any, best_bits: np.ndarray, offsets: np.ndarray, width: int, seed: int) -> Any:
    """``width`` free bits: whole parameters in a seeded random order, then low bits of one
    more; the rest fixed at ``best_bits``."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(offsets) - 1)
    free = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in order])[:width]
    return qubo.restricted(np.sort(free), best_bits), np.sort(free)


def routed_width(solver: Any, qubo: Any, seed: int) -> int:
    """Physical qubits the solver's circuit for ``qubo`` touches once transpiled with ``seed``."""
    circuit, _ = solver._circuit(qubo)
    circuit = circuit.copy()
    circuit.measure_all()
    routed = solver.backend.pass_manager_for(seed).run(circuit)
    return len(
        {
            routed.find_bit(q).index
            for inst in routed.data
            if inst.operation.name != "barrier"
            for q in inst.qubits
        }
    )


def solve_seeds(solver: Any, qubo: Any, count: int) -> tuple[list[int], list[int]]:
    """The first ``count`` seeds whose routed circuit stays on ``qubo.num_variables`` qubits, and
    the seeds passed over."""
    chosen: list[int] = []
    passed: list[int] = []
    seed = 0
    while len(chosen) < count:
        if routed_width(solver, qubo, seed) == qubo.num_variables:
            chosen.append(seed)
        else:
            passed.append(seed)
        seed += 1
    return chosen, passed


def distribution_metrics(qubo: Any, bits: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    _, all_energies = qubo.brute_force()
    e0 = float(all_energies.min())
    scale = max(float(np.ptp(all_energies)), 1e-12)
    energies = qubo.energies(bits)
    ground = energies <= e0 + 1e-9 * scale
    gap = float(np.dot(probs, energies - e0))
    uniform_gap = float(all_energies.mean() - e0)
    return {
        "p_ground": float(probs[ground].sum()),
        "mean_gap": gap,
        "gap_vs_uniform": gap / max(uniform_gap, 1e-12),
    }


ALL_SETTINGS = ("noiseless", "noisy", "noisy+mthree", "noisy+zne", "noisy+mthree+zne")
MITIGATION_OF: dict[str, str | None] = {
    "noisy": None,
    "noisy+mthree": "mthree",
    "noisy+zne": "zne",
    "noisy+mthree+zne": "mthree+zne",
}


def use_aer_method(solver: Any, method: str | None) -> None:
    """Make the solver's noisy simulator use Aer's ``method`` (``None``: Aer's automatic choice,
    the package's default)."""
    if method is None or solver.backend.kind != "noisy":
        return
    from qiskit_aer import AerSimulator

    solver.backend._cache["noisy_simulator"] = AerSimulator.from_backend(
        solver.backend.device, method=method
    )


def fixed_angle_row(
    qubo: Any,
    point: list[float],
    noiseless: Any,
    zne_solver: Any,
    mitigator: Any,
    seed: int,
    shots: int,
) -> dict[str, Any]:
    """The energy expectation at ``point``: exact, and on the noisy device at every scale factor
    of ``zne_solver`` (raw counts and the same counts readout-mitigated)."""
    from optuna_qnas.solvers._qiskit_variational import _Evaluator

    cpu = time.process_time()
    bits, probs = noiseless.distribution(qubo, point)
    exact = float(np.dot(probs, qubo.energies(bits)))
    circuit, params = zne_solver._circuit(qubo)
    ev = _Evaluator(qubo, circuit, params, zne_solver.backend, cvar_alpha=None, seed=seed)
    qubits = mitigator.measured_qubits(ev.circuits[0])
    raw: list[float] = []
    mitigated: list[float] = []
    for idx, p, e in ev.distributions(np.asarray(point, dtype=float), all_scales=True):
        raw.append(float(np.dot(p, e)))
        counts = np.rint(p * shots)
        mitigated.append(float(np.dot(mitigator.apply(idx, counts, qubits), e)))
    _, all_energies = qubo.brute_force()
    return {
        "exact": exact,
        "uniform_mean": float(all_energies.mean()),
        "ground_energy": float(all_energies.min()),
        "nominal_scales": list(zne_solver.backend.zne.scale_factors),
        "scales": [round(x, 6) for x in ev.scales],
        "raw": raw,
        "mthree": mitigated,
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from optuna_qnas.solvers._qiskit import QAOASolver
    from optuna_qnas.solvers._qiskit_mitigation import ReadoutMitigator

    common: dict[str, Any] = dict(
        reps=args.reps,
        maxiter=args.maxiter,
        max_qubits=args.qubits,
        decompose=False,
        warm_start=False,
    )
    noisy = f"noisy:{args.device}"
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = sorted(set(settings) - set(ALL_SETTINGS))
    if unknown or not settings or settings[0] != "noiseless":
        raise SystemExit(
            f"--settings: unknown {unknown} or noiseless not first (choose from {ALL_SETTINGS})"
        )
    # ZNE settings after colons ("zne:1,2,3:linear"); none: the package's defaults.
    zne_setting = "".join(
        f":{v}"
        for v in (
            None if args.zne_scales is None else ",".join(f"{x:g}" for x in args.zne_scales),
            args.zne_extrapolation,
        )
        if v is not None
    )
    solvers: dict[str, Any] = {"noiseless": QAOASolver(backend="statevector", **common)}
    for setting in settings[1:]:
        method = MITIGATION_OF[setting]
        mitigation = method
        if method is not None and "zne" in method:
            mitigation = method + zne_setting
        solvers[setting] = QAOASolver(
            backend=noisy, shots=args.shots, mitigation=mitigation, **common
        )
    # Picks the seeds, and runs the fixed-angle rows (every scale factor of --fixed-scales).
    probe = QAOASolver(
        backend=noisy,
        shots=args.shots,
        mitigation="zne:" + ",".join(f"{x:g}" for x in args.fixed_scales or [1.0, 3.0]),
        **common,
    )
    for solver in [*solvers.values(), probe]:
        use_aer_method(solver, args.aer_method)
    mitigator = (
        solvers["noisy+mthree"].backend.mitigator
        if "noisy+mthree" in solvers
        else ReadoutMitigator(probe.backend.device)
    )
    rows: list[dict[str, Any]] = []
    fixed: list[dict[str, Any]] = []
    qubos: list[dict[str, Any]] = []
    for q in range(args.n_qubos):
        t0 = time.perf_counter()
        full, best_bits, offsets = record_qubos(args.problem, q, args.trials)
        qubo, free = sub_qubo(full, best_bits, offsets, args.qubits, q)
        _, energies = qubo.brute_force()
        seeds, passed = solve_seeds(probe, qubo, args.seeds)
        qubos.append(
            {
                "study_seed": q,
                "free_bits": free.tolist(),
                "ground_energy": float(energies.min()),
                "solve_seeds": seeds,
                "seeds_passed_over": passed,
                "study_seconds": round(time.perf_counter() - t0, 2),
            }
        )
        for seed in seeds:
            points: dict[str, Any] = {}
            for setting, solver in solvers.items():
                cpu = time.process_time()
                res = solver.solve(qubo, 16, seed=seed)
                cpu = time.process_time() - cpu
                point = res.info["optimal_point"]
                points[setting] = point
                bits, probs = solver.distribution(qubo, point, seed=seed)
                rows.append(
                    {
                        "qubo": q,
                        "seed": seed,
                        "setting": setting,
                        **distribution_metrics(qubo, bits, probs),
                        "ground_in_samples": bool(np.isclose(res.energies.min(), energies.min())),
                        "circuit_evaluations": res.info["circuit_evaluations"],
                        "solve_cpu_seconds": round(cpu, 3),
                        **({"zne": res.info["zne"]} if "zne" in res.info else {}),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
                if setting == "noiseless" and args.fixed_scales:
                    fixed.append(
                        {
                            "qubo": q,
                            "seed": seed,
                            **fixed_angle_row(
                                qubo, point, solver, probe, mitigator, seed, args.shots
                            ),
                        }
                    )
                    print(json.dumps(fixed[-1]), flush=True)
            if "noisy+mthree" in points and "noisy" in solvers:
                # The raw counts the mitigated run corrected: same angles, seed and layout, no M3.
                bits, probs = solvers["noisy"].distribution(
                    qubo, points["noisy+mthree"], seed=seed
                )
                rows.append(
                    {
                        "qubo": q,
                        "seed": seed,
                        "setting": "noisy raw, mitigated run's angles",
                        **distribution_metrics(qubo, bits, probs),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    return {
        "config": vars(args),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "qubos": qubos,
        "rows": rows,
        "fixed_angles": fixed,
        # Every readout calibration any solver (or the fixed-angle rows) built.
        "calibrations_built": sum(
            m.calibrations_built
            for m in {
                id(m): m
                for m in [mitigator] + [v.backend.mitigator for v in solvers.values()]
                if m is not None
            }.values()
        ),
        "uniform_p_ground": 1.0 / 2**args.qubits,
    }


SETTINGS = (
    "noiseless",
    "noisy",
    "noisy+mthree",
    "noisy raw, mitigated run's angles",
    "noisy+zne",
    "noisy+mthree+zne",
)
#: The zero-noise extrapolations the fixed-angle table compares: (scale factors, method).
ZNE_CANDIDATES = (
    ((1.0, 2.0), "exponential"),
    ((1.0, 1.5, 2.0), "exponential"),
    ((1.0, 2.0, 3.0), "exponential"),
    ((1.0, 3.0), "exponential"),
    ((1.0, 2.0, 3.0), "linear"),
    ((1.0, 2.0, 3.0), "richardson"),
    ((1.0, 1.5, 2.0), "linear"),
    ((1.0, 3.0), "linear"),
    ((1.0, 3.0, 5.0), "linear"),
    ((1.0, 3.0, 5.0), "richardson"),
)


def fixed_angle_estimates(row: dict[str, Any]) -> dict[str, float]:
    """Every estimate of the energy expectation a fixed-angle row allows, by name."""
    from optuna_qnas.solvers._qiskit_zne import extrapolate

    nominal = [float(x) for x in row["nominal_scales"]]
    out = {"noisy (raw)": row["raw"][0], "noisy+mthree": row["mthree"][0]}
    for factors, method in ZNE_CANDIDATES:
        if not all(f in nominal for f in factors):
            continue
        pick = [nominal.index(f) for f in factors]
        scales = [row["scales"][i] for i in pick]
        label = f"{', '.join(f'{f:g}' for f in factors)}; {method}"
        for counts, name in (("raw", "zne"), ("mthree", "mthree+zne")):
            values = [row[counts][i] for i in pick]
            out[f"{name} ({label})"] = extrapolate(
                scales, values, method, mixed=row["uniform_mean"]
            )
    return out


def fixed_table(result: dict[str, Any]) -> str:
    fixed = result.get("fixed_angles") or []
    if not fixed:
        return ""
    cfg = result["config"]
    lines = [
        f"| estimate at the noiseless optimum's angles ({cfg['qubits']} qubits, {cfg['device']}, "
        f"reps={cfg['reps']}, {cfg['shots']} shots) | mean abs error | signal lost | "
        "closer than raw |",
        "|---|---|---|---|",
    ]
    for name in fixed_angle_estimates(fixed[0]):
        err, lost, closer = [], [], []
        for row in fixed:
            est = fixed_angle_estimates(row)
            err.append(abs(est[name] - row["exact"]))
            # Share of the circuit's energy decrease (uniform mean -> exact) the estimate misses.
            lost.append(
                (est[name] - row["exact"]) / max(row["uniform_mean"] - row["exact"], 1e-12)
            )
            closer.append(abs(est[name] - row["exact"]) < abs(est["noisy (raw)"] - row["exact"]))
        e, lo = np.array(err), np.array(lost)
        sd = lo.std(ddof=1) if len(lo) > 1 else 0.0
        lines.append(
            f"| {name} | {e.mean():.4f} | {lo.mean():+.3f} +- {sd:.3f} | "
            + ("-" if name == "noisy (raw)" else f"{sum(closer)}/{len(closer)}")
            + " |"
        )
    cpu = np.mean([r["cpu_seconds"] for r in fixed])
    lines.append(
        f"\n{len(fixed)} points (QUBO x seed); 'signal lost' is (estimate - exact) / (uniform "
        "mean - exact), mean +- sd over points: 0 is exact, 1 no better than a uniformly random "
        f"state. Scale factors run: {fixed[0]['nominal_scales']} (reached at the first point: "
        f"{fixed[0]['scales']}); {cpu:.1f} CPU s per point for all of them."
    )
    return "\n".join(lines)


def table(result: dict[str, Any]) -> str:
    return "\n\n".join(t for t in (solve_table(result), fixed_table(result)) if t)


def solve_table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    cfg = result["config"]
    lines = [
        f"| setting ({cfg['qubits']} qubits, {cfg['device']}, reps={cfg['reps']}, "
        f"{cfg['shots']} shots) | P(ground) | mean energy above ground | gap / uniform gap | "
        "ground in returned samples | CPU s / solve |",
        "|---|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        sel = [r for r in rows if r["setting"] == setting]
        if not sel:
            continue

        def stat(key: str, sel: list[dict[str, Any]] = sel) -> str:
            v = np.array([r[key] for r in sel], dtype=float)
            return f"{v.mean():.4f} +- {v.std(ddof=1) if len(v) > 1 else 0.0:.4f}"

        found = [r["ground_in_samples"] for r in sel if "ground_in_samples" in r]
        cpu = [r["solve_cpu_seconds"] for r in sel if "solve_cpu_seconds" in r]
        label = setting
        if "zne" in sel[0]:
            # The scale factors reached (to one decimal) and the extrapolation.
            zne = sel[0]["zne"]
            factors = ", ".join(f"{x:.1f}" for x in zne["scale_factors"])
            label = f"{setting} ({factors}; {zne['extrapolation']})"
        lines.append(
            f"| {label} | {stat('p_ground')} | {stat('mean_gap')} | {stat('gap_vs_uniform')} | "
            + (f"{sum(found)}/{len(found)} | {np.mean(cpu):.1f} |" if found else "- | - |")
        )
    runs = len([r for r in rows if r["setting"] == "noiseless"])
    lines.append(
        f"\n{runs} runs per setting ({cfg['n_qubos']} QUBOs x "
        f"{cfg['seeds']} seeds), mean +- sd over runs; a uniformly random guess has "
        f"P(ground) = {result['uniform_p_ground']:.4f}."
        + (
            f" Calibrations built: {result['calibrations_built']}."
            if result["calibrations_built"]
            else ""
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=10, help="sub-QUBO width (10-14)")
    parser.add_argument("--n-qubos", type=int, default=5, help="QUBOs (study seeds 0..n-1)")
    parser.add_argument("--seeds", type=int, default=3, help="solve seeds per QUBO")
    parser.add_argument(
        "--device", default="FakeGuadalupeV2", help="qiskit-ibm-runtime fake device"
    )
    parser.add_argument("--reps", type=int, default=1, help="QAOA depth")
    parser.add_argument("--maxiter", type=int, default=6, help="COBYLA iterations per solve")
    parser.add_argument("--shots", type=int, default=4096, help="shots per noisy circuit")
    parser.add_argument("--trials", type=int, default=20, help="trials of each QUBO's study")
    parser.add_argument("--problem", default="nasbench201-cifar10")
    parser.add_argument("--out", default="results/mitigation.json", help="JSON output path")
    parser.add_argument(
        "--settings",
        default="noiseless,noisy,noisy+mthree",
        help=f"comma-separated solve settings, noiseless first (of {', '.join(ALL_SETTINGS)})",
    )
    parser.add_argument(
        "--zne-scales",
        type=lambda v: [float(x) for x in v.split(",")],
        default=None,
        help="scale factors of the ZNE solves, e.g. 1,2,3 (default: the package's)",
    )
    parser.add_argument(
        "--zne-extrapolation", default=None, help="linear or richardson (default: the package's)"
    )
    parser.add_argument(
        "--fixed-scales",
        type=lambda v: [float(x) for x in v.split(",")] if v else [],
        default=[1.0, 1.5, 2.0, 3.0, 5.0],
        help="scale factors run at the noiseless optimum's angles (empty: no fixed-angle rows)",
    )
    parser.add_argument(
        "--aer-method",
        default=None,
        help="force Aer's simulation method for the noisy runs (e.g. density_matrix)",
    )
    parser.add_argument("--table", metavar="JSON", help="print the table of a saved result")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    if not 1 <= args.qubits <= 18:
        parser.error("--qubits must be between 1 and 18 (the NAS-Bench-201 cell has 18 bits)")
    start = time.perf_counter()
    result = run(args)
    result["wall_seconds"] = round(time.perf_counter() - start, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(table(result))
    print(f"\nwall time {result['wall_seconds']} s; written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
