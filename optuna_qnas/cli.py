"""The ``optuna-qnas`` command line.

``optuna-qnas compare`` runs a side-by-side sampler comparison and writes its report;
``optuna-qnas compare --list`` lists problems and samplers; ``optuna-qnas report`` re-renders
the report of a comparison from its storage. User errors print one line on stderr and exit
with status 2; Ctrl-C exits with status 130 and leaves the storage ready to resume.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import contextlib
import os
import shlex
import sys
import tempfile
import time
from typing import Any

from optuna_qnas.compare._timing import SamplerCallError


PROG = "optuna-qnas"
MAIN_PROBLEM = "nasbench201-cifar10"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see `{self.prog} --help`)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _int_list(text: str) -> list[int]:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected integers separated by commas, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def _build_parser() -> _Parser:
    parser = _Parser(prog=PROG, description="Quantum-enhanced NAS for Optuna: tools.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    cmp = sub.add_parser(
        "compare",
        help="run samplers side by side on the same studies and write a report",
        description="Run every sampler with the same seeds and budget on one Optuna storage, "
        "then write report.md/report.html with statistics and plots. Re-running the same "
        "command resumes an interrupted comparison.",
    )
    cmp.add_argument(
        "--problem",
        help=f"registered problem(s), comma-separated (e.g. {MAIN_PROBLEM}), or a user "
        "objective as module:function whose search space is defined in the function",
    )
    cmp.add_argument(
        "--samplers",
        default="annealing,tpe,cmaes,random",
        help="comma-separated sampler names (default: %(default)s); see --list",
    )
    cmp.add_argument(
        "--trials", type=_positive_int, default=100, help="trials per run (default: %(default)s)"
    )
    cmp.add_argument(
        "--seeds",
        type=_positive_int,
        default=5,
        help="number of seeds, 0..K-1 (default: %(default)s)",
    )
    cmp.add_argument(
        "--seed-list", type=_int_list, help="explicit seeds, e.g. 10,11,12 (overrides --seeds)"
    )
    cmp.add_argument(
        "--out", default="reports/compare", help="report folder (default: %(default)s)"
    )
    cmp.add_argument(
        "--storage",
        help="Optuna RDB URL (sqlite:///..., postgresql://...); default: sqlite:///OUT/comparison.db",
    )
    cmp.add_argument(
        "--workers", type=_positive_int, default=1, help="worker processes (default: 1)"
    )
    cmp.add_argument(
        "--dask-scheduler", help="run on a Dask cluster: scheduler address, tcp://host:8786"
    )
    cmp.add_argument(
        "--direction",
        choices=["minimize", "maximize"],
        help="direction of a module:function objective (default: minimize)",
    )
    cmp.add_argument(
        "--checkpoints",
        type=_int_list,
        help="trial counts for the tables (default: up to 25,50,100 + budget)",
    )
    cmp.add_argument("--target", type=float, help="target value for 'trials to reach target'")
    cmp.add_argument(
        "--study-prefix",
        default="qnas",
        help="first part of the study names (default: %(default)s)",
    )
    cmp.add_argument("--no-progress", action="store_true", help="no progress bar")
    cmp.add_argument("--no-report", action="store_true", help="run the studies only")
    cmp.add_argument("--list", action="store_true", help="list problems and samplers and exit")

    rep = sub.add_parser(
        "report",
        help="re-render the report of a comparison from its storage",
        description="Read every comparison study (user attribute qnas_compare) from the storage "
        "and write report.md/report.html with statistics and plots.",
    )
    rep.add_argument(
        "--out",
        required=True,
        help="report folder; the comparison is read from OUT/comparison.db unless --storage "
        "names another storage (the same default as compare's)",
    )
    rep.add_argument(
        "--storage",
        help="Optuna RDB URL of the comparison (default: sqlite:///OUT/comparison.db)",
    )
    rep.add_argument("--problem", help="only these problems, comma-separated")
    rep.add_argument("--samplers", help="only these samplers, comma-separated")
    rep.add_argument("--trials", type=_positive_int, help="budget to read (default: each study's)")
    rep.add_argument(
        "--study-prefix", help="only the comparison whose study names start with this"
    )
    rep.add_argument("--checkpoints", type=_int_list, help="trial counts for the tables")
    rep.add_argument("--target", type=float, help="target value for 'trials to reach target'")
    return parser


def _print_list() -> None:
    from optuna_qnas.compare import SAMPLERS
    from optuna_qnas.problems import list_problems

    print("Problems (--problem NAME, or module:function for your own objective):")
    infos = list_problems()
    width = max(len(i.name) for i in infos)
    for info in infos:
        state = "" if info.available else f"  [{info.reason}]"
        print(f"  {info.name:<{width}}  {info.description}{state}")
    print()
    print("Samplers (--samplers a,b,c):")
    width = max(len(n) for n in SAMPLERS)
    for name, spec in SAMPLERS.items():
        try:
            spec.factory(0)
            state = ""
        except Exception as e:
            state = f"  [unavailable: {str(e).splitlines()[0]}]"
        print(f"  {name:<{width}}  {spec.description}{state}")


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _targets(problems: Sequence[str], target: float | None) -> dict[str, float] | None:
    return {p: target for p in problems} if target is not None else None


def _default_storage(out: str) -> str:
    """The storage ``compare`` writes beside its report: ``sqlite:///OUT/comparison.db``."""
    return "sqlite:///" + os.path.join(out, "comparison.db")


