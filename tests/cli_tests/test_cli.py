"""The optuna-qnas command line: a real small comparison, the report command, user errors."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

import pytest


REPO = Path(__file__).resolve().parents[2]
CONSOLE = Path(sys.executable).parent / "optuna-qnas"


def _run(*args, cwd=REPO, timeout=300):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "optuna_qnas", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args, fragment",
    [
        (
            ["compare", "--problem", "nasbench201-cifar1000"],
            "valid problems: nasbench201-cifar10,",
        ),
        (
            ["compare", "--problem", "nasbench201-cifar10", "--samplers", "tpe,anealing"],
            "valid samplers: annealing, qaoa, vqe, grover, tpe",
        ),
        (
            ["compare", "--problem", "nasbench201-cifar10", "--trials", "0"],
            "--trials: must be at least 1",
        ),
        (
            [
                "compare",
                "--problem",
                "nasbench201-cifar10",
                "--samplers",
                "random",
                "--storage",
                "postgresql://qnas:secret@127.0.0.1:9/nodb",
            ],
            "Cannot open storage",
        ),
        (
            ["compare", "--problem", "no_such_module_qnas:objective"],
            "Cannot import 'no_such_module_qnas'",
        ),
        (
            ["compare", "--problem", "os.path:no_such_function"],
            "has no callable 'no_such_function'",
        ),
        (["compare", "--samplers", "tpe"], "--problem is required"),
        (["compare", "--problem", "nasbench201-cifar10", "--seeds", "two"], "--seeds"),
    ],
)
def test_user_errors_are_one_line(args, fragment, tmp_path):
    args = [a.format(tmp=tmp_path) for a in args]
    proc = _run(*args, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("optuna-qnas: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and "secret" not in proc.stderr


def test_list_shows_problems_and_samplers():
    proc = _run("compare", "--list")
    assert proc.returncode == 0, proc.stderr
    for name in [
        "nasbench201-cifar10",
        "nasbench201-imagenet",
        "hpolib-naval-propulsion",
        "hpobench-credit-g",
        "bocs-contamination",
        "digits",
        "annealing",
        "qaoa",
        "vqe",
        "grover",
        "cmaes-int",
        "gp",
        "random",
    ]:
        assert f"  {name} " in proc.stdout, name


def test_compare_then_report_from_storage(tmp_path):
    out = tmp_path / "main"
    proc = _run(
        "compare", "--problem", "nasbench201-cifar10", "--samplers", "tpe,random",
        "--trials", "6", "--seeds", "2", "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "4 runs" in proc.stdout
    assert (out / "comparison.db").exists()
    report = (out / "report.md").read_text()
    assert "optuna-qnas compare --problem nasbench201-cifar10 --samplers tpe,random" in report
    # The console script re-renders the report from the storage alone.
    rendered = subprocess.run(
        [
            str(CONSOLE), "report", "--storage", f"sqlite:///{out}/comparison.db",
            "--out", str(tmp_path / "re"),
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr

    def table(text):
        return text.split("## Results: nasbench201-cifar10")[1].split("## Best-so-far")[0]

    assert table((tmp_path / "re" / "report.md").read_text()) == table(report)
    assert (tmp_path / "re" / "best_so_far.png").stat().st_size > 10_000


def _one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("optuna-qnas: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


TINY = ["--problem", "nasbench201-cifar10", "--samplers", "tpe,random", "--seeds", "2"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished small comparison: its --out folder."""
    out = tmp_path_factory.mktemp("finished") / "cmp"
    proc = _run("compare", *TINY, "--trials", "6", "--out", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("kind", ["proc", "below-a-file"])
def test_an_unwritable_out_folder_is_a_one_line_error(kind, tmp_path):
    if kind == "proc":
        out, reason = "/proc/qnas-report", "cannot write the report folder"
    else:
        (tmp_path / "notes.txt").write_text("a regular file")
        out, reason = str(tmp_path / "notes.txt" / "report"), "notes.txt is a file, not a folder"
    proc = _run("compare", *TINY, "--trials", "2", "--out", out, "--no-progress", cwd=tmp_path)
    _one_line_error(proc, f"--out {out}", reason)
    assert "Traceback" not in proc.stderr


def test_report_reads_the_storage_under_out_like_compare(finished):
    (finished / "report.md").unlink()
    proc = _run("report", "--out", str(finished))
    assert proc.returncode == 0, proc.stderr
    report = (finished / "report.md").read_text()
    assert f"Storage: `sqlite:///{finished}/comparison.db`" in report
    assert "## Results: nasbench201-cifar10" in report


@pytest.mark.parametrize("how", ["--storage", "--out"])
def test_report_refuses_a_missing_sqlite_file_and_creates_none(how, tmp_path):
    typo = tmp_path / "typo"
    if how == "--storage":
        db = typo / "comparisn.db"
        args = ["--storage", f"sqlite:///{db}", "--out", str(tmp_path / "report")]
    else:
        db = typo / "comparison.db"
        args = ["--out", str(typo)]
    proc = _run("report", *args, cwd=tmp_path)
    _one_line_error(proc, f"No SQLite database at {db}")
    assert not db.exists() and not typo.exists()
    assert not (tmp_path / "report").exists()


def test_a_resume_with_nothing_left_says_so_and_still_writes_the_report(finished):
    (finished / "report.md").unlink()
    proc = _run("compare", *TINY, "--trials", "6", "--out", str(finished), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "all 4 runs already complete; nothing to do" in proc.stdout
    assert "runs in" not in proc.stdout
    assert "best configuration per sampler" in proc.stdout
    assert (finished / "report.md").exists()
    # A larger budget is a real resume, not a no-op.
    proc = _run("compare", *TINY, "--trials", "7", "--out", str(finished), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "4 runs in" in proc.stdout and "already complete" not in proc.stdout


def test_checkpoints_beyond_the_budget_are_refused(finished, tmp_path):
    out = tmp_path / "cmp"
    proc = _run(
        "compare", *TINY, "--trials", "6", "--checkpoints", "3,10,20", "--out", str(out),
        "--no-progress",
    )  # fmt: skip
    _one_line_error(proc, "--checkpoints 10,20", "budget of 6 trials")
    assert not out.exists()  # refused before any run
    proc = _run("compare", *TINY, "--trials", "6", "--checkpoints", "0,3", "--out", str(out))
    _one_line_error(proc, "--checkpoints 0", "at least 1")
    proc = _run("report", "--out", str(finished), "--checkpoints", "3,50")
    _one_line_error(proc, "--checkpoints 50", "beyond the budget of")


def test_report_on_a_storage_without_comparisons(tmp_path):
    import optuna

    db = tmp_path / "other.db"
    optuna.create_study(storage=f"sqlite:///{db}", study_name="not-a-comparison")
    proc = _run("report", "--storage", f"sqlite:///{db}", "--out", str(tmp_path / "r"))
    _one_line_error(proc, "holds no comparison studies")


def test_a_wide_best_configuration_is_printed_in_short(tmp_path):
    proc = _run(
        "compare",
        "--problem",
        "bocs-contamination-100",
        "--samplers",
        "random",
        "--trials",
        "2",
        "--seeds",
        "1",
        "--out",
        str(tmp_path / "wide"),
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith("random"))
    assert "x11=" in line and "x12=" not in line
    assert "... (88 more in the storage)" in line
