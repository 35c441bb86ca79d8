"""benchmarks/run.py runs a suite through compare_samplers and writes its tables, in seconds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import subprocess
import sys
from types import ModuleType

import optuna
import pytest

from optuna_qnas.compare import load_comparison


RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), *args], capture_output=True, text=True, timeout=300
    )


def test_smoke_suite_writes_tables_and_regenerates_them(tmp_path: Path) -> None:
    out = tmp_path / "smoke"
    done = _cli("run", "smoke", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    tables = (out / "tables.md").read_text()
    assert "### bocs-contamination" in tables
    assert "| annealing | " in tables and "| random | " in tables
    assert "p: two-sided Mann-Whitney U against annealing" in tables
    assert tables in done.stdout

    # Every run of the suite is in the storage: 2 samplers x 2 seeds x 6 trials.
    result = load_comparison(f"sqlite:///{out / 'comparison.db'}")
    assert sorted((r.sampler, r.seed, len(r.values)) for r in result.runs) == [
        ("annealing", 0, 6),
        ("annealing", 1, 6),
        ("random", 0, 6),
        ("random", 1, 6),
    ]
    payload = json.loads((out / "results.json").read_text())
    assert payload["settings"]["samplers"] == ["annealing", "random"]
    assert payload["runs"] == 4
    rows = {row["sampler"]: row for row in payload["tables"]}
    finals = [r.final_best for r in result.select("bocs-contamination", "random")]
    assert rows["random"]["@6"]["mean"] == pytest.approx(sum(finals) / 2)
    assert rows["random"]["@6"]["p_vs_annealing"] is not None
    assert rows["annealing"]["sampler_ms_per_trial"] > 0

    # `table` rewrites the same file from the folder, running nothing.
    run = _module()
    (out / "tables.md").unlink()
    assert run.main(["table", str(out)]) == 0
    assert (out / "tables.md").read_text() == tables

    # `proposals`: one model proposal per seed (5 start-up trials of 6), by the annealer only.
    assert "| from solver samples |" in run.proposal_times(out).splitlines()[0]
    times = run.proposal_times(out)
    assert "| bocs-contamination | annealing | SimulatedAnnealingSampler | 2 |" in times
    assert "| random |" not in times

    # The same command again resumes: every run is complete, nothing is evaluated.
    assert run.main(["run", "smoke", "--out", str(out), "--quiet"]) == 0
    summaries = optuna.get_all_study_summaries(f"sqlite:///{out / 'comparison.db'}")
    assert sorted(s.n_trials for s in summaries) == [6, 6, 6, 6]
    assert (out / "tables.md").read_text() == tables


def test_random_reads_variant_is_seeded(tmp_path: Path) -> None:
    out = tmp_path / "randreads"
    args = ["--problems", "bocs-contamination", "--seeds", "1", "--trials", "8", "--quiet"]
    run = _module()
    assert run.main(["run", "randreads", *args, "--out", str(out / "a")]) == 0
    assert run.main(["run", "randreads", *args, "--out", str(out / "b")]) == 0
    a = load_comparison(f"sqlite:///{out / 'a' / 'comparison.db'}")
    b = load_comparison(f"sqlite:///{out / 'b' / 'comparison.db'}")
    for sampler in ("annealing", "annealing-randreads"):
        (ra,) = a.select("bocs-contamination", sampler)
        (rb,) = b.select("bocs-contamination", sampler)
        assert ra.values.tolist() == rb.values.tolist()


def test_seed_specs() -> None:
    run = _module()
    assert run.parse_seeds("3") == (0, 1, 2)
    assert run.parse_seeds("40-42") == (40, 41, 42)
    assert run.parse_seeds("0,3,7-8") == (0, 3, 7, 8)
    for bad in ("0", "3-1", "a", "1,1", "-2"):
        with pytest.raises(ValueError, match="--seeds"):
            run.parse_seeds(bad)


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _module()
    assert run.main(["run", "smoke", "--samplers", "annealing,nope", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: Unknown sampler(s) nope; `python benchmarks/run.py list` names the valid ones."
    ]
    assert not (tmp_path / "results.json").exists()
    assert run.main(["table", str(tmp_path / "missing")]) == 2
    assert "run a suite with --out" in capsys.readouterr().err


def test_every_suite_names_known_samplers_and_problems() -> None:
    from optuna_qnas.problems import problem_names

    run = _module()
    registry = run.sampler_registry()
    for suite in run.SUITES.values():
        assert set(suite.samplers) <= set(registry), suite.name
        assert set(suite.problems) <= set(problem_names()), suite.name
    nb201 = run.SUITES["nb201"]
    assert nb201.seeds == tuple(range(40, 80)) and nb201.trials == 100
    assert nb201.samplers == ("annealing", "tpe", "gp", "cmaes", "random")


def test_solver_variants_propose_with_their_own_solver() -> None:
    from optuna_qnas.problems import get_problem

    run = _module()
    problem = get_problem("bocs-contamination")
    expected = {
        "annealing-solver-random": "RandomReadsSolver",
        "annealing-solver-steepest": "SteepestDescentSolver",
        "annealing-solver-tabu": "TabuSampler",
    }
    for name, solver in expected.items():
        assert name in run.SUITES["large-solvers"].samplers
        sampler = run.sampler_registry()[name].factory(0)
        study = optuna.create_study(directions=[*problem.directions], sampler=sampler)  # type: ignore[list-item]
        study.optimize(problem.make_objective(0), n_trials=8)
        proposals = [t.system_attrs["qnas:proposal"] for t in study.trials[5:]]
        assert all(p["mode"] == "model" and p["solver"] == solver for p in proposals), name
        assert all(p["solve_seconds"] > 0 for p in proposals), name


def test_random_reads_solver_keeps_the_lowest_distinct_reads() -> None:
    import numpy as np

    from optuna_qnas._qubo import QUBO

    run = _module()
    rng = np.random.default_rng(3)
    qubo = QUBO(rng.normal(size=12), np.triu(rng.normal(size=(12, 12)), 1))
    solver = run.RandomReadsSolver(num_reads=500)
    result = solver.solve(qubo, 5, seed=7)
    assert result.samples.shape == (5, 12) and len(np.unique(result.samples, axis=0)) == 5
    assert np.allclose(result.energies, qubo.energies(result.samples))
    assert np.all(np.diff(result.energies) >= 0)
    # The lowest 5 of the same 500 seeded reads, found by brute force over those reads.
    reads = np.random.default_rng(7).integers(0, 2, size=(500, 12), dtype=np.int8)
    lowest = np.sort(qubo.energies(np.unique(reads, axis=0)))[:5]
    assert np.allclose(result.energies, lowest)
    assert solver.solve(qubo, 5, seed=7).samples.tolist() == result.samples.tolist()
    assert run.RandomReadsSolver().reads(300) == 1000
    with pytest.raises(ValueError, match="num_reads"):
        run.RandomReadsSolver(num_reads=0)
