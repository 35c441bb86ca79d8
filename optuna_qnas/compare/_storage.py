"""Storage helpers of the comparison tool: opening a URL, naming studies, counting trials.

Every run of a comparison is an ordinary Optuna study. Its name encodes the problem, the
sampler and the seed (``qnas/nasbench201-cifar10/tpe/seed=0``); its user attribute
``qnas_compare`` holds the settings (problem, sampler, seed, budget, direction, view, ...). Trials
cut short by an interruption carry the system attribute ``qnas_compare:interrupted`` and do not
count towards the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
import logging
import os
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial
from optuna.trial import TrialState


SETTINGS_ATTR = "qnas_compare"
INTERRUPTED_ATTR = "qnas_compare:interrupted"
SEGMENTS_ATTR = "qnas_compare:segments"
FAIL_REASON_ATTR = "fail_reason"
DEFAULT_PREFIX = "qnas"

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and reports)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def make_storage(storage: str | BaseStorage | None, *, create: bool = True) -> BaseStorage:
    """Open ``storage``: an RDB URL (SQLite, PostgreSQL, ...), a storage object or ``None``.

    ``None`` gives an in-memory storage (single process only). SQLite files get their parent
    folder created and a 60 s lock timeout, so that several worker processes can share them.

    Args:
        storage:
            The URL, a storage object or ``None``.
        create:
            Whether a missing SQLite file may be created. ``False`` for reading a comparison
            back: a mistyped path then raises instead of leaving an empty database behind.

    Raises:
        ValueError: the URL is malformed, the database cannot be reached, the SQLite file's
            folder cannot be created, or (with ``create=False``) the SQLite file does not exist;
            the message says which URL (without its password) and why.
    """
    if storage is None:
        return optuna.storages.InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if not isinstance(storage, str):
        raise ValueError(f"storage must be a URL string or an Optuna storage, got {storage!r}.")
    engine_kwargs: dict[str, Any] = {}
    storage = _postgres_driver(storage)
    if storage.startswith("sqlite:"):
        path = _sqlite_path(storage)
        if path is not None and not create and not os.path.isfile(path):
            raise ValueError(
                f"No SQLite database at {path} (storage {storage}); check the path, or run "
                "`optuna-qnas compare` first to create it."
            )
        if path is not None:
            folder = os.path.dirname(os.path.abspath(path))
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as e:
                raise ValueError(
                    f"Cannot create the folder of the SQLite database {path}: "
                    f"{_os_reason(e, folder)}; choose another path."
                ) from None
        engine_kwargs = {"connect_args": {"timeout": 60}}
    try:
        opened = optuna.storages.RDBStorage(storage, engine_kwargs=engine_kwargs)
    except Exception as e:  # sqlalchemy raises many types for bad URLs and dead servers
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(
            f"Cannot open storage {mask_url(storage)}: {first_line}. Check the URL "
            "(e.g. sqlite:///results.db or postgresql://user:password@host:5432/db) and that "
            "the server is running."
        ) from None
    _quiet_cursor_errors_on_interrupt(opened)
    if engine_kwargs:
        _use_wal(opened)
    return opened


def _raised_during_interrupt(record: logging.LogRecord) -> bool:
    """Whether the record's exception was raised while a ``KeyboardInterrupt`` was handled."""
    exc = record.exc_info[1] if record.exc_info else None
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__context__
    return False


def _drop_cursor_errors_on_interrupt(record: logging.LogRecord) -> bool:
    return not (record.getMessage() == "Error closing cursor" and _raised_during_interrupt(record))


def _quiet_cursor_errors_on_interrupt(storage: optuna.storages.RDBStorage) -> None:
    """Keep Ctrl-C during a query from printing SQLAlchemy's "Error closing cursor" traceback.

    When the interrupt lands inside a fetch, SQLAlchemy closes the cursor, the close fails, and
    the pool's logger prints that failure with the whole traceback before the interrupt reaches
    the comparison, which then stops cleanly. The record is dropped only when its exception
    arose while a ``KeyboardInterrupt`` was handled; any other cursor error is still logged.
    """
    pool_logger: Any = storage.engine.pool.logger  # a Logger, or SQLAlchemy's adapter of one
    logger = logging.getLogger(getattr(pool_logger, "logger", pool_logger).name)
    if _drop_cursor_errors_on_interrupt not in logger.filters:
        logger.addFilter(_drop_cursor_errors_on_interrupt)


def _sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///...`` URL, or ``None`` for an in-memory database."""
    try:
        from sqlalchemy.engine import make_url

        database = make_url(url).database
    except Exception:
        database = url[len("sqlite:///") :] if url.startswith("sqlite:///") else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _os_reason(error: OSError, path: str) -> str:
    """Why ``path`` cannot be created or written, in a few words."""
    parent = os.path.abspath(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if parent and os.path.exists(parent) and not os.path.isdir(parent):
        return f"{parent} is a file, not a folder"
    return error.strerror or type(error).__name__


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _use_wal(storage: optuna.storages.RDBStorage) -> None:
    """Write-ahead logging for SQLite files.

    With the default rollback journal every commit syncs the file several times (about 230 ms
    per trial measured here); WAL with ``synchronous=NORMAL`` is about 3x faster, lets the
    progress bar read while workers write, and stays consistent when a process is killed (only
    an operating-system crash can lose the last commits).
    """
    import sqlalchemy

    sqlalchemy.event.listen(storage.engine, "connect", _sqlite_pragmas)
    storage.engine.dispose()  # reconnect with the pragmas


def _postgres_driver(url: str) -> str:
    """Pick psycopg2 for a driver-less ``postgresql://`` URL when psycopg 3 is missing.

    SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3; the ``distributed`` extra installs
    ``psycopg2-binary``. An explicit driver (``postgresql+psycopg://``) is left alone.
    """
    if not url.startswith(("postgresql://", "postgres://")):
        return url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def study_name(prefix: str, problem: str, sampler: str, seed: int) -> str:
    """The study name of one run: ``{prefix}/{problem}/{sampler}/seed={seed}``."""
    return f"{prefix}/{problem}/{sampler}/seed={seed}"


def is_interrupted(trial: FrozenTrial) -> bool:
    """Whether ``trial`` was cut short by an interruption (it does not use up budget)."""
    return bool(trial.system_attrs.get(INTERRUPTED_ATTR, False))


def counted_trials(
    trials: Sequence[FrozenTrial], n_trials: int | None = None
) -> list[FrozenTrial]:
    """The trials that use up the budget, by number: finished and not interrupted.

    Completed, pruned and failed evaluations all count (a failing configuration is a spent
    evaluation); trials marked interrupted do not. With ``n_trials``, only the first
    ``n_trials`` of them are returned.
    """
    counted = [t for t in trials if t.state in _FINISHED and not is_interrupted(t)]
    counted.sort(key=lambda t: t.number)
    return counted if n_trials is None else counted[:n_trials]
