"""Secrets: cloud tokens are read from the SDKs' environment variables / config files and never
end up in a study's storage, a log line, an error message or a comparison report.

Fake tokens are set; the cloud solvers are built and must fail offline (every D-Wave endpoint
points at a closed port on loopback, with one-second timeouts and no retries); then studies run
with a local solver and every byte of their storage, every captured log line and the output of
the command line are searched for the tokens.
"""

from __future__ import annotations

import logging
from pathlib import Path
import subprocess
import sys
import traceback

from _reliability_helpers import record_figure
from _reliability_helpers import worker_env
import optuna
import pytest

from optuna_qnas import QuantumAnnealingSampler


DWAVE_TOKEN = "DEV-fake0dwave0token-5f1e9c2b7a"
IBM_TOKEN = "fake0ibm0token-93c1d7e4b2a8f6"
DB_PASSWORD = "fake0db0password-71ab"
SECRETS = (DWAVE_TOKEN, IBM_TOKEN, DB_PASSWORD)


def _offline_cloud_env(tmp_path: Path) -> dict[str, str]:
    conf = tmp_path / "dwave.conf"
    # The token is also in the SDK's config file, the other place D-Wave reads it from.
    conf.write_text(
        f"[defaults]\ntoken = {DWAVE_TOKEN}\nrequest_timeout = 1\nhttp_retry_total = 0\n"
    )
    closed = "http://127.0.0.1:9"
    return {
        "DWAVE_API_TOKEN": DWAVE_TOKEN,
        "DWAVE_CONFIG_FILE": str(conf),
        "DWAVE_API_ENDPOINT": f"{closed}/sapi/v2/",
        "DWAVE_METADATA_API_ENDPOINT": f"{closed}/metadata/v1/",
        "DWAVE_LEAP_API_ENDPOINT": f"{closed}/leap/api/",
        "DWAVE_API_REGION": "",
        "QISKIT_IBM_TOKEN": IBM_TOKEN,
        "XDG_CONFIG_HOME": str(tmp_path),
    }


@pytest.fixture
def log_level() -> int:
    return logging.DEBUG


@pytest.fixture
def fake_tokens(tmp_path, monkeypatch, caplog, log_level):  # type: ignore[no-untyped-def]
    for key, value in _offline_cloud_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    try:
        from qiskit_ibm_runtime.accounts import management

        monkeypatch.setattr(
            management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "qiskit-ibm.json")
        )
    except ImportError:
        pass
    caplog.set_level(log_level)  # every logger, the SDKs' included
    optuna.logging.set_verbosity(log_level)
    yield
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret appears in {where}"


def _cloud_builders():  # type: ignore[no-untyped-def]
    builders = [
        ("QuantumAnnealingSampler(solver='qpu')", lambda: QuantumAnnealingSampler(solver="qpu")),
        (
            "QuantumAnnealingSampler(solver='hybrid')",
            lambda: QuantumAnnealingSampler(solver="hybrid"),
        ),
    ]
    try:
        import qiskit_ibm_runtime  # noqa: F401

        from optuna_qnas import QAOASampler

        builders.append(("QAOASampler(backend='ibm')", lambda: QAOASampler(backend="ibm")))
        builders.append(
            (
                "QAOASampler(backend='ibm:ibm_brisbane')",
                lambda: QAOASampler(backend="ibm:ibm_brisbane"),
            )
        )
    except ImportError:
        pass
    return builders


@pytest.mark.parametrize("log_level", [logging.INFO, logging.DEBUG], ids=["INFO", "DEBUG"])
def test_cloud_solvers_fail_offline_without_echoing_tokens(
    fake_tokens, caplog, capfd, log_level
) -> None:
    for name, build in _cloud_builders():
        with pytest.raises((RuntimeError, ValueError)) as info:
            build()
        text = "".join(
            traceback.format_exception(info.value)
        )  # the whole chain, as a user sees it
        _assert_no_secret(text, f"the error of {name}")
        assert "simulated_annealing" in text or "QISKIT_IBM_TOKEN" in text, text
        record_figure(
            "secrets",
            check=f"{name} with a fake token, offline, logs at {logging.getLevelName(log_level)}",
            answer=f"{type(info.value).__name__}: {str(info.value).splitlines()[0][:120]}",
        )
    _assert_no_secret(caplog.text, "the captured logs")
    out = capfd.readouterr()
    _assert_no_secret(out.out + out.err, "stdout/stderr")


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_int("x", -5, 5)
    op = trial.suggest_categorical("op", ["conv", "pool", "skip"])
    trial.set_user_attr("note", "user attributes are stored verbatim")
    return x**2 + (op == "pool")


