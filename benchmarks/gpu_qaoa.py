"""Exact state-vector QAOA solve time on CPU vs GPU (``device="GPU"``) at 16-28 qubits.

One cold QAOA solve (``QAOASolver(reps, maxiter, backend="statevector", max_qubits=n,
decompose=False, warm_start=False)``) of a dense random QUBO per width and device, each in its own
process, after a 4-qubit warm-up solve in that process (so library loading and GPU context set-up
are not timed). Reported: wall seconds of the solve, seconds per circuit evaluation, the
evaluation count, the process's CPU seconds and peak RSS. Every evaluation runs the circuit on
Aer (CPU or GPU) and copies the ``2^n`` probabilities back to the host, where the energy
expectation and the final top samples are computed with numpy.

GPU columns are skipped, and say so, when ``AerSimulator().available_devices()`` has no "GPU"
(``pip install qiskit-aer-gpu`` on a machine with an NVIDIA CUDA GPU provides one). CPU columns
are timed only at ``--cpu-qubits`` (default 16 and 20): a dense 24-qubit evaluation costs tens of
CPU seconds on a small machine.

    OMP_NUM_THREADS=1 python benchmarks/gpu_qaoa.py --out results/gpu_qaoa.json

(Leave ``OMP_NUM_THREADS`` unset to let Aer use every core.)
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


def random_qubo(n: int, seed: int) -> Any:
    from optuna_qnas import QUBO

    rng = np.random.default_rng(seed)
    return QUBO.from_dense(rng.normal(size=(n, n)))


def one(n: int, device: str, reps: int, maxiter: int, seed: int) -> dict[str, Any]:
    """Time one cold solve in this process (run by the parent in a fresh interpreter)."""
    from optuna_qnas.solvers._qiskit import QAOASolver

    kwargs: dict[str, Any] = dict(reps=reps, maxiter=maxiter, decompose=False, warm_start=False)
    QAOASolver(max_qubits=4, device=device, **kwargs).solve(random_qubo(4, seed), 4, seed=seed)
    qubo = random_qubo(n, seed)
    solver = QAOASolver(max_qubits=n, device=device, **kwargs)
    wall, cpu = time.perf_counter(), time.process_time()
    res = solver.solve(qubo, 16, seed=seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    evals = int(res.info["circuit_evaluations"])
    return {
        "qubits": n,
        "device": device,
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "circuit_evaluations": evals,
        "seconds_per_evaluation": round(wall / max(evals, 1), 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from qiskit_aer import AerSimulator

    devices = AerSimulator().available_devices()
    rows: list[dict[str, Any]] = []
    for n in args.qubits:
        for device in ("CPU", "GPU"):
            if device == "GPU" and "GPU" not in devices:
                rows.append({"qubits": n, "device": device, "skipped": "no GPU in this Aer"})
                continue
            if device == "CPU" and n not in args.cpu_qubits:
                rows.append({"qubits": n, "device": device, "skipped": "not in --cpu-qubits"})
                continue
            cmd = [
                sys.executable,
                __file__,
                "--one",
                str(n),
                device,
                "--reps",
                str(args.reps),
                "--maxiter",
                str(args.maxiter),
                "--seed",
                str(args.seed),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
                rows.append({"qubits": n, "device": device, "skipped": f"failed: {tail[0]}"})
            else:
                rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    return {
        "config": {k: v for k, v in vars(args).items() if k != "one"},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "aer_devices": list(devices),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "rows": rows,
    }


def table(result: dict[str, Any]) -> str:
    by = {(r["qubits"], r["device"]): r for r in result["rows"]}
    widths = sorted({r["qubits"] for r in result["rows"]})
    lines = [
        "| qubits | CPU: s / solve | CPU: s / evaluation | GPU: s / solve | GPU: s / evaluation "
        "| evaluations | GPU speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in widths:
        cells = []
        for device in ("CPU", "GPU"):
            r = by.get((n, device), {"skipped": "-"})
            if "skipped" in r:
                cells += [f"skipped ({r['skipped']})", "-"]
            else:
                cells += [
                    f"{r['wall_seconds']:.2f} ({r['cpu_seconds']:.2f} CPU s)",
                    f"{r['seconds_per_evaluation']:.4f}",
                ]
        measured = [by.get((n, d)) for d in ("CPU", "GPU")]
        evals = next(
            (str(r["circuit_evaluations"]) for r in measured if r and "skipped" not in r), "-"
        )
        speed = "-"
        if all(r and "skipped" not in r for r in measured):
            speed = f"{measured[0]['wall_seconds'] / measured[1]['wall_seconds']:.1f}x"  # type: ignore[index]
        lines.append(f"| {n} | " + " | ".join(cells) + f" | {evals} | {speed} |")
    cfg = result["config"]
    lines.append(
        f"\nreps={cfg['reps']}, maxiter={cfg['maxiter']} (COBYLA), one cold solve of a dense "
        f"random QUBO (seed {cfg['seed']}); wall seconds (the process's CPU seconds beside them); "
        f"OMP_NUM_THREADS={result['omp_num_threads']}; "
        f"Aer devices here: {', '.join(result['aer_devices'])}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[16, 20, 24, 28])
    parser.add_argument("--cpu-qubits", type=int, nargs="*", default=[16, 20])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--maxiter", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per configuration")
    parser.add_argument("--out", default="results/gpu_qaoa.json")
    parser.add_argument("--table", metavar="JSON", help="print the table of a saved result")
    parser.add_argument("--one", nargs=2, metavar=("QUBITS", "DEVICE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(int(args.one[0]), args.one[1], args.reps, args.maxiter, args.seed)))
        return
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    result = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(table(result))
    print(f"\nwritten to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