def _check_writable_folder(path: str) -> None:
    """Fail now, in one line, if the report folder cannot be created or written.

    The folders it has to create for the check are removed again, so a command that fails
    later for another reason leaves nothing behind.
    """
    missing = []
    folder = os.path.abspath(path)
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        missing.append(folder)
        folder = os.path.dirname(folder)
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        if os.path.exists(folder) and not os.path.isdir(folder):
            reason = f"{folder} is a file, not a folder"
        else:
            reason = e.strerror or type(e).__name__
        raise _UsageError(
            f"--out {path}: cannot write the report folder ({reason}); choose a writable folder"
        ) from None
    finally:
        for created in missing:
            with contextlib.suppress(OSError):
                os.rmdir(created)


def _check_checkpoints(checkpoints: Sequence[int] | None, budget: int, source: str) -> None:
    """Refuse checkpoints that no run can reach instead of leaving them out of the tables."""
    if checkpoints is None:
        return
    below = [c for c in checkpoints if c < 1]
    if below:
        raise _UsageError(
            f"--checkpoints {','.join(map(str, below))}: a checkpoint is a number of trials, "
            "at least 1"
        )
    beyond = [c for c in checkpoints if c > budget]
    if beyond:
        raise _UsageError(
            f"--checkpoints {','.join(map(str, beyond))}: beyond the budget of {budget} trials "
            f"({source}); use checkpoints up to {budget} or a larger budget"
        )


def _compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from optuna_qnas.compare import compare_samplers

    if args.list:
        _print_list()
        return 0
    if not args.problem:
        raise _UsageError(f"--problem is required (e.g. --problem {MAIN_PROBLEM}; see --list)")
    problems = _split(args.problem) or []
    _check_checkpoints(args.checkpoints, args.trials, "--trials")
    if args.storage is None or not args.no_report:
        _check_writable_folder(args.out)
    storage = args.storage or _default_storage(args.out)
    seeds = args.seed_list if args.seed_list is not None else args.seeds
    command = " ".join([PROG, *map(shlex.quote, argv)])
    started = time.perf_counter()
    result = compare_samplers(
        problems if len(problems) > 1 else problems[0],
        args.samplers,
        n_trials=args.trials,
        seeds=seeds,
        storage=storage,
        direction=args.direction,
        n_workers=args.workers,
        dask_scheduler=args.dask_scheduler,
        study_prefix=args.study_prefix,
        progress=not args.no_progress,
        command=command,
    )
    elapsed = time.perf_counter() - started
    if result.n_trials_run == 0:
        print(f"all {len(result.runs)} runs already complete; nothing to do (storage {storage})")
    else:
        print(f"{len(result.runs)} runs in {elapsed:.1f} s; storage {storage}")
    _print_best(result)
    if not args.no_report:
        path = result.write_report(
            args.out,
            command=command,
            checkpoints=args.checkpoints,
            targets=_targets(result.problems, args.target),
            storage_url=storage,
        )
        print(f"report: {path} (and {path.with_suffix('.html')})")
    return 0


#: A best configuration printed by `compare` names at most this many parameters (a wide space
#: has thousands; the storage keeps them all).
MAX_PRINTED_PARAMS = 12


def _print_best(result: Any) -> None:
    """The best configuration each sampler found (over its seeds), with its noise-free value
    where the problem records one (the tabular benchmarks' mean over training seeds)."""
    import numpy as np

    for problem in result.problems:
        print(f"best configuration per sampler on {problem}:")
        for sampler in result.samplers:
            runs = [r for r in result.select(problem, sampler) if r.best_params]
            if not runs:
                continue
            sign = -1.0 if runs[0].direction == "maximize" else 1.0
            best = min(runs, key=lambda r: sign * r.final_best)
            items = list(best.best_params.items())
            params = ", ".join(f"{k}={v}" for k, v in items[:MAX_PRINTED_PARAMS])
            if len(items) > MAX_PRINTED_PARAMS:
                params += f", ... ({len(items) - MAX_PRINTED_PARAMS} more in the storage)"
            line = f"  {sampler:<10} seed={best.seed}  value={best.final_best:.4g}"
            if best.has_true_values:
                finite = best.true_values[np.isfinite(best.values)]
                values = best.values[np.isfinite(best.values)]
                idx = int(np.argmin(sign * values))
                line += f" (noise-free {finite[idx]:.4g})"
            print(f"{line}  {params}")


def _report(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from optuna_qnas.compare import load_comparison

    storage = args.storage or _default_storage(args.out)
    if args.trials is not None:
        _check_checkpoints(args.checkpoints, args.trials, "--trials")
    # Read-only until the report is written: a mistyped SQLite path is refused, not created.
    result = load_comparison(
        storage,
        problems=_split(args.problem),
        samplers=_split(args.samplers),
        n_trials=args.trials,
        study_prefix=args.study_prefix,
    )
    budget = max(run.n_trials for run in result.runs)
    _check_checkpoints(args.checkpoints, budget, "the largest budget in the storage")
    _check_writable_folder(args.out)
    path = result.write_report(
        args.out,
        command=" ".join([PROG, *map(shlex.quote, argv)]),
        checkpoints=args.checkpoints,
        targets=_targets(result.problems, args.target),
        storage_url=storage,
    )
    print(f"report: {path} (and {path.with_suffix('.html')})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``optuna-qnas`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        # A module:function objective given relative to the working directory should import.
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        if args.command == "compare":
            return _compare(args, argv)
        return _report(args, argv)
    except (_UsageError, ValueError) as e:
        message = " ".join(str(e).split())  # one line
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except SamplerCallError as e:
        message = " ".join(str(e).split())
        print(f"{PROG}: error: a sampler failed, the run stopped: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted; the storage is consistent, re-run the same command to resume.",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