def test_study_storage_and_logs_never_hold_tokens(fake_tokens, tmp_path, caplog, capfd) -> None:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storages = {
        "sqlite": f"sqlite:///{tmp_path / 'study.db'}",
        "journal": JournalStorage(JournalFileBackend(str(tmp_path / "journal.log"))),
    }
    for kind, storage in storages.items():
        sampler = QuantumAnnealingSampler(seed=0, num_reads=8, n_startup_trials=3)
        study = optuna.create_study(study_name=kind, storage=storage, sampler=sampler)
        study.optimize(_objective, n_trials=6)
        assert any(
            t.system_attrs.get("qnas:proposal", {}).get("mode") == "model" for t in study.trials
        )
        attrs = study._storage.get_study_system_attrs(study._study_id)
        _assert_no_secret(
            repr(attrs) + repr([t.system_attrs for t in study.trials]), f"{kind} attrs"
        )
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "dwave.conf"]
    assert {p.name for p in files} >= {"study.db", "journal.log"}
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"a secret appears in {path.name}"
    _assert_no_secret(caplog.text, "the captured logs")
    out = capfd.readouterr()
    _assert_no_secret(out.out + out.err, "stdout/stderr")
    assert "Trial 5 finished" in out.err + caplog.text  # the logs were captured at all
    record_figure(
        "secrets",
        check=(
            "SQLite + Journal studies, logs at "
            f"{logging.getLevelName(caplog.handler.level)}, fake tokens set"
        ),
        answer=(
            f"0 occurrences in {len(files)} storage files "
            f"({sum(p.stat().st_size for p in files)} bytes) and logs"
        ),
    )


def test_storage_url_password_is_masked_in_the_command_line_error(tmp_path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "optuna_qnas",
        "compare",
        "--problem",
        "nasbench201-cifar10",
        "--trials",
        "2",
        "--seeds",
        "1",
        "--out",
        str(tmp_path / "x"),
        "--storage",
        f"postgresql://optuna:{DB_PASSWORD}@127.0.0.1:9/db",
    ]
    proc = subprocess.run(
        cmd, cwd=tmp_path, env=worker_env(), capture_output=True, text=True, timeout=300
    )
    assert (
        proc.returncode == 2
        and "Cannot open storage" in proc.stderr
        and "optuna:***@" in proc.stderr
    ), proc.stderr
    _assert_no_secret(proc.stdout + proc.stderr, "the storage error")
    record_figure(
        "secrets",
        check="optuna-qnas compare --storage postgresql://optuna:<password>@...",
        answer=f"password masked: {proc.stderr.strip()[:90]}",
    )


@pytest.mark.slow  # a whole comparison with its plots and report (about 25 s on 2 busy cores)
def test_command_line_comparison_with_tokens_set(tmp_path) -> None:
    env = worker_env()
    env.update(_offline_cloud_env(tmp_path))
    out = tmp_path / "report"
    cmd = [
        sys.executable,
        "-m",
        "optuna_qnas",
        "compare",
        "--problem",
        "nasbench201-cifar10",
        "--samplers",
        "annealing,random",
        "--trials",
        "3",
        "--seeds",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _assert_no_secret(proc.stdout + proc.stderr, "the comparison's output")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "comparison.db" for p in files) and any(p.suffix == ".md" for p in files)
    for path in files:
        for secret in SECRETS:
            assert secret.encode() not in path.read_bytes(), f"a secret appears in {path.name}"
    record_figure(
        "secrets",
        check="optuna-qnas compare with fake tokens set",
        answer=f"0 occurrences in {len(files)} report/storage files and the output",
    )
