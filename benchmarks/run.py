"""The search-quality benchmarks: named suites run through ``optuna_qnas.compare_samplers``.

A suite is a set of problems, samplers, seeds and a trial budget. ``run`` runs every (problem,
sampler, seed) as an Optuna study in ``OUT/comparison.db`` (re-running the same command resumes
it), then writes ``OUT/results.json`` (the settings and every number of the tables) and
``OUT/tables.md``; ``table`` rewrites the tables from an existing folder without running
anything. ``optuna-qnas report --out OUT`` renders the package's full report of the same folder.

Protocol. Every sampler gets the same seeds: seed ``s`` builds ``Sampler(seed=s)`` and the
problem's objective for ``s`` (on the tabular benchmarks each evaluation returns one training
seed's metric, drawn from ``(s, trial number)``, so every sampler meets the same noise). The
score after ``t`` trials is the noise-free value (the benchmark's mean over training seeds) of
the incumbent, the trial with the best observed value; problems without a noise-free value (the
Lightning tasks, BOCS) are scored by the best observed value. Each table gives, per problem and
budget, the mean +- sample standard deviation of the score over seeds, the two-sided
Mann-Whitney U p-value of each sampler against the suite's first sampler (same seeds, not
corrected for multiplicity), the median number of trials to reach TPE's mean at the full budget,
and the sampler's own time per trial (wall-clock time inside the sampler's calls, measured by
the comparison tool).

Usage::

    python benchmarks/run.py list
    python benchmarks/run.py run nb201 --jobs 2 --out results/nb201
    python benchmarks/run.py run nb201 --problems nasbench201-cifar10 \\
        --samplers annealing,tpe,random --seeds 0-4 --trials 50 --out results/nb201-small
    python benchmarks/run.py table results/nb201
    python benchmarks/run.py proposals results/large-solvers
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
import json
import math
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any


# One thread per worker process: the suites run several studies side by side.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import optuna

from optuna_qnas import PoolSettings
from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.compare import compare_samplers
from optuna_qnas.compare import ComparisonResult
from optuna_qnas.compare import load_comparison
from optuna_qnas.compare import SAMPLERS
from optuna_qnas.compare import SamplerSpec


STORAGE_FILE = "comparison.db"
RESULTS_FILE = "results.json"
TABLES_FILE = "tables.md"
DEFAULT_CHECKPOINTS = (25, 50, 100)
TARGET_SAMPLER = "tpe"  # the "trials to reach" column uses this sampler's mean at the budget


# --------------------------------------------------------------------------- samplers


def annealing(seed: int, **kwargs: Any) -> optuna.samplers.BaseSampler:
    """``QuantumAnnealingSampler(seed=seed, **kwargs)``."""
    return QuantumAnnealingSampler(seed=seed, **kwargs)


def annealing_random_reads(seed: int) -> optuna.samplers.BaseSampler:
    """The default sampler with seeded uniformly random reads in place of annealed ones."""
    from dwave.samplers import RandomSampler

    return QuantumAnnealingSampler(solver=RandomSampler(), seed=seed)


#: Budgets of the study-level solver ablation (suite ``large-solvers``), chosen so that one
#: solve costs about as much CPU time as the default annealer's on the sampler's own QUBOs of the
#: large problems (10-17 ms from 100 to 500 bits, 43 ms at 2,000, measured on the 2-core
#: benchmark machine). Random reads: about 300,000 random bits per solve (1,389 reads at 216
#: bits, 600 at 500); steepest descent: about 60,000 bits of starting points (278 reads at 216
#: bits, 120 at 500); tabu: 4 reads of 1 ms (``tabu_budget``; its cost is mostly a start-up per
#: read, 8-16 ms per solve from 100 to 500 bits, and no budget gets under about 70 ms at 2,000).
RANDOM_BITS_PER_SOLVE = 300_000
STEEPEST_BITS_PER_SOLVE = 60_000


class RandomReadsSolver:
    """Seeded uniformly random bitstrings, the ``num_samples`` lowest distinct ones by energy.

    ``num_reads`` bitstrings per solve; ``None``: ``ceil(RANDOM_BITS_PER_SOLVE / n)`` for an
    ``n``-bit QUBO (about the default annealer's time per solve on the large problems).
    """

    def __init__(self, num_reads: int | None = None) -> None:
        if num_reads is not None and (isinstance(num_reads, bool) or num_reads < 1):
            raise ValueError(f"num_reads must be a positive integer or None; got {num_reads!r}.")
        self.num_reads = num_reads

    max_variables = None

    def reads(self, n: int) -> int:
        """Bitstrings drawn for an ``n``-bit QUBO."""
        if self.num_reads is not None:
            return self.num_reads
        return max(1, math.ceil(RANDOM_BITS_PER_SOLVE / max(n, 1)))

    def solve(self, qubo: Any, num_samples: int, seed: int | None = None) -> Any:
        import numpy as np

        from optuna_qnas.solvers import SolverResult

        start = time.perf_counter()
        n = qubo.num_variables
        reads = max(self.reads(n), int(num_samples))
        xs = np.random.default_rng(seed).integers(0, 2, size=(reads, n), dtype=np.int8)
        order = np.argsort(qubo.energies(xs), kind="stable")
        # The lowest distinct ones: among the 4 num_samples lowest reads (repeats are rare at
        # these widths), among all of them where those hold too few distinct ones.
        low = xs[order[: 4 * int(num_samples)]]
        if len(np.unique(low, axis=0)) < min(int(num_samples), len(np.unique(xs, axis=0))):
            low = xs
        info = {"solver": "RandomReadsSolver", "num_reads": reads}
        result = SolverResult.from_samples(qubo, low, num_samples, info)
        result.info["solve_seconds"] = round(time.perf_counter() - start, 6)
        return result

    def __repr__(self) -> str:
        return f"RandomReadsSolver(num_reads={self.num_reads or 'auto'})"


class WidthBudgetSolver:
    """A dwave-samplers solver whose reads (and tabu's time limit) follow the QUBO's width.

    ``"steepest_descent"``: ``ceil(STEEPEST_BITS_PER_SOLVE / n)`` reads (at least
    ``num_samples``) from random starts; ``"tabu"``: ``tabu_budget(n)`` reads and milliseconds
    per read. A ``DimodSolver`` built for each solve.
    """

    def __init__(self, name: str) -> None:
        if name not in ("steepest_descent", "tabu"):
            raise ValueError(f"name must be 'steepest_descent' or 'tabu'; got {name!r}.")
        self.name = name

    max_variables = None

    def solver_for(self, n: int) -> Any:
        """The package solver that solves an ``n``-bit QUBO."""
        from dwave.samplers import TabuSampler

        from optuna_qnas.solvers import DimodSolver
        from optuna_qnas.solvers import make_solver

        if self.name == "steepest_descent":
            reads = max(1, math.ceil(STEEPEST_BITS_PER_SOLVE / max(n, 1)))
            return make_solver("steepest_descent", num_reads=reads)
        # num_reads among the sampling arguments: fewer reads than num_samples (DimodSolver's
        # own num_reads is raised to num_samples), as tabu's automatic budget does above 128 bits.
        reads, timeout = tabu_budget(n)
        return DimodSolver(
            TabuSampler(), num_reads=None, sample_kwargs={"num_reads": reads, "timeout": timeout}
        )

    def solve(self, qubo: Any, num_samples: int, seed: int | None = None) -> Any:
        return self.solver_for(qubo.num_variables).solve(qubo, num_samples, seed)

    def __repr__(self) -> str:
        return f"WidthBudgetSolver({self.name!r})"


def tabu_budget(n: int) -> tuple[int, int]:
    """``(reads, ms per read)`` of the ablation's tabu solve of ``n`` bits: 4 reads of 1 ms, the
    least tabu spends in about the default annealer's time (1 read above 1,000 bits, where even
    one read costs more than an annealing solve)."""
    return (4, 1) if n <= 1000 else (1, 1)


def annealing_solver(seed: int, solver: Any) -> optuna.samplers.BaseSampler:
    """The default sampler with ``solver`` (a solver object) in place of simulated annealing."""
    return QuantumAnnealingSampler(solver=solver, seed=seed)


def _annealing_spec(name: str, description: str, **kwargs: Any) -> SamplerSpec:
    return SamplerSpec(name, partial(annealing, **kwargs), description=description)


VARIANTS: dict[str, SamplerSpec] = {
    spec.name: spec
    for spec in [
        SamplerSpec(
            "annealing-randreads",
            annealing_random_reads,
            description="solver ablation: 64 seeded uniformly random reads per QUBO "
            "(dwave-samplers' RandomSampler) instead of 64 annealed ones",
        ),
        SamplerSpec(
            "annealing-solver-random",
            partial(annealing_solver, solver=RandomReadsSolver()),
            description="study-level solver ablation: the default with seeded uniformly random "
            "reads, about 300,000 random bits per solve (RandomReadsSolver)",
        ),
        SamplerSpec(
            "annealing-solver-steepest",
            partial(annealing_solver, solver=WidthBudgetSolver("steepest_descent")),
            description="study-level solver ablation: the default with steepest descent from "
            "about 60,000 bits of random starts per solve",
        ),
        SamplerSpec(
            "annealing-solver-tabu",
            partial(annealing_solver, solver=WidthBudgetSolver("tabu")),
            description="study-level solver ablation: the default with tabu search, 4 reads of "
            "1 ms per solve",
        ),
        _annealing_spec(
            "annealing-draws0",
            "pool without posterior draws: PoolSettings(n_draws=0)",
            pool=PoolSettings(n_draws=0),
        ),
        _annealing_spec(
            "annealing-draws4",
            "pool with 4 posterior draws: PoolSettings(n_draws=4)",
            pool=PoolSettings(n_draws=4),
        ),
        _annealing_spec(
            "annealing-top1",
            "one-parameter moves around the best trial only: PoolSettings(n_top_trials=1)",
            pool=PoolSettings(n_top_trials=1),
        ),
        _annealing_spec(
            "annealing-top6",
            "one-parameter moves around the 6 best trials: PoolSettings(n_top_trials=6)",
            pool=PoolSettings(n_top_trials=6),
        ),
        _annealing_spec(
            "annealing-wide",
            "40,000 uniformly random pool members (about 92 % of NAS-Bench-201's 15,625 "
            "cells): PoolSettings(n_random=40000)",
            pool=PoolSettings(n_random=40000),
        ),
        _annealing_spec(
            "annealing-startup3",
            "3 start-up trials: n_startup_trials=3",
            n_startup_trials=3,
        ),
        _annealing_spec(
            "annealing-startup10",
            "10 start-up trials: n_startup_trials=10",
            n_startup_trials=10,
        ),
        _annealing_spec(
            "annealing-binary-draws0",
            "QAOASampler's earlier encoding and pool with simulated annealing: "
            "encoding='binary', PoolSettings(n_draws=0)",
            encoding="binary",
            pool=PoolSettings(n_draws=0),
        ),
    ]
}
"""The benchmark's variants of the default sampler, beside the package's registry."""


def sampler_registry() -> dict[str, SamplerSpec]:
    """Every sampler a suite can name: the package's registry, then the variants above."""
    return {**SAMPLERS, **VARIANTS}


# --------------------------------------------------------------------------- suites


NB201 = ("nasbench201-cifar10", "nasbench201-cifar100", "nasbench201-imagenet")
FCNET = (
    "hpolib-naval-propulsion",
    "hpolib-parkinsons-telemonitoring",
    "hpolib-protein-structure",
    "hpolib-slice-localization",
)
HPOBENCH = (
    "hpobench-car",
    "hpobench-phoneme",
    "hpobench-vehicle",
    "hpobench-australian",
    "hpobench-kc1",
    "hpobench-segment",
    "hpobench-blood-transfusion",
    "hpobench-credit-g",
)
FCNET_MIXED = tuple(f"{name}-mixed" for name in FCNET)
LARGE = (
    "nas-macro-nb201",
    "bocs-contamination-100",
    "ising-sparsification-4x30",
    "ackley-153",
    "planted-qubo-500",
    "planted-qubo-2000",
)
METRICS = ("auto", "best_so_far")


@dataclass(frozen=True)
class Suite:
    """A named benchmark: problems x samplers x seeds x trials.

    The first sampler is the one every other sampler is tested against. ``metric`` is
    ``"auto"`` (the noise-free value of the incumbent where the objective records one, else the
    best observed value) or ``"best_so_far"`` (the best observed value everywhere).
    """

    name: str
    description: str
    problems: tuple[str, ...]
    samplers: tuple[str, ...]
    seeds: tuple[int, ...]
    trials: int
    checkpoints: tuple[int, ...] = DEFAULT_CHECKPOINTS
    metric: str = "auto"


SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in [
        Suite(
            "nb201",
            "README's main table: NAS-Bench-201 on held-out seeds 40-79, the default against "
            "Optuna's samplers with their defaults",
            NB201,
            ("annealing", "tpe", "gp", "cmaes", "random"),
            tuple(range(40, 80)),
            100,
        ),
        Suite(
            "tabular",
            "the 16 other tabular problems (HPOLib/FCNet, HPOBench-NN, FCNet mixed views), "
            "the default against TPE",
            FCNET + HPOBENCH + FCNET_MIXED,
            ("annealing", "tpe"),
            tuple(range(20)),
            100,
        ),
        Suite(
            "lightning",
            "the Lightning tasks (a real Trainer per trial, CPU), the default against TPE",
            ("ucr-italypowerdemand", "digits-quick"),
            ("annealing", "tpe"),
            tuple(range(10)),
            25,
            checkpoints=(10, 25),
        ),
        Suite(
            "randreads",
            "solver ablation: seeded uniformly random reads in place of simulated annealing",
            NB201 + FCNET + FCNET_MIXED + HPOBENCH,
            ("annealing", "annealing-randreads"),
            tuple(range(20)),
            100,
        ),
        Suite(
            "pool",
            "candidate-pool and start-up ablations of the default on ImageNet16-120",
            ("nasbench201-imagenet",),
            (
                "annealing",
                "annealing-draws0",
                "annealing-draws4",
                "annealing-top1",
                "annealing-top6",
                "annealing-wide",
                "annealing-startup3",
            ),
            tuple(range(40)),
            100,
        ),
        Suite(
            "qaoa",
            "QAOASampler against simulated annealing on its encoding and pool, the default and "
            "TPE (best observed value, as in docs/qiskit.md)",
            ("nasbench201-cifar10",),
            ("qaoa", "annealing-binary-draws0", "annealing", "tpe"),
            tuple(range(10)),
            100,
            metric="best_so_far",
        ),
        Suite(
            "large",
            "wide search spaces (100 to 2,000 bits in the default encoding): macro NAS over "
            "NAS-Bench-201 cells, BOCS contamination with 100 stages, Ising sparsification, "
            "mixed Ackley, planted QUBOs",
            LARGE,
            ("annealing", "tpe", "random", "gp"),
            tuple(range(10)),
            100,
            checkpoints=(50, 100),
        ),
        Suite(
            "large-solvers",
            "study-level solver ablation on the large problems up to 500 bits: the default "
            "against itself with seeded random reads, steepest descent and tabu in place of "
            "simulated annealing, each at about annealing's time per solve",
            LARGE[:-1],
            (
                "annealing",
                "annealing-solver-random",
                "annealing-solver-steepest",
                "annealing-solver-tabu",
            ),
            tuple(range(5)),
            100,
            checkpoints=(50, 100),
        ),
        Suite(
            "large-lightning",
            "macro NAS on scikit-learn digits (a real Trainer per trial, CPU), 182 bits",
            ("digits-macro",),
            ("annealing", "tpe", "random"),
            tuple(range(5)),
            50,
            checkpoints=(25, 50),
        ),
        Suite(
            "smoke",
            "a few seconds: random search and the default on BOCS contamination control",
            ("bocs-contamination",),
            ("annealing", "random"),
            (0, 1),
            6,
        ),
    ]
}


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"5"`` (seeds 0-4), ``"40-79"`` (a range, both ends included) or ``"0,3,7-9"``."""
    text = text.strip()
    try:
        if text.isdigit():
            count = int(text)
            if count < 1:
                raise ValueError
            return tuple(range(count))
        seeds: list[int] = []
        for part in text.split(","):
            first, dash, last = part.strip().partition("-")
            low = int(first)
            high = int(last) if dash else low
            if low < 0 or high < low:
                raise ValueError
            seeds.extend(range(low, high + 1))
    except ValueError:
        raise ValueError(
            f"--seeds {text!r}: write a count (5 = seeds 0-4), a range (40-79) or a list "
            "(0,3,7-9) of non-negative seeds."
        ) from None
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds {text!r} names a seed twice; name each seed once.")
    return tuple(seeds)


def seeds_label(seeds: Iterable[int]) -> str:
    """``"40 seeds (40-79)"`` for a contiguous range, else the seeds listed."""
    ordered = sorted(seeds)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{len(ordered)} seeds ({ordered[0]}-{ordered[-1]})"
    return f"{len(ordered)} seed{'s' if len(ordered) > 1 else ''} ({', '.join(map(str, ordered))})"


# --------------------------------------------------------------------------- tables


def _p_text(p: float) -> str:
    if not math.isfinite(p):
        return "p=n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _value_text(mean: float, std: float) -> str:
    if not math.isfinite(mean):
        return "-"
    if abs(mean) >= 1:
        return f"{mean:.2f} ± {std:.2f}" if math.isfinite(std) else f"{mean:.2f}"
    return f"{mean:.4g} ± {std:.2g}" if math.isfinite(std) else f"{mean:.4g}"


def problem_table(
    result: ComparisonResult,
    problem: str,
    samplers: Sequence[str],
    checkpoints: Sequence[int],
    metric: str,
) -> tuple[str, list[dict[str, Any]]]:
    """The Markdown table of one problem and its numbers (one dict per sampler).

    The statistics are the package's (``ComparisonResult.statistics``): mean and sample
    standard deviation over seeds at each checkpoint, two-sided Mann-Whitney U p-values between
    samplers (the uncorrected ``p_mwu``), trials to a target, sampler time per trial.
    """
    runs = [r for r in result.runs if r.problem == problem and r.sampler in samplers]
    present = [s for s in samplers if any(r.sampler == s for r in runs)]
    sub = ComparisonResult(runs=runs)
    if metric == "auto":
        metric = "incumbent_true" if all(r.has_true_values for r in runs) else "best_so_far"
    budget = max(r.n_trials for r in runs)
    points = sorted({c for c in checkpoints if c <= budget} | {budget})
    stats = sub.statistics(checkpoints=points, metric=metric)
    cells = {(row.sampler, int(row.checkpoint)): row for row in stats.checkpoints.itertuples()}
    target = None
    if TARGET_SAMPLER in present:
        target = float(cells[(TARGET_SAMPLER, budget)].mean)
        stats = sub.statistics(checkpoints=points, targets={problem: target}, metric=metric)
    p_values = {
        (frozenset((row.sampler_a, row.sampler_b)), int(row.checkpoint)): float(row.p_mwu)
        for row in stats.pairwise.itertuples()
    }
    summary = {row.sampler: row for row in stats.summary.itertuples()}
    first = present[0]
    settings = result.problem_settings(problem)
    direction = settings["direction"]
    score = (
        "noise-free value of the incumbent"
        if metric == "incumbent_true"
        else "best observed value"
    )
    better = "higher" if direction == "maximize" else "lower"
    lines = [
        f"### {problem}",
        "",
        f"{seeds_label({r.seed for r in runs})}, {budget} trials; score: {score} "
        f"({better} is better), mean ± std over seeds; p: two-sided Mann-Whitney U against "
        f"{first}.",
        "",
    ]
    head = ["sampler", *(f"@{c}" for c in points)]
    if target is not None:
        head.append(f"median trials to {TARGET_SAMPLER}'s @{budget} mean ({target:.4g})")
    head.append("sampler ms/trial")
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    numbers: list[dict[str, Any]] = []
    for sampler in present:
        row = [sampler]
        record: dict[str, Any] = {"problem": problem, "sampler": sampler, "metric": metric}
        for c in points:
            cell = cells.get((sampler, c))
            if cell is None:
                row.append("-")
                continue
            text = _value_text(cell.mean, cell.std)
            p = None  # not tested: the reference itself, or one seed a side
            reference = cells[(first, c)]
            if sampler != first and min(cell.n_seeds, reference.n_seeds) >= 2:
                p = p_values.get((frozenset((first, sampler)), c), math.nan)
                text += f" ({_p_text(p)})"
            row.append(text)
            record[f"@{c}"] = {
                "mean": cell.mean,
                "std": cell.std,
                "n_seeds": int(cell.n_seeds),
                f"p_vs_{first}": p,
            }
        s = summary[sampler]
        if target is not None:
            median = float(s.median_trials_to_target)
            row.append(f"{median:g}" if math.isfinite(median) else f"> {budget}")
            record["target"] = target
            record["median_trials_to_target"] = median if math.isfinite(median) else None
        ms = float(s.sampler_ms_per_trial)
        row.append(f"{ms:.1f}" if math.isfinite(ms) else "-")
        record["sampler_ms_per_trial"] = ms if math.isfinite(ms) else None
        lines.append("| " + " | ".join(row) + " |")
        numbers.append(record)
    return "\n".join(lines), numbers


def suite_tables(result: ComparisonResult, settings: dict[str, Any]) -> tuple[str, list[Any]]:
    """Markdown for every problem of ``settings`` that ``result`` holds, and the numbers."""
    blocks, numbers = [], []
    for problem in settings["problems"]:
        if not any(r.problem == problem for r in result.runs):
            continue
        text, rows = problem_table(
            result, problem, settings["samplers"], settings["checkpoints"], settings["metric"]
        )
        blocks.append(text)
        numbers += rows
    header = (
        f"## Suite `{settings['suite']}`\n\n{settings['description']}\n\n"
        f"Regenerate: `{settings['command']}`\n"
    )
    return header + "\n" + "\n\n".join(blocks) + "\n", numbers


def load_suite_result(out: Path, settings: dict[str, Any]) -> ComparisonResult:
    """The runs of a results folder that belong to its suite's settings."""
    db = out / STORAGE_FILE
    if not db.is_file():
        raise ValueError(f"{db} does not exist; run the suite into {out} first.")
    result = load_comparison(
        f"sqlite:///{db}",
        problems=settings["problems"],
        samplers=settings["samplers"],
        n_trials=settings["trials"],
    )
    seeds = set(settings["seeds"])
    return ComparisonResult(runs=[r for r in result.runs if r.seed in seeds])


