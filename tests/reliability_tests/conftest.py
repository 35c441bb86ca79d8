"""Fixtures of the reliability tests: a real PostgreSQL server and fresh study names.

The PostgreSQL URL comes from ``OPTUNA_QNAS_TEST_POSTGRES_URL`` (CI: ``.ci/run`` starts the
server with ``.ci/start_postgres.sh``). Without it, the session fixture starts a throwaway server
with the same script, as ``tests/compare_tests/conftest.py`` does, and stops it at the end. When
no server can be had the PostgreSQL tests are skipped with the reason, or fail when
``OPTUNA_QNAS_REQUIRE_POSTGRES=1`` (never a silent skip).
"""

from __future__ import annotations

from collections.abc import Iterator
import os
import uuid

from _reliability_helpers import no_postgres
from _reliability_helpers import start_postgres
from _reliability_helpers import stop_postgres
from _reliability_helpers import with_driver
import pytest


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("OPTUNA_QNAS_TEST_POSTGRES_URL")
    if url:
        yield with_driver(url)
        return
    url, directory, error = start_postgres()
    if url is None:
        no_postgres(error)
    try:
        yield with_driver(url)
    finally:
        stop_postgres(directory)


@pytest.fixture
def study_name() -> str:
    return f"rel-{uuid.uuid4().hex[:12]}"
