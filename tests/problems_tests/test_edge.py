"""Edge multi-objective task: NAS-Bench-201 accuracy vs device latency, fronts, hypervolume."""

from __future__ import annotations

import itertools
import os

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume
import pytest

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.nas import NB201_OPS
from optuna_qnas.problems._edge import _hypervolume_2d
from optuna_qnas.problems._edge import compare_fronts
from optuna_qnas.problems._edge import EDGE_DIRECTIONS
from optuna_qnas.problems._edge import edge_problem
from optuna_qnas.problems._edge import edge_reference_point
from optuna_qnas.problems._edge import exhaustive_front
from optuna_qnas.problems._edge import format_fronts
from optuna_qnas.problems._edge import hypervolume
from optuna_qnas.problems._edge import latency_devices
from optuna_qnas.problems._edge import load_device_latency
from optuna_qnas.problems._edge import make_edge_objective
from optuna_qnas.problems._edge import pareto_front


optuna.logging.set_verbosity(optuna.logging.WARNING)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(
    REPO, "..", "shared", "data", "nb201-device-latency", "nb201_latency_ms_27devices.csv.gz"
)
pytestmark = pytest.mark.skipif(not os.path.isfile(TABLE), reason="needs ../shared latency table")
CELL = ("nor_conv_3x3", "skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3")


def test_devices_and_unknown_device_message() -> None:
    devices = latency_devices(TABLE)
    assert len(devices) == 27 and {"raspi4", "pixel3", "fpga", "eyeriss"} <= set(devices)
    with pytest.raises(ValueError, match=r"Unknown device 'raspi5'.*'raspi4'"):
        make_edge_objective(0, latency_table=TABLE, device="raspi5")
    with pytest.raises(ValueError, match="does not exist"):
        load_device_latency("/nonexistent/table.csv.gz", "raspi4")
    with pytest.raises(ValueError, match="dataset"):
        make_edge_objective(0, latency_table=TABLE, device="raspi4", dataset="mnist")


def test_objective_reads_accuracy_and_the_measured_latency() -> None:
    latency = load_device_latency(TABLE, "pixel3")
    assert len(latency) == 15625
    objective = make_edge_objective(0, latency_table=TABLE, device="pixel3")
    trial = optuna.trial.FixedTrial({f"Op{i}": op for i, op in enumerate(CELL)})
    accuracy, ms = objective(trial)
    arch = (
        "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
    )
    assert ms == latency[arch] and trial.user_attrs["arch_str"] == arch
    assert 80 < accuracy < 95
    # Edges 3..5 feed the output node: with all of them "none" the cell is a constant (~10 %).
    dead = optuna.trial.FixedTrial(
        {f"Op{i}": "nor_conv_3x3" if i < 3 else "none" for i in range(6)}
    )
    assert objective(dead)[0] < 11
    ordinal = make_edge_objective(0, latency_table=TABLE, device="pixel3", ordinal=True)
    idx = optuna.trial.FixedTrial({f"Op{i}": NB201_OPS.index(op) for i, op in enumerate(CELL)})
    assert ordinal(idx)[1] == ms


def test_pareto_front_against_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        pts = np.round(rng.uniform(0, 10, size=(rng.integers(1, 25), 2)), 1)
        front = pareto_front(pts, ["maximize", "minimize"])
        brute = {
            tuple(p)
            for p in pts
            if not any(q[0] >= p[0] and q[1] <= p[1] and (q[0] > p[0] or q[1] < p[1]) for q in pts)
        }
        assert {tuple(p) for p in front} == brute and len(front) == len(brute)
    pts3 = rng.uniform(size=(30, 3))
    front3 = pareto_front(pts3, ["minimize"] * 3)
    assert all(not np.any(np.all(pts3 <= p, axis=1) & np.any(pts3 < p, axis=1)) for p in front3)


def test_hypervolume_by_hand_and_against_optuna() -> None:
    # Two points (accuracy, latency) and the reference (0 %, 20 ms): boxes 90x10 and 80x15
    # overlapping in 80x10 -> 900 + 1200 - 800.
    assert hypervolume([(90, 10), (80, 5)], (0, 20)) == pytest.approx(1300)
    assert hypervolume([(90, 10), (80, 5), (70, 8)], (0, 20)) == pytest.approx(1300)
    assert hypervolume([(90, 25)], (0, 20)) == 0.0  # does not beat the reference latency
    ref80 = edge_reference_point(TABLE, "fpga", min_accuracy=80)
    assert ref80[0] == 80 and ref80[1] == max(load_device_latency(TABLE, "fpga").values())
    with pytest.raises(ValueError, match="min_accuracy"):
        edge_reference_point(TABLE, "fpga", min_accuracy=100)
    rng = np.random.default_rng(1)
    for _ in range(10):
        losses = rng.uniform(0, 1, size=(15, 2))
        ref = np.array([1.1, 1.2])
        assert _hypervolume_2d(losses, ref) == pytest.approx(compute_hypervolume(losses, ref))
    with pytest.raises(ValueError, match="shape"):
        hypervolume([(1, 2, 3)], (0, 0))
    with pytest.raises(ValueError, match="minimize"):
        pareto_front([(1, 2)], ["max", "min"])


@pytest.fixture(scope="module")
def optimum() -> tuple[tuple[float, float], float]:
    reference = edge_reference_point(TABLE, "raspi4")
    return reference, hypervolume(exhaustive_front(TABLE, "raspi4"), reference)


def test_samplers_fronts_are_compared_on_one_reference(optimum) -> None:
    reference, best = optimum
    studies = {}
    for name, sampler in {
        "quantum-annealing": QuantumAnnealingSampler(seed=0, n_startup_trials=5),
        "tpe": optuna.samplers.TPESampler(seed=0, n_startup_trials=5),
        "random": optuna.samplers.RandomSampler(seed=0),
    }.items():
        study = optuna.create_study(directions=EDGE_DIRECTIONS, sampler=sampler)
        study.optimize(make_edge_objective(0, latency_table=TABLE, device="raspi4"), n_trials=15)
        studies[name] = study
    rows = compare_fronts(studies, reference)
    assert [r.hypervolume for r in rows] == sorted((r.hypervolume for r in rows), reverse=True)
    for r in rows:
        # The exhaustive front holds one noisy draw per cell; a study's draws may be luckier.
        assert r.n_trials == 15 and 0 < r.hypervolume <= 1.02 * best
        assert len(r.front) == len(pareto_front(r.front))  # the front is non-dominated
    table = format_fronts(rows, optimum=best)
    assert "hypervolume" in table and "quantum-annealing" in table


def test_compare_fronts_refuses_mixed_directions(optimum) -> None:
    a = optuna.create_study(directions=["maximize", "minimize"])
    b = optuna.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="directions"):
        compare_fronts({"a": a, "b": b}, optimum[0])


def test_problem_entry() -> None:
    problem = edge_problem(TABLE, "fpga")
    assert problem.directions == EDGE_DIRECTIONS
    values = problem.make_objective(0)(
        optuna.trial.FixedTrial({f"Op{i}": "skip_connect" for i in range(6)})
    )
    assert not isinstance(values, float) and len(values) == 2
    with pytest.raises(ValueError, match="Unknown device"):
        edge_problem(TABLE, "tpu")


def test_all_ops_combinations_are_in_the_table() -> None:
    latency = load_device_latency(TABLE, "eyeriss")
    from optuna_qnas.nas import ops_to_arch_str

    sample = list(itertools.islice(itertools.product(NB201_OPS, repeat=6), 0, 15625, 997))
    assert all(ops_to_arch_str(ops) in latency for ops in sample)