def write_tables(out: Path) -> str:
    """Rewrite ``OUT/tables.md`` and the numbers in ``OUT/results.json``; return the Markdown."""
    path = out / RESULTS_FILE
    if not path.is_file():
        raise ValueError(f"{path} does not exist; run a suite with --out {out} first.")
    payload = json.loads(path.read_text())
    result = load_suite_result(out, payload["settings"])
    markdown, numbers = suite_tables(result, payload["settings"])
    payload["tables"] = numbers
    path.write_text(json.dumps(_finite(payload), indent=1, allow_nan=False))
    (out / TABLES_FILE).write_text(markdown)
    return markdown


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (strict JSON)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    return value


def proposal_times(out: Path) -> str:
    """Markdown: per problem and sampler, the mean solver and sampler time of a model proposal.

    Read from the ``qnas:proposal`` record of every trial the model proposed (start-up trials
    excluded) in ``OUT/comparison.db``: ``solve_seconds`` (the last solve of the posterior
    mean's QUBO, penalty included), ``sampler_seconds`` (the whole proposal: model fit, every
    solve, pool ranking), the solver's name, and the share of proposals that came from the
    solver's samples of the posterior mean or of a posterior draw (the rest are one-parameter
    moves and random pool members).
    """
    path = out / RESULTS_FILE
    if not path.is_file():
        raise ValueError(f"{path} does not exist; run a suite with --out {out} first.")
    settings = json.loads(path.read_text())["settings"]
    storage = f"sqlite:///{out / STORAGE_FILE}"
    cells: dict[tuple[str, str], list[tuple[float, float, str, bool]]] = {}
    for summary in optuna.get_all_study_summaries(storage):
        meta = summary.user_attrs.get("qnas_compare") or {}
        key = (str(meta.get("problem")), str(meta.get("sampler")))
        if key[0] not in settings["problems"] or key[1] not in settings["samplers"]:
            continue
        if meta.get("seed") not in settings["seeds"]:
            continue
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        for trial in study.get_trials(deepcopy=False):
            info = trial.system_attrs.get("qnas:proposal") or {}
            if info.get("mode") == "model" and "solve_seconds" in info:
                cells.setdefault(key, []).append(
                    (
                        info["solve_seconds"],
                        info["sampler_seconds"],
                        info.get("solver", "?"),
                        info.get("source") in ("mean", "draw"),
                    )
                )
    lines = [
        "| problem | sampler | solver | model proposals | mean-QUBO solve ms | proposal ms "
        "| from solver samples |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for problem in settings["problems"]:
        for sampler in settings["samplers"]:
            rows = cells.get((problem, sampler))
            if not rows:
                continue
            solve = 1000 * sum(r[0] for r in rows) / len(rows)
            whole = 1000 * sum(r[1] for r in rows) / len(rows)
            names = "/".join(sorted({r[2] for r in rows}))
            share = sum(r[3] for r in rows) / len(rows)
            lines.append(
                f"| {problem} | {sampler} | {names} | {len(rows)} | {solve:.1f} | {whole:.0f} "
                f"| {share:.0%} |"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- commands


def _csv(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(s.strip() for s in text.split(",") if s.strip())


def run_suite(args: argparse.Namespace, command: str) -> str:
    suite = SUITES[args.suite]
    registry = sampler_registry()
    samplers = _csv(args.samplers) or suite.samplers
    unknown = [s for s in samplers if s not in registry]
    if unknown:
        raise ValueError(
            f"Unknown sampler(s) {', '.join(unknown)}; `python benchmarks/run.py list` names "
            "the valid ones."
        )
    problems = _csv(args.problems) or suite.problems
    seeds = parse_seeds(args.seeds) if args.seeds else suite.seeds
    trials = args.trials or suite.trials
    metric = args.metric or suite.metric
    out = Path(args.out or f"results/{suite.name}")
    out.mkdir(parents=True, exist_ok=True)
    settings = {
        "suite": suite.name,
        "description": suite.description,
        "problems": list(problems),
        "samplers": list(samplers),
        "seeds": list(seeds),
        "trials": trials,
        "checkpoints": list(suite.checkpoints),
        "metric": metric,
        "command": command,
    }
    # Written first, so that `table` works on a folder whose run was interrupted.
    payload: dict[str, Any] = {
        "settings": settings,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        "optuna": optuna.__version__,
    }
    (out / RESULTS_FILE).write_text(json.dumps(payload, indent=1))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    result = compare_samplers(
        list(problems),
        {name: registry[name] for name in samplers},
        n_trials=trials,
        seeds=list(seeds),
        storage=f"sqlite:///{out / STORAGE_FILE}",
        n_workers=args.jobs,
        progress=not args.quiet,
        command=command,
    )
    payload["elapsed_seconds"] = round(time.perf_counter() - start, 1)
    payload["runs"] = len(result.runs)
    (out / RESULTS_FILE).write_text(json.dumps(payload, indent=1))
    return write_tables(out)


def list_suites() -> str:
    lines = ["Suites (python benchmarks/run.py run NAME):", ""]
    for suite in SUITES.values():
        lines.append(
            f"  {suite.name}: {suite.description}\n"
            f"      {len(suite.problems)} problem(s): {', '.join(suite.problems)}\n"
            f"      samplers: {', '.join(suite.samplers)}\n"
            f"      {seeds_label(suite.seeds)}, {suite.trials} trials"
        )
    lines += ["", "Samplers (--samplers):", ""]
    for spec in sampler_registry().values():
        lines.append(f"  {spec.name}: {spec.description}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the suites and the samplers they can name")
    run = sub.add_parser(
        "run",
        help="run a suite into a results folder (resumes), then write its tables",
    )
    run.add_argument("suite", choices=sorted(SUITES), help="the suite to run")
    run.add_argument("--seeds", help="count (5 = seeds 0-4), range (40-79) or list (0,3,7-9)")
    run.add_argument("--trials", type=int, help="trials per run (default: the suite's)")
    run.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    run.add_argument("--out", help="results folder (default: results/SUITE)")
    run.add_argument("--problems", help="comma-separated problems instead of the suite's")
    run.add_argument("--samplers", help="comma-separated samplers instead of the suite's")
    run.add_argument("--metric", choices=METRICS, help="score (default: the suite's)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    table = sub.add_parser(
        "table", help="rewrite OUT/tables.md from an existing results folder, running nothing"
    )
    table.add_argument("out", help="the results folder of an earlier run")
    times = sub.add_parser(
        "proposals",
        help="print the mean solver and sampler time per model proposal of a results folder",
    )
    times.add_argument("out", help="the results folder of an earlier run")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/run.py", *argv])
    try:
        if args.command == "list":
            print(list_suites())
            return 0
        if args.command == "proposals":
            print(proposal_times(Path(args.out)), end="")
            return 0
        if args.command == "run":
            if args.trials is not None and args.trials < 1:
                raise ValueError(f"--trials must be at least 1, got {args.trials}.")
            if args.jobs < 1:
                raise ValueError(f"--jobs must be at least 1, got {args.jobs}.")
            markdown = run_suite(args, command)
            out = Path(args.out or f"results/{args.suite}")
        else:
            out = Path(args.out)
            markdown = write_tables(out)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(markdown)
    print(f"wrote {out / TABLES_FILE} and {out / RESULTS_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
