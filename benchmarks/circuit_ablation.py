"""What the QAOA and VQE circuits add to the candidate pool they join: an ablation.

One study per arm and seed on ``--problem`` (default NAS-Bench-201 CIFAR-10). Every arm is the
gate sampler with its defaults (``VQESampler`` for ``vqe``, ``QAOASampler`` for the others:
same encoding, pool settings and solver of the posterior draws); only the solver of the
posterior mean, the circuit's QUBO, differs:

- ``qaoa``: the QAOA solver ``QAOASampler`` builds with its defaults;
- ``vqe``: the VQE solver ``VQESampler`` builds with its defaults;
- ``uniform``: uniformly random configurations (as many as the sampler asks for), encoded as
  bitstrings; it never looks at the QUBO;
- ``annealing``: the default solver of ``QUBOSampler`` (simulated annealing).

Three levels are measured:

(a) QUBO: the QUBOs the ``qaoa`` arm's solver was called with at the ``--record`` trials are
    solved again by each method. Every returned sample counts as the configuration it decodes
    to (the pool holds configurations); its energy is that configuration's energy, and the gap
    is taken to the best configuration's energy (all configurations enumerated). ``qaoa`` is
    the recorded solve itself; ``qaoa circuit part`` its returned samples that are not among the
    simulated-annealing reads the solver starts its decomposition from; ``qaoa full width`` and
    ``vqe full width`` solve the whole QUBO in one circuit (no decomposition, no annealing;
    QUBOs of at most 20 bits).
(b) Pool: where the configuration each model-based proposal evaluated came from
    (``trial.system_attrs["qnas:proposal"]["source"]``), and for the solver's samples whether
    they came from the circuit or from the annealing reads, and whether they were also a
    one-parameter move of the three best trials (so the pool would have held them anyway).
(c) Study: best value after 25, 50 and 100 trials per arm, two-sided Mann-Whitney U tests.

Usage::

    python benchmarks/circuit_ablation.py --out results/circuit-ablation
    python benchmarks/circuit_ablation.py --seeds 0-9 --arms qaoa,uniform --out /tmp/ca
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
import json
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any


os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import optuna

from optuna_qnas import QAOASampler
from optuna_qnas import QUBOSampler
from optuna_qnas import SearchSpaceEncoding
from optuna_qnas import VQESampler
from optuna_qnas._qubo import QUBO
from optuna_qnas.problems import get_problem
from optuna_qnas.solvers import SolverResult


sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import parse_seeds


ARMS = ("qaoa", "vqe", "uniform", "annealing")
METHODS = (
    "qaoa",
    "qaoa circuit part",
    "qaoa full width",
    "vqe",
    "vqe full width",
    "annealing",
    "uniform",
    "uniform best of 1024",
)
PROPOSAL_KEY = "qnas:proposal"
#: The widest QUBO the "full width" methods simulate in one circuit (2^20 amplitudes).
FULL_WIDTH_MAX_QUBITS = 20


class UniformSolver:
    """Uniformly random configurations as bitstrings, whatever the QUBO.

    Args:
        encoding:
            The search space's encoding: draws are uniform over its configurations (every
            bitstring a valid code). ``None``: uniform over all bitstrings.
        draws:
            Configurations drawn per solve; the ``num_samples`` lowest-energy distinct ones are
            returned. ``None``: ``num_samples`` draws (the QUBO only orders them).
    """

    def __init__(self, encoding: SearchSpaceEncoding | None = None, draws: int | None = None):
        if draws is not None and draws < 1:
            raise ValueError(f"draws must be None or >= 1; got {draws!r}.")
        self.encoding = encoding
        self.draws = draws

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult:
        n = qubo.num_variables
        if self.encoding is not None and self.encoding.n_bits != n:
            raise ValueError(
                f"UniformSolver's encoding has {self.encoding.n_bits} bits but the QUBO has {n}; "
                "build the solver from the search space the sampler encodes."
            )
        rng = np.random.default_rng(seed)
        m = self.draws or num_samples
        if self.encoding is None:
            xs = rng.integers(0, 2, size=(m, n)).astype(np.int8)
        else:
            sizes = np.array([p.n_levels for p in self.encoding.params], dtype=np.int64)
            xs = self.encoding.encode_levels(rng.integers(0, sizes, size=(m, len(sizes))))
        return SolverResult.from_samples(qubo, xs, num_samples, {"solver": "uniform", "draws": m})


@contextmanager
def annealing_reads(rows: list[np.ndarray]) -> Iterator[None]:
    """Collect the simulated-annealing reads a decomposed circuit solve starts from."""
    try:
        from optuna_qnas.solvers import _qiskit_decompose as module
    except ImportError:
        yield
        return
    original = getattr(module, "anneal_incumbents", None)
    if original is None:
        yield
        return

    def recording(*args: Any, **kwargs: Any) -> np.ndarray:
        out = original(*args, **kwargs)
        rows.append(np.asarray(out, dtype=np.int8))
        return out

    module.anneal_incumbents = recording
    try:
        yield
    finally:
        module.anneal_incumbents = original


def from_reads(call: dict[str, Any], enc: SearchSpaceEncoding) -> np.ndarray:
    """Which returned samples of a recorded solve decode to a configuration that one of the
    annealing reads also decodes to (several bitstrings can decode to one configuration)."""
    samples = enc.decode_levels(call["samples"])
    if call["reads"] is None:
        return np.zeros(len(samples), dtype=bool)
    keys = {tuple(row) for row in enc.decode_levels(call["reads"]).tolist()}
    return np.array([tuple(row) in keys for row in samples.tolist()], dtype=bool)


class Recorder:
    """Delegates ``solve`` to ``inner`` and keeps, per trial, what the solver returned (with the
    rows that came from annealing reads) and, at the ``record_at`` trials, the QUBO."""

    def __init__(self, inner: Any, record_at: set[int]) -> None:
        self.inner = inner
        self.record_at = record_at
        self.trial = -1
        self.calls: list[dict[str, Any]] = []

    @property
    def max_variables(self) -> int | None:
        return getattr(self.inner, "max_variables", None)

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> SolverResult:
        reads: list[np.ndarray] = []
        start = time.process_time()
        with annealing_reads(reads):
            result = self.inner.solve(qubo, num_samples, seed)
        cpu = time.process_time() - start
        self.calls.append(
            {
                "trial": self.trial,
                "qubo": qubo if self.trial in self.record_at else None,
                "samples": np.asarray(result.samples, dtype=np.int8),
                "reads": np.vstack(reads) if reads else None,
                "cpu": cpu,
                "info": dict(result.info),
            }
        )
        return result


def mean_solver(arm: str, seed: int, enc: SearchSpaceEncoding) -> Any:
    """What solves the posterior mean in ``arm``."""
    if arm == "qaoa":
        return QAOASampler(seed=seed).solver
    if arm == "vqe":
        return VQESampler(seed=seed).solver
    if arm == "uniform":
        return UniformSolver(enc)
    if arm == "annealing":
        return QUBOSampler(seed=seed).solver
    raise ValueError(f"Unknown arm {arm!r}; use some of {', '.join(ARMS)}.")


def gate_encoding(space: dict[str, Any]) -> Any:
    """The ``encoding`` ``QAOASampler`` (defaults) uses for ``space``: its ``encoding``
    argument, or, where the sampler resolves ``"auto"`` per search space, what that resolves
    to."""
    gate = QAOASampler(seed=0)
    if getattr(gate, "_auto_encoding", False):
        from optuna_qnas.samplers import _gate

        return _gate.auto_encoding(space)
    return gate._encoding


def gate_sampler(seed: int, solver: Any, space: dict[str, Any]) -> QUBOSampler:
    """``QAOASampler(seed=seed)`` (defaults) with ``solver`` in the circuit's place: the same
    encoding, pool and draw solver, the posterior mean handed to ``solver``."""
    gate = QAOASampler(seed=seed)
    return QUBOSampler(
        seed=seed,
        solver=solver,
        draw_solver=gate.draw_solver,
        pool=gate.pool,
        encoding=gate_encoding(space),
    )


def sampler_encoding(space: dict[str, Any]) -> SearchSpaceEncoding:
    """The encoding ``QAOASampler`` (defaults) builds for ``space``."""
    return SearchSpaceEncoding(space, gate_encoding(space))


def search_space(problem: str) -> dict[str, Any]:
    """The problem's distributions in the order the sampler encodes them (sorted by name, as
    Optuna's intersection search space returns them), from one random trial."""
    prob = get_problem(problem)
    study = optuna.create_study(
        directions=[*prob.directions],  # type: ignore[list-item]
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.optimize(prob.make_objective(0), n_trials=1)
    return dict(sorted(study.trials[0].distributions.items()))


def run_study(
    problem: str,
    arm: str,
    seed: int,
    trials: int,
    record_at: set[int],
    enc: SearchSpaceEncoding,
    space: dict[str, Any],
) -> tuple[optuna.Study, Recorder, float]:
    """One study of ``arm``; the study, the solver's record and the CPU seconds it took."""
    prob = get_problem(problem)
    recorder = Recorder(mean_solver(arm, seed, enc), record_at)
    sampler = gate_sampler(seed, recorder, space)
    study = optuna.create_study(directions=[*prob.directions], sampler=sampler)  # type: ignore[list-item]
    objective = prob.make_objective(seed)

    def tracked(trial: optuna.Trial) -> Any:
        recorder.trial = trial.number
        return objective(trial)

    start = time.process_time()
    study.optimize(tracked, n_trials=trials)
    return study, recorder, time.process_time() - start


def best_curve(study: optuna.Study) -> list[float]:
    values = np.array([t.value for t in study.trials], dtype=float)
    if study.direction == optuna.study.StudyDirection.MAXIMIZE:
        return np.maximum.accumulate(values).tolist()
    return np.minimum.accumulate(values).tolist()


def proposal_origins(
    study: optuna.Study, recorder: Recorder, enc: SearchSpaceEncoding, n_top: int
) -> list[dict[str, Any]]:
    """Per model-based proposal: its pool group, and for the solver's samples where the
    evaluated configuration came from."""
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    by_trial: dict[int, list[dict[str, Any]]] = {}
    for call in recorder.calls:
        by_trial.setdefault(call["trial"], []).append(call)
    rows = []
    for t in study.trials:
        diag = t.system_attrs.get(PROPOSAL_KEY, {})
        if diag.get("mode") != "model":
            continue
        row: dict[str, Any] = {"trial": t.number, "source": diag.get("source")}
        levels = enc.levels_of(t.params)
        if row["source"] == "mean":  # the recorded solver's samples (draws may use another)
            found, circuit, has_reads = False, True, False
            for call in by_trial.get(t.number, []):
                hit = np.all(enc.decode_levels(call["samples"]) == levels, axis=1)
                has_reads = has_reads or call["reads"] is not None
                if hit.any():
                    found = True
                    circuit = circuit and call["reads"] is not None
                    circuit = circuit and not bool(from_reads(call, enc)[hit].any())
            row["found"] = found
            # None: the solver starts from no annealing reads (not a decomposed circuit solve).
            row["circuit"] = (found and circuit) if has_reads else None
            earlier = [
                (float(u.value), u) for u in study.trials[: t.number] if u.value is not None
            ]
            earlier.sort(key=lambda vu: -vu[0] if maximize else vu[0])
            tops = np.array([enc.levels_of(u.params) for _, u in earlier[:n_top]])
            row["local_move"] = bool(np.any(np.sum(tops != levels, axis=1) <= 1))
        rows.append(row)
    return rows


def config_energies(enc: SearchSpaceEncoding, qubo: QUBO, bits: np.ndarray) -> np.ndarray:
    """Energies of the distinct configurations that ``bits`` decode to."""
    levels = np.unique(enc.decode_levels(np.atleast_2d(bits)), axis=0)
    return qubo.energies(enc.encode_levels(levels))


def all_configurations(enc: SearchSpaceEncoding) -> np.ndarray:
    sizes = [p.n_levels for p in enc.params]
    if int(np.prod(sizes)) > 2**20:
        raise ValueError(
            f"The space has {int(np.prod(sizes))} configurations; the exact optimum is taken by "
            "enumeration up to 2**20. Use a smaller problem."
        )
    grid = np.indices(sizes).reshape(len(sizes), -1).T
    return enc.encode_levels(grid)


def qubo_level(
    calls: list[dict[str, Any]], seed: int, enc: SearchSpaceEncoding, methods: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Each recorded QUBO of one ``qaoa`` study solved by every method; per method the best and
    mean gap of the returned configurations to the best configuration, and CPU seconds."""
    from optuna_qnas.solvers import QAOASolver
    from optuna_qnas.solvers import VQESolver

    configs = all_configurations(enc)
    solvers: dict[str, Callable[[], Any]] = {
        "vqe": lambda: VQESampler(seed=seed).solver,
        "qaoa full width": lambda: QAOASolver(max_qubits=enc.n_bits, decompose=False),
        "vqe full width": lambda: VQESolver(max_qubits=enc.n_bits, decompose=False),
        "annealing": lambda: QUBOSampler(seed=seed).solver,
        "uniform": lambda: UniformSolver(enc),
        "uniform best of 1024": lambda: UniformSolver(enc, draws=1024),
    }
    if enc.n_bits > FULL_WIDTH_MAX_QUBITS:  # a state vector of 2^n amplitudes
        methods = tuple(m for m in methods if not m.endswith("full width"))
    built = {m: make() for m, make in solvers.items() if m in methods}
    rows = []
    for k, call in enumerate(c for c in calls if c["qubo"] is not None):
        qubo: QUBO = call["qubo"]
        num_samples = len(call["samples"])
        everything = qubo.energies(configs)
        optimum = float(everything.min())
        bit_optimum, bit_valid = float("nan"), True
        if qubo.num_variables <= 20:  # the lowest bitstring may be a code that is repaired
            bits, energies = qubo.brute_force()
            lowest = int(np.argmin(energies))
            bit_optimum, bit_valid = float(energies[lowest]), bool(enc.feasible(bits[lowest])[0])
        out: dict[str, Any] = {}
        samples = {"qaoa": (call["samples"], call["cpu"])}
        circuit = call["samples"][~from_reads(call, enc)]
        if call["reads"] is not None and len(circuit):
            samples["qaoa circuit part"] = (circuit, float("nan"))
        for m, solver in built.items():
            start = time.process_time()
            res = solver.solve(qubo, num_samples, 1000 * seed + k)
            samples[m] = (res.samples, time.process_time() - start)
        for m, (bits, cpu) in samples.items():
            if m not in methods:
                continue
            e = config_energies(enc, qubo, bits)
            out[m] = {
                "best_gap": float(e.min() - optimum),
                "mean_gap": float(e.mean() - optimum),
                "configs": int(len(e)),
                "cpu": float(cpu),
            }
        rows.append(
            {
                "seed": seed,
                "trial": call["trial"],
                "bits": qubo.num_variables,
                "optimum": optimum,
                "bit_optimum": bit_optimum,
                "bit_optimum_is_valid_code": bit_valid,
                "config_energy_std": float(everything.std()),
                "methods": out,
            }
        )
    return rows


def mann_whitney(a: list[float], b: list[float]) -> float:
    from scipy.stats import mannwhitneyu

    if len(a) < 2 or len(b) < 2 or (np.ptp(a + b) == 0):
        return float("nan")
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def qubo_table(rows: list[dict[str, Any]], methods: tuple[str, ...]) -> str:
    lines = [
        "| method | QUBOs | best gap | optimum found | mean gap | configurations | CPU ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in methods:
        got = [r["methods"][m] for r in rows if m in r["methods"]]
        if not got:
            continue
        best = np.array([g["best_gap"] for g in got])
        cpu = [g["cpu"] for g in got if np.isfinite(g["cpu"])]
        lines.append(
            f"| {m} | {len(got)} | {best.mean():.3f} | {np.mean(best <= 1e-9):.0%} | "
            f"{np.mean([g['mean_gap'] for g in got]):.3f} | "
            f"{np.mean([g['configs'] for g in got]):.1f} | "
            + (f"{1000 * np.mean(cpu):.0f}" if cpu else "-")
            + " |"
        )
    if rows:
        std = np.mean([r["config_energy_std"] for r in rows])
        lines.append(f"\nStandard deviation of the energy over all configurations: {std:.3f}.")
        known = [r for r in rows if np.isfinite(r.get("bit_optimum", float("nan")))]
        if known:  # QUBOs of at most 20 bits, enumerated
            invalid = [r for r in known if not r["bit_optimum_is_valid_code"]]
            below = np.mean([r["optimum"] - r["bit_optimum"] for r in known])
            lines[-1] += (
                f" The lowest bitstring is not a valid code on {len(invalid)} of {len(known)} "
                f"QUBOs; it lies {below:.3f} below the best configuration on average."
            )
    return "\n".join(lines)


def pool_table(origins: dict[str, list[dict[str, Any]]]) -> str:
    groups = ("mean", "draw", "local", "random", "refine", "mutated")
    lines = [
        "| arm | proposals | "
        + " | ".join(groups)
        + " | from the circuit | from the circuit, not a top-trial move | unmatched |",
        "|---|---:|" + "---:|" * (len(groups) + 3),
    ]
    for arm, rows in origins.items():
        n = len(rows)
        if not n:
            continue
        count = Counter(r["source"] for r in rows)
        solver_rows = [r for r in rows if r["source"] == "mean" and "found" in r]
        unmatched = sum(not r["found"] for r in solver_rows)
        cells = [f"{count.get(g, 0) / n:.0%}" for g in groups]
        if any(r["circuit"] is not None for r in solver_rows):
            circuit = sum(bool(r["circuit"]) for r in solver_rows)
            novel = sum(bool(r["circuit"]) and not r["local_move"] for r in solver_rows)
            cells += [f"{circuit / n:.0%}", f"{novel / n:.0%}", str(unmatched)]
        else:
            cells += ["-", "-", str(unmatched)]
        lines.append(f"| {arm} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def study_table(curves: dict[str, dict[int, list[float]]], checkpoints: list[int]) -> str:
    arms = list(curves)
    lines = [
        "| arm | seeds | " + " | ".join(f"best @{c}" for c in checkpoints) + " | CPU s / study |",
        "|---|---:|" + "---:|" * (len(checkpoints) + 1),
    ]
    for arm in arms:
        per_seed = curves[arm]
        cells = []
        for c in checkpoints:
            v = [curve[c - 1] for curve in per_seed.values() if len(curve) >= c]
            cells.append(f"{np.mean(v):.2f} ± {np.std(v):.2f}" if v else "-")
        lines.append(
            f"| {arm} | {len(per_seed)} | " + " | ".join(cells) + " | {cpu_" + arm + "} |"
        )
    lines.append("")
    lines.append("| comparison | " + " | ".join(f"p @{c}" for c in checkpoints) + " |")
    lines.append("|---|" + "---:|" * len(checkpoints))
    for a, b in (
        ("qaoa", "uniform"),
        ("qaoa", "annealing"),
        ("vqe", "uniform"),
        ("uniform", "annealing"),
    ):
        if a not in curves or b not in curves:
            continue
        cells = []
        for c in checkpoints:
            va = [curve[c - 1] for curve in curves[a].values() if len(curve) >= c]
            vb = [curve[c - 1] for curve in curves[b].values() if len(curve) >= c]
            cells.append(f"{mann_whitney(va, vb):.2f}")
        lines.append(f"| {a} vs {b} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    args: argparse.Namespace,
    qubo_rows: list[dict[str, Any]],
    origins: dict[str, list[dict[str, Any]]],
    solves: dict[str, list[dict[str, Any]]],
    curves: dict[str, dict[int, list[float]]],
    cpu: dict[str, list[float]],
) -> str:
    """The three tables as text; writes them and the raw results under ``args.out`` (after
    every seed, so that an interrupted run keeps what it finished)."""
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    checkpoints = [int(c) for c in args.checkpoints.split(",") if int(c) <= args.trials]
    text_a = qubo_table(qubo_rows, methods)
    text_b = pool_table(origins)
    text_c = study_table(curves, checkpoints)
    for arm in curves:
        text_c = text_c.replace("{cpu_" + arm + "}", f"{np.mean(cpu[arm]):.1f}")
    decomposed = {
        arm: {
            "solves": len(s),
            "decomposed": sum(r["decomposed"] for r in s),
            "incumbent_improved": sum(r["incumbent_improved"] for r in s),
            "returned_from_annealing_reads": float(
                np.sum([r["from_annealing_reads"] for r in s])
                / max(1, np.sum([r["returned"] for r in s]))
            ),
            "cpu_per_solve": float(np.mean([r["cpu"] for r in s])) if s else float("nan"),
        }
        for arm, s in solves.items()
    }
    text_d = "\n".join(
        f"{arm}: {d['solves']} solves, {d['decomposed']} decomposed, circuit improved the "
        f"annealing incumbent in {d['incumbent_improved']}, "
        f"{d['returned_from_annealing_reads']:.0%} of returned samples are annealing reads, "
        f"{1000 * d['cpu_per_solve']:.0f} ms CPU per solve"
        for arm, d in decomposed.items()
    )
    text = (
        f"(a) QUBO level\n\n{text_a}\n\n(b) Pool level\n\n{text_b}\n\n{text_d}\n\n"
        f"(c) Study level\n\n{text_c}\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    payload = {
        "settings": {k: str(v) for k, v in vars(args).items()},
        "machine": machine,
        "qubo_level": qubo_rows,
        "origins": origins,
        "solves": decomposed,
        "curves": {a: {str(s): c for s, c in v.items()} for a, v in curves.items()},
        "study_cpu_seconds": cpu,
    }
    (args.out / "circuit_ablation.json").write_text(json.dumps(payload, indent=1))
    (args.out / "circuit_ablation.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problem", default="nasbench201-cifar10")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--seeds", default="0-4", help="'5' (0-4), '0-9' or '0,3,7'")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--checkpoints", default="25,50,100")
    parser.add_argument(
        "--record", default="10,20,30,40,50,60,70,80,90,99", help="trials whose QUBOs are kept"
    )
    parser.add_argument("--methods", default=",".join(METHODS), help="QUBO-level methods")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    for arm in arms:
        if arm not in ARMS:
            raise ValueError(f"Unknown arm {arm!r}; use some of {', '.join(ARMS)}.")
    methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"Unknown method {m!r}; use some of {', '.join(METHODS)}.")
    record_at = {int(v) for v in args.record.split(",") if v.strip()}
    space = search_space(args.problem)
    enc = sampler_encoding(space)
    n_top = QAOASampler(seed=0).pool.n_top_trials
    curves: dict[str, dict[int, list[float]]] = {a: {} for a in arms}
    cpu: dict[str, list[float]] = {a: [] for a in arms}
    origins: dict[str, list[dict[str, Any]]] = {a: [] for a in arms}
    solves: dict[str, list[dict[str, Any]]] = {a: [] for a in arms}
    qubo_rows: list[dict[str, Any]] = []
    for seed in parse_seeds(args.seeds):
        for arm in arms:
            rec_at = record_at if arm == "qaoa" else set()
            study, recorder, seconds = run_study(
                args.problem, arm, seed, args.trials, rec_at, enc, space
            )
            curves[arm][seed] = best_curve(study)
            cpu[arm].append(seconds)
            for row in proposal_origins(study, recorder, enc, n_top):
                origins[arm].append({"seed": seed, **row})
            for call in recorder.calls:
                info = call["info"]
                solves[arm].append(
                    {
                        "seed": seed,
                        "trial": call["trial"],
                        "cpu": call["cpu"],
                        "returned": int(len(call["samples"])),
                        "from_annealing_reads": int(from_reads(call, enc).sum()),
                        "incumbent_improved": bool(
                            info.get("incumbent_energy_final", 0.0)
                            < info.get("incumbent_energy_initial", 0.0) - 1e-12
                        ),
                        "decomposed": bool(info.get("decomposed", False)),
                    }
                )
            print(
                f"{arm} seed {seed}: best {curves[arm][seed][-1]:.2f}, {seconds:.0f} s CPU",
                flush=True,
            )
            if arm == "qaoa":
                start = time.process_time()
                qubo_rows += qubo_level(recorder.calls, seed, enc, methods)
                print(f"  QUBO level: {time.process_time() - start:.0f} s CPU", flush=True)
        text = write_report(args, qubo_rows, origins, solves, curves, cpu)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
