"""Helpers of the reliability tests: worker processes, PostgreSQL servers, duplicate counts."""

from __future__ import annotations

import math
import os
from pathlib import Path
import subprocess
import sys
import time
from typing import Any

import optuna
import pytest


REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WORKER = HERE / "_reliability_worker.py"
START_PG = REPO / ".ci" / "start_postgres.sh"


def start_postgres() -> tuple[str | None, str | None, str]:
    """Start a throwaway server: ``(url, dir, error)``; url is None when it could not start."""
    proc = subprocess.run(["bash", str(START_PG)], capture_output=True, text=True, timeout=600)
    env = dict(
        line[len("export ") :].split("=", 1)
        for line in proc.stdout.splitlines()
        if line.startswith("export ")
    )
    if proc.returncode != 0 or "OPTUNA_QNAS_TEST_POSTGRES_URL" not in env:
        return None, None, f"{START_PG} failed ({proc.stderr.strip()[-500:]})"
    return env["OPTUNA_QNAS_TEST_POSTGRES_URL"], env["OPTUNA_QNAS_TEST_POSTGRES_DIR"], ""


def with_driver(url: str) -> str:
    """``postgresql://`` names psycopg 3 in SQLAlchemy 2.1; use psycopg2 (the ``distributed``
    extra) when psycopg 3 is not installed."""
    import importlib.util

    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg") is None:
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def stop_postgres(directory: str) -> None:
    subprocess.run(["bash", str(START_PG), "stop", directory], capture_output=True, timeout=120)


def no_postgres(reason: str) -> None:
    if os.environ.get("OPTUNA_QNAS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"OPTUNA_QNAS_REQUIRE_POSTGRES=1 but no PostgreSQL server: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1"
    )
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(REPO), env.get("PYTHONPATH", "")])
    return env


def start_worker(
    storage: str, study: str, *, trials: int, seed: int, **flags: object
) -> subprocess.Popen:
    """Start one worker process (see ``_reliability_worker.py``); flags become ``--name value``."""
    cmd = [
        sys.executable,
        str(WORKER),
        "--storage",
        storage,
        "--study",
        study,
        "--trials",
        str(trials),
    ]
    cmd += ["--seed", str(seed)]
    for key, value in flags.items():
        opt = "--" + key.replace("_", "-")
        cmd += [opt] if value is True else [opt, str(value)]
    return subprocess.Popen(
        cmd,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


# ----- duplicate proposals ----------------------------------------------------------------------
def config_key(trial: optuna.trial.FrozenTrial) -> tuple:
    return tuple(sorted(trial.params.items()))


def proposed_at(trial: optuna.trial.FrozenTrial) -> float:
    return float(trial.user_attrs["proposed_at"])


def duplicate_counts(trials: list[optuna.trial.FrozenTrial]) -> dict[str, int]:
    """Count trials whose configuration an earlier-proposed trial already had.

    ``running``: the earlier trial was still running when this one got its parameters (two
    workers evaluating the same configuration at once); ``sequential``: the earlier trial had
    finished. ``total`` is their sum. Trials are ordered by the time their parameters were known
    (user attribute ``proposed_at``, written right after the last ``suggest_*``).
    """
    with_params = sorted((t for t in trials if "proposed_at" in t.user_attrs), key=proposed_at)
    seen: dict[tuple, list[optuna.trial.FrozenTrial]] = {}
    running = sequential = 0
    for t in with_params:
        earlier = seen.setdefault(config_key(t), [])
        if earlier:
            still_running = any(
                e.datetime_complete is None or proposed_at(t) < e.datetime_complete.timestamp()
                for e in earlier
            )
            running += int(still_running)
            sequential += int(not still_running)
        earlier.append(t)
    return {"running": running, "sequential": sequential, "total": running + sequential}


def running_duplicate_bound(n_trials: int) -> int:
    """The bound asserted on running-vs-running duplicates (see docs/reliability.md).

    Proposals computed at the same instant by different workers cannot see each other (bug B6).
    Measured: at most 3 per 100 trials when a proposal takes longer than a trial, about 1 per 240
    in the short default runs. Allowing 8 % of the trials (at least 2) keeps the chance of a false
    alarm under about 1 % at the measured rates (Poisson), and still fails a sampler whose
    collisions are several times more frequent than measured.
    """
    return max(2, math.ceil(0.08 * n_trials))


# ----- figures for docs/reliability.md ----------------------------------------------------------
FIGURES = REPO / "results" / "reliability" / "figures.jsonl"


def record_figure(kind: str, **data: Any) -> None:
    """Append one measured figure (workers, trials, duplicates, faults ...) to results/."""
    import json

    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as fh:
        fh.write(json.dumps({"kind": kind, "time": time.time(), **data}, default=str) + "\n")
    print(kind, data)


def wait_all(procs: list[subprocess.Popen], timeout: float) -> list[tuple[int, str, str]]:
    """Wait for worker processes; kill their process groups on timeout (then fail)."""
    deadline = time.monotonic() + timeout
    out = []
    try:
        for p in procs:
            o, e = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            out.append((p.returncode, o, e))
    except subprocess.TimeoutExpired:
        for p in procs:
            kill_group(p)
        pytest.fail(f"workers did not finish within {timeout} s")
    return out


def kill_group(proc: subprocess.Popen, sig: int | None = None) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL if sig is None else sig)
    except ProcessLookupError:
        pass
