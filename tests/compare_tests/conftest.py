"""A real PostgreSQL server for the comparison tests.

The URL comes from ``OPTUNA_QNAS_TEST_POSTGRES_URL``; without it the fixture starts a throwaway
server with ``.ci/start_postgres.sh`` (installing Debian's package if needed) and stops it at the
end. If no server can be had, the tests using it are skipped with the reason, or fail when
``OPTUNA_QNAS_REQUIRE_POSTGRES=1`` (CI).
"""

from __future__ import annotations

import os
from pathlib import Path
import subprocess

import pytest


REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("OPTUNA_QNAS_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    script = REPO / ".ci" / "start_postgres.sh"
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=600)
    env = dict(
        line[len("export ") :].split("=", 1)
        for line in proc.stdout.splitlines()
        if line.startswith("export ")
    )
    if proc.returncode != 0 or "OPTUNA_QNAS_TEST_POSTGRES_URL" not in env:
        reason = f"no PostgreSQL server: {script} failed ({proc.stderr.strip()[-500:]})"
        if os.environ.get("OPTUNA_QNAS_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield env["OPTUNA_QNAS_TEST_POSTGRES_URL"]
    finally:
        subprocess.run(
            ["bash", str(script), "stop", env["OPTUNA_QNAS_TEST_POSTGRES_DIR"]],
            capture_output=True,
            timeout=120,
        )
