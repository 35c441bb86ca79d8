"""Bad input at every entry point, table-driven: each gets a clear error naming the fix, or a
valid proposal. Never a crash inside Optuna's optimize loop that kills the study.

The tables below are the source of the bad-input table in docs/reliability.md; each test records
(entry point, input, answer) in results/reliability/figures.jsonl.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

from _reliability_helpers import record_figure
from _reliability_helpers import worker_env
import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.trial import TrialState
import pytest

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas import QUBOSampler
from optuna_qnas._qubo import ParamEncoding
from optuna_qnas._qubo import SearchSpaceEncoding
from optuna_qnas.solvers import DimodSolver
from optuna_qnas.solvers import make_solver


optuna.logging.set_verbosity(optuna.logging.ERROR)


class _Odd(BaseDistribution):
    """A distribution type no encoder knows."""

    def to_external_repr(self, v):  # type: ignore[no-untyped-def]
        return v

    def to_internal_repr(self, v):  # type: ignore[no-untyped-def]
        return v

    def single(self) -> bool:
        return False

    def _contains(self, v) -> bool:  # type: ignore[no-untyped-def]
        return True


F01 = FloatDistribution(0.0, 1.0)
CAT = CategoricalDistribution(["a", "b", "c"])

# (entry point, input, call, regex the ValueError message must match: it names the fix)
ERRORS = [
    (
        "QuantumAnnealingSampler",
        "solver='annealing-ish'",
        lambda: QuantumAnnealingSampler(solver="annealing-ish"),
        "Use one of simulated_annealing",
    ),
    (
        "QuantumAnnealingSampler",
        "solver=3",
        lambda: QuantumAnnealingSampler(solver=3),
        "preset name",
    ),
    (
        "QuantumAnnealingSampler",
        "num_reads=0",
        lambda: QuantumAnnealingSampler(num_reads=0),
        "num_reads must be an integer >= 1",
    ),
    (
        "QuantumAnnealingSampler",
        "num_reads=2.5",
        lambda: QuantumAnnealingSampler(num_reads=2.5),
        "num_reads must be an integer",
    ),
    (
        "QuantumAnnealingSampler",
        "seed='abc'",
        lambda: QuantumAnnealingSampler(seed="abc"),
        "seed must be None or an int",
    ),
    (
        "QuantumAnnealingSampler",
        "seed=-1",
        lambda: QuantumAnnealingSampler(seed=-1),
        "between 0 and 2\\*\\*32 - 1",
    ),
    (
        "QUBOSampler",
        "n_startup_trials=-1",
        lambda: QUBOSampler(n_startup_trials=-1),
        "n_startup_trials must be an integer >= 0",
    ),
    (
        "QUBOSampler",
        "n_startup_trials='5'",
        lambda: QUBOSampler(n_startup_trials="5"),
        "n_startup_trials must be an integer",
    ),
    (
        "QUBOSampler",
        "n_startup_trials=True",
        lambda: QUBOSampler(n_startup_trials=True),
        "n_startup_trials must be an integer",
    ),
    (
        "QUBOSampler",
        "num_samples=0",
        lambda: QUBOSampler(num_samples=0),
        "num_samples must be an integer >= 1",
    ),
    (
        "QUBOSampler",
        "max_levels=1",
        lambda: QUBOSampler(max_levels=1),
        "max_levels must be an integer >= 2",
    ),
    (
        "QUBOSampler",
        "float_bins=0",
        lambda: QUBOSampler(float_bins=0),
        "float_bins must be an integer >= 1",
    ),
    (
        "QUBOSampler",
        "surrogate='gp'",
        lambda: QUBOSampler(surrogate="gp"),
        "Unknown surrogate .gp.*Leave surrogate out",
    ),
    (
        "QUBOSampler",
        "surrogate=5",
        lambda: QUBOSampler(surrogate=5),
        "surrogate must be None or a callable",
    ),
    (
        "QUBOSampler",
        "draw_solver=3",
        lambda: QUBOSampler(draw_solver=3),
        "draw_solver must be a preset name",
    ),
    (
        "QUBOSampler",
        "encoding='hex'",
        lambda: QUBOSampler(encoding="hex"),
        "Use one of one_hot, domain_wall, binary, unary",
    ),
    ("QUBOSampler", "encoding=5", lambda: QUBOSampler(encoding=5), "must be one of"),
    (
        "QUBOSampler",
        "encoding={'x': 'hex'}",
        lambda: QUBOSampler(encoding={"x": "hex"}),
        "Use one of one_hot",
    ),
    (
        "QUBOSampler",
        "solver=object()",
        lambda: QUBOSampler(solver=object()),
        "dimod.Sampler, or an object with solve",
    ),
    (
        "ParamEncoding",
        "encoding='hex'",
        lambda: ParamEncoding("x", F01, "hex"),
        "Use one of one_hot",
    ),
    (
        "ParamEncoding",
        "unary on a categorical",
        lambda: ParamEncoding("op", CAT, "unary"),
        "Use 'one_hot', 'domain_wall' or 'binary'",
    ),
    (
        "ParamEncoding",
        "unknown distribution type",
        lambda: ParamEncoding("z", _Odd(), None),
        "CategoricalDistribution, IntDistribution or FloatDistribution",
    ),
    (
        "ParamEncoding",
        "max_levels=1",
        lambda: ParamEncoding("x", IntDistribution(0, 9), max_levels=1),
        "max_levels must be >= 2",
    ),
    (
        "ParamEncoding",
        "float_bins=0",
        lambda: ParamEncoding("x", F01, float_bins=0),
        "float_bins >= 1",
    ),
    (
        "ParamEncoding",
        "encode_level(7) of 3 levels",
        lambda: ParamEncoding("op", CAT).encode_level(7),
        "out of range",
    ),
    (
        "SearchSpaceEncoding",
        "encoding={'x': 'hex'}",
        lambda: SearchSpaceEncoding({"x": F01}, {"x": "hex"}),
        "Use one of one_hot",
    ),
    (
        "SearchSpaceEncoding",
        "{'op': 'unary'} for a categorical",
        lambda: SearchSpaceEncoding({"op": CAT}, {"op": "unary"}),
        "Use 'one_hot'",
    ),
    (
        "SearchSpaceEncoding",
        "decode 5 bits of a 3-bit space",
        lambda: SearchSpaceEncoding({"op": CAT}).decode_levels(np.zeros((1, 5))),
        "length 3",
    ),
    (
        "make_solver",
        "'annealing-ish'",
        lambda: make_solver("annealing-ish"),
        "Use one of simulated_annealing",
    ),
    ("make_solver", "3", lambda: make_solver(3), "preset name"),
    (
        "make_solver",
        "num_reads=0",
        lambda: make_solver("sa", num_reads=0),
        "num_reads must be a positive integer",
    ),
    ("DimodSolver", "object()", lambda: DimodSolver(object()), "needs a dimod.Sampler"),
]


@pytest.mark.parametrize(
    "entry, given, call, match", ERRORS, ids=[f"{e}:{g}" for e, g, _, _ in ERRORS]
)
def test_constructor_errors_name_the_fix(entry, given, call, match) -> None:
    with pytest.raises(ValueError, match=match) as info:
        call()
    record_figure(
        "bad_input",
        entry=entry,
        input=given,
        answer=f"ValueError: {str(info.value).splitlines()[0]}",
    )


# ----- missing cloud credentials ---------------------------------------------------------------
@pytest.fixture
def no_cloud_credentials(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    for var in (
        "DWAVE_API_TOKEN",
        "QISKIT_IBM_TOKEN",
        "QISKIT_IBM_URL",
        "QISKIT_IBM_INSTANCE",
        "QISKIT_IBM_CHANNEL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(tmp_path / "missing-dwave.conf"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    try:
        from qiskit_ibm_runtime.accounts import management

        monkeypatch.setattr(
            management, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "qiskit-ibm.json")
        )
    except ImportError:
        pass


@pytest.mark.parametrize(
    "entry, given, build, match",
    [
        (
            "QuantumAnnealingSampler",
            "solver='qpu', no token",
            lambda: QuantumAnnealingSampler(solver="qpu"),
            "DWAVE_API_TOKEN",
        ),
        (
            "QuantumAnnealingSampler",
            "solver='hybrid', no token",
            lambda: QuantumAnnealingSampler(solver="hybrid"),
            "DWAVE_API_TOKEN",
        ),
        ("make_solver", "'qpu', no token", lambda: make_solver("qpu"), "dwave config create"),
        (
            "QAOASampler",
            "backend='ibm', no account",
            lambda: _gate("QAOASampler")(backend="ibm"),
            "QISKIT_IBM_TOKEN",
        ),
    ],
)
def test_missing_cloud_credentials(entry, given, build, match, no_cloud_credentials) -> None:
    with pytest.raises(ValueError, match=match) as info:
        build()
    record_figure(
        "bad_input",
        entry=entry,
        input=given,
        answer=f"ValueError: {str(info.value).splitlines()[0]}",
    )


# ----- gate-model samplers and QAOA settings ---------------------------------------------------
def _gate(name: str):  # type: ignore[no-untyped-def]
    pytest.importorskip("qiskit_optimization")
    import optuna_qnas

    return getattr(optuna_qnas, name)


GATE_ERRORS = [
    ("QAOASampler", {"reps": 0}, "reps must be an integer >= 1"),
    ("QAOASampler", {"reps": "2"}, "reps must be an integer"),
    ("QAOASampler", {"backend": "nope"}, "Use one of statevector, shots, mps, noisy, ibm"),
    ("QAOASampler", {"backend": 5}, "backend must be one of"),
    ("QAOASampler", {"backend": "noisy:FakeNope"}, "Unknown fake device"),
    ("QAOASampler", {"shots": 0}, "shots must be a positive integer"),
    ("QAOASampler", {"max_qubits": 0}, "max_qubits must be an integer >= 1"),
    ("QAOASampler", {"max_qubits": 200}, "use max_qubits <= \\d+ or backend='mps'"),
    ("QAOASampler", {"optimizer": "nope"}, "Use one of cobyla"),
    ("QAOASampler", {"maxiter": 0}, "maxiter must be an integer >= 1"),
    ("QAOASampler", {"warm_maxiter": 0}, "warm_maxiter must be an integer >= 1"),
    ("QAOASampler", {"cvar_alpha": 2.0}, "cvar_alpha must be None or a number in \\(0, 1\\]"),
    ("QAOASampler", {"cvar_alpha": 0.0}, "cvar_alpha must be None or a number in \\(0, 1\\]"),
    ("QAOASampler", {"engine": "x"}, "engine must be one of aer, qiskit_optimization"),
    ("QAOASampler", {"decompose": "yes"}, "decompose must be True or False"),
    ("QAOASampler", {"max_rounds": 0}, "max_rounds must be an integer >= 1"),
    ("QAOASampler", {"primitive": 5}, "BaseSamplerV2"),
    ("QAOASampler", {"qaoa": 5}, "qaoa must be a qiskit_optimization"),
    ("QAOASampler", {"solver": "simulated_annealing"}, "QUBOSampler\\(solver=...\\)"),
    ("QAOASampler", {"encoding": "hex"}, "Use one of one_hot"),
    ("VQESampler", {"reps": 0}, "reps must be an integer >= 1"),
    ("GroverSampler", {"num_value_qubits": 0}, "num_value_qubits must be an integer >= 3"),
    ("GroverSampler", {"num_iterations": 0}, "num_iterations must be an integer >= 1"),
    ("GroverSampler", {"max_qubits": 3}, "use max_qubits >= \\d+ or fewer num_value_qubits"),
]


@pytest.mark.parametrize(
    "name, kwargs, match", GATE_ERRORS, ids=[f"{n}:{k}" for n, k, _ in GATE_ERRORS]
)
def test_gate_sampler_settings(name, kwargs, match) -> None:
    cls = _gate(name)
    with pytest.raises(ValueError, match=match) as info:
        cls(**kwargs)
    given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    record_figure(
        "bad_input",
        entry=name,
        input=given,
        answer=f"ValueError: {str(info.value).splitlines()[0]}",
    )


def _cell(trial: optuna.Trial) -> float:
    ops = [trial.suggest_categorical(f"e{i}", ["a", "b", "c", "d", "e"]) for i in range(6)]
    return float(sum("abcde".index(o) for o in ops))


def test_qubo_too_wide_for_a_gate_solver_without_decomposition() -> None:
    # 6 x 5 choices in binary code = 18 bits > max_qubits=4: checked before any circuit is built,
    # at the first model proposal; the trials before it are kept.
    sampler = _gate("QAOASampler")(max_qubits=4, decompose=False, n_startup_trials=2, seed=0)
    study = optuna.create_study(sampler=sampler)
    with pytest.raises(ValueError, match="Set decompose=True") as info:
        study.optimize(_cell, n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL]
    record_figure(
        "bad_input",
        entry="QAOASampler",
        input="18-bit QUBO, max_qubits=4, decompose=False",
        answer=f"ValueError at the first model proposal: {str(info.value).splitlines()[0]}",
    )


def test_vqe_bad_entanglement_is_refused_at_construction() -> None:
    cls = _gate("VQESampler")
    try:
        sampler = cls(entanglement="bad", n_startup_trials=2, seed=0)
    except ValueError as e:
        assert "entanglement" in str(e)
        return
    study = optuna.create_study(sampler=sampler)
    try:
        study.optimize(
            lambda t: t.suggest_int("x", 0, 3), n_trials=4
        )  # the model (and VQE) from trial 2
    except Exception as e:
        raise AssertionError(
            f"entanglement='bad' was accepted; optimize then raised {type(e).__name__}: {e}"
        ) from e


def test_independent_sampler_must_be_a_sampler() -> None:
    with pytest.raises(ValueError, match="independent_sampler"):
        sampler = QUBOSampler(independent_sampler="random")
        optuna.create_study(sampler=sampler).optimize(
            lambda t: t.suggest_int("x", 0, 3), n_trials=1
        )


_WIDE_EXACT = textwrap.dedent(
    """
    import resource
    # Never let this test allocate much on a shared machine: 2 GiB of address space at most.
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    import optuna
    from optuna_qnas import QuantumAnnealingSampler
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    OPS = list("abcde")
    sampler = QuantumAnnealingSampler(solver="exact", n_startup_trials=2, seed=0)
    study = optuna.create_study(sampler=sampler)
    objective = lambda t: sum(OPS.index(t.suggest_categorical(f"e{i}", OPS)) for i in range(6))
    try:
        study.optimize(objective, n_trials=3)
        print("RESULT ok")
    except BaseException as e:
        print("RESULT", type(e).__name__, str(e).splitlines()[0])
    """
)


def test_qubo_too_wide_for_the_exact_solver() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _WIDE_EXACT],
        capture_output=True,
        text=True,
        timeout=300,
        env=worker_env(),
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")][-1]
    record_figure(
        "bad_input",
        entry="QuantumAnnealingSampler",
        input="solver='exact', 30-bit QUBO",
        answer=line[7:],
    )
    assert line.startswith("RESULT ValueError") and "simulated_annealing" in line, line


def test_comparison_of_a_single_sampler_writes_its_report(tmp_path) -> None:
    from optuna_qnas.compare import compare_samplers

    result = compare_samplers(
        "nasbench201-cifar10",
        "random",
        n_trials=3,
        seeds=[0],
        storage=f"sqlite:///{tmp_path / 'c.db'}",
        progress=False,
    )
    path = result.write_report(tmp_path / "report")
    assert path.exists()
    record_figure(
        "bad_input",
        entry="compare_samplers(...).write_report / optuna-qnas compare",
        input="a single sampler (--samplers random)",
        answer="report written",
    )


# ----- Lightning callbacks ---------------------------------------------------------------------
def _lightning_cases():  # type: ignore[no-untyped-def]
    return [
        (
            "PruningCallback",
            "monitor=''",
            lambda L, t: L.PruningCallback(t, ""),
            "name of a logged validation metric",
        ),
        (
            "PruningCallback",
            "monitor=3",
            lambda L, t: L.PruningCallback(t, 3),
            "name of a logged validation metric",
        ),
        (
            "PruningCallback",
            "missing_metric='ignore'",
            lambda L, t: L.PruningCallback(t, "val_acc", missing_metric="ignore"),
            "'warn' or 'raise'",
        ),
        (
            "ModelCostCallback",
            "measure=('bogus',)",
            lambda L, t: L.ModelCostCallback(t, measure=("bogus",)),
            "valid: \\[",
        ),
        (
            "ModelCostCallback",
            "budgets={'latency_ms': -1}",
            lambda L, t: L.ModelCostCallback(t, budgets={"latency_ms": -1}),
            "finite number > 0",
        ),
        (
            "ModelCostCallback",
            "budgets={'latency_ms': nan}",
            lambda L, t: L.ModelCostCallback(t, budgets={"latency_ms": math.nan}),
            "finite number > 0",
        ),
        (
            "ModelCostCallback",
            "budgets={'latency_ms': inf}",
            lambda L, t: L.ModelCostCallback(t, budgets={"latency_ms": math.inf}),
            "finite number > 0",
        ),
        (
            "ModelCostCallback",
            "budgets={'latency_ms': 'fast'}",
            lambda L, t: L.ModelCostCallback(t, budgets={"latency_ms": "fast"}),
            "must be a number",
        ),
        (
            "ModelCostCallback",
            "budgets={'bogus': 1}",
            lambda L, t: L.ModelCostCallback(t, budgets={"bogus": 1}),
            "budgets can be set on",
        ),
        (
            "ModelCostCallback",
            "budget on an unmeasured cost",
            lambda L, t: L.ModelCostCallback(t, measure=("n_params",), budgets={"latency_ms": 5}),
            "need them in measure=",
        ),
        (
            "ModelCostCallback",
            "warmup=-1",
            lambda L, t: L.ModelCostCallback(t, warmup=-1),
            "warmup >= 0",
        ),
        (
            "ModelCostCallback",
            "repeats=0",
            lambda L, t: L.ModelCostCallback(t, repeats=0),
            "repeats >= 1",
        ),
        (
            "ModelCostCallback",
            "device='cuda' without CUDA",
            lambda L, t: L.ModelCostCallback(t, device="cuda"),
            "use 'cpu'",
        ),
    ]


@pytest.mark.parametrize("index", range(13))
def test_lightning_callbacks(index: int) -> None:
    pytest.importorskip("lightning")
    import torch

    from optuna_qnas.integrations import lightning as L

    entry, given, build, match = _lightning_cases()[index]
    if "cuda" in given and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    trial = optuna.create_study().ask()
    with pytest.raises(ValueError, match=match) as info:
        build(L, trial)
    record_figure(
        "bad_input",
        entry=entry,
        input=given,
        answer=f"ValueError: {str(info.value).splitlines()[0]}",
    )


def test_pruning_callback_in_a_multi_objective_study_is_refused_at_fit_start() -> None:
    pytest.importorskip("lightning")
    from optuna_qnas.integrations import lightning as L

    trial = optuna.create_study(directions=["minimize", "minimize"]).ask()
    callback = L.PruningCallback(trial, "val_loss")
    with pytest.raises(ValueError, match="Leave the pruning callback out") as info:
        callback.on_fit_start(None, None)  # type: ignore[arg-type]  # refused before touching them
    record_figure(
        "bad_input",
        entry="PruningCallback",
        input="multi-objective study",
        answer=f"ValueError at fit start: {str(info.value).splitlines()[0]}",
    )


# ----- command line ---------------------------------------------------------------------------
CLI = [
    (["compare"], "--problem is required"),
    (
        ["compare", "--problem", "nope", "--trials", "2", "--seeds", "1"],
        "Unknown problem 'nope'; valid problems",
    ),
    (
        ["compare", "--problem", "nasbench201-cifar10", "--samplers", "nope", "--trials", "2"],
        "Unknown sampler 'nope'; valid samplers",
    ),
    (["compare", "--problem", "nasbench201-cifar10", "--trials", "0"], "must be at least 1"),
    (
        ["compare", "--problem", "nasbench201-cifar10", "--trials", "abc"],
        "expected a positive integer",
    ),
    (
        ["compare", "--problem", "nasbench201-cifar10", "--seed-list", "a,b"],
        "expected integers separated by commas",
    ),
    (
        [
            "compare",
            "--problem",
            "nasbench201-cifar10",
            "--storage",
            "bogus://x",
            "--trials",
            "2",
            "--seeds",
            "1",
        ],
        "Check the URL",
    ),
    (
        ["compare", "--problem", "nosuchmodule:f", "--trials", "2", "--seeds", "1"],
        "Cannot import 'nosuchmodule'",
    ),
    (["bogus"], "invalid choice: 'bogus'"),
]


def _check_cli_answer(args, match, code, err) -> str:  # type: ignore[no-untyped-def]
    lines = err.strip().splitlines()
    assert code == 2, (args, err)
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("optuna-qnas: error: "), err
    assert match in lines[0], (match, lines[0])
    record_figure(
        "bad_input",
        entry="CLI",
        input="optuna-qnas " + " ".join(args),
        answer=f"exit 2: {lines[0][:160]}",
    )
    return lines[0]


def _out_args(args, tmp_path, k):  # type: ignore[no-untyped-def]
    return ["--out", str(tmp_path / f"out{k}")] if args[0] == "compare" and len(args) > 1 else []


# A real interpreter for a few (`python -m optuna_qnas`: exit status, stderr, no traceback) ...
_SUBPROCESS = (0, 6)


def test_command_line_errors_in_a_subprocess(tmp_path) -> None:
    procs = []
    for k in _SUBPROCESS:
        args, _ = CLI[k]
        cmd = [sys.executable, "-m", "optuna_qnas", *args, *_out_args(args, tmp_path, k)]
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=tmp_path,
                env=worker_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for k, proc in zip(_SUBPROCESS, procs):
        _, err = proc.communicate(timeout=300)
        _check_cli_answer(CLI[k][0], CLI[k][1], proc.returncode, err)


# ... and the same entry point in-process for the rest (cheaper: no interpreter start-up each).
@pytest.mark.parametrize("k", [k for k in range(len(CLI)) if k not in _SUBPROCESS])
def test_command_line_errors_in_process(k, tmp_path, capsys, monkeypatch) -> None:
    from optuna_qnas.cli import main

    monkeypatch.chdir(tmp_path)
    args, match = CLI[k]
    code = main([*args, *_out_args(args, tmp_path, k)])
    _check_cli_answer(args, match, code, capsys.readouterr().err)
