"""The sampler's parts on arrays, without a Study: targets, candidate pool, penalty wrapper."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import optuna
import pytest

from optuna_qnas import QUBO
from optuna_qnas import SearchSpaceEncoding
from optuna_qnas.samplers._qubo._pool import MAX_BIN_REPEATS
from optuna_qnas.samplers._qubo._pool import merge_candidates
from optuna_qnas.samplers._qubo._pool import mutate_to_unseen
from optuna_qnas.samplers._qubo._pool import one_parameter_moves
from optuna_qnas.samplers._qubo._pool import space_filling
from optuna_qnas.samplers._qubo._targets import losses
from optuna_qnas.samplers._qubo._targets import pruned_losses
from optuna_qnas.solvers import make_solver
from optuna_qnas.solvers import PenaltySolver


def _rng() -> np.random.RandomState:
    return np.random.RandomState(0)


def test_losses_fold_directions_and_keep_the_order() -> None:
    values = np.array([[3.0], [1.0], [2.0]])
    down = losses(values, np.array([True]), np.zeros(3), _rng())
    up = losses(values, np.array([False]), np.zeros(3), _rng())
    assert list(np.argsort(down)) == [1, 2, 0]
    assert list(np.argsort(up)) == [0, 2, 1]


def test_losses_clip_infinities_one_span_beyond_the_finite_values() -> None:
    values = np.array([[np.inf], [1.0], [3.0], [-np.inf]])
    out = losses(values, np.array([True]), np.zeros(4), _rng())
    assert np.all(np.isfinite(out))
    assert out[3] < out[1] < out[2] < out[0]
    huge = losses(np.array([[1e308], [-1e308], [0.0]]), np.array([True]), np.zeros(3), _rng())
    assert np.all(np.isfinite(huge)) and list(np.argsort(huge)) == [1, 2, 0]


def test_constraint_violations_rank_below_every_feasible_trial_by_how_much() -> None:
    values = np.array([[0.0], [5.0], [-1.0], [-2.0]])
    out = losses(values, np.array([True]), np.array([0.0, 0.0, 2.0, 1.0]), _rng())
    assert out[2] > out[3] > out[1] > out[0]  # the best value violates most: ranked last


def test_pruned_trials_rank_below_every_finished_one_later_steps_first() -> None:
    finished = np.array([0.2, -1.0, 0.7])
    # Stopped at steps 3, 1, 3 and never (no report); values reported last: 0.9, 0.1, 0.5.
    steps = np.array([3, 1, 3, -1])
    last = np.array([0.9, 0.1, 0.5, np.nan])
    down = pruned_losses(finished, steps, last, minimize=True)
    assert np.all(down > finished.max())
    assert down[2] < down[0] < down[1] < down[3]  # step 3 (0.5, then 0.9), step 1, no step
    up = pruned_losses(finished, steps, last, minimize=False)
    assert up[0] < up[2] < up[1] < up[3]  # maximising: 0.9 is the better step-3 value
    tied = pruned_losses(finished, np.array([2, 2]), np.array([0.3, 0.3]), minimize=True)
    assert tied[0] == tied[1] > finished.max()
    alone = pruned_losses(np.zeros(0), np.array([0, 1]), np.array([1.0, 1.0]), minimize=True)
    assert alone[1] < alone[0]


def test_several_objectives_are_scalarised_onto_the_pareto_front() -> None:
    # (1, 1) dominates (2, 2) under every weighting; the two extremes trade off.
    values = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 3.0], [3.0, 0.0]])
    for seed in range(10):
        out = losses(values, np.array([True, True]), np.zeros(4), np.random.RandomState(seed))
        assert out[0] < out[1]


def test_one_parameter_moves_change_exactly_one_parameter() -> None:
    sizes = np.array([3, 1, 4])
    centre = np.array([[0, 0, 2]])
    moves = one_parameter_moves(centre, sizes, max_moves=100, rng=_rng())
    assert len(moves) == (3 - 1) + (4 - 1)
    assert all((m != centre[0]).sum() == 1 for m in moves)
    capped = one_parameter_moves(centre, sizes, max_moves=2, rng=_rng())
    assert len(capped) == 2


def test_merge_keeps_unseen_members_once_with_their_first_source() -> None:
    groups = [
        ("mean", np.array([[0, 0], [1, 1]])),
        ("local", np.array([[1, 1], [0, 1]])),
        ("random", np.array([[0, 0], [1, 0]])),
    ]
    pool = merge_candidates(groups, seen={(0, 0)}, repeats={(0, 0): 1}, binned=False)
    assert pool == {(1, 1): "mean", (0, 1): "local", (1, 0): "random"}
    # With binned parameters an evaluated tuple stays while it has been refined few times.
    again = merge_candidates(groups, seen={(0, 0)}, repeats={(0, 0): 1}, binned=True)
    assert again[(0, 0)] == "mean"
    done = {(0, 0): MAX_BIN_REPEATS}
    assert (0, 0) not in merge_candidates(groups, seen={(0, 0)}, repeats=done, binned=True)
    # A tuple held by a running trial (seen, never evaluated) is not a candidate.
    assert (0, 0) not in merge_candidates(groups, seen={(0, 0)}, repeats={}, binned=True)


def test_mutation_finds_the_one_unseen_configuration() -> None:
    sizes = np.array([3, 3])
    every = {tuple(c) for c in itertools.product(range(3), repeat=2)}
    seen = every - {(2, 1)}
    out = mutate_to_unseen(np.array([0, 0]), sizes, seen, _rng())
    assert tuple(out) == (2, 1)
    # Nothing left: the input comes back.
    assert tuple(mutate_to_unseen(np.array([0, 0]), sizes, every, _rng())) == (0, 0)


def test_space_filling_uses_every_level_before_any_twice() -> None:
    counts = [np.zeros(4), np.zeros(3)]
    seen: set[tuple[int, ...]] = set()
    rng = _rng()
    for _ in range(4):
        levels = space_filling(counts, seen, rng)
        for k, lv in enumerate(levels):
            counts[k][lv] += 1
        seen.add(tuple(int(v) for v in levels))
    assert list(counts[0]) == [1, 1, 1, 1]
    assert sorted(counts[1]) == [1, 1, 2]


def _wall_problem() -> tuple[SearchSpaceEncoding, QUBO]:
    space = {f"n{i}": optuna.distributions.IntDistribution(0, 12) for i in range(4)}
    enc = SearchSpaceEncoding(space)
    rng = np.random.RandomState(0)
    # A model that pulls every bit on or off against the domain wall: weak penalties lose.
    n = enc.n_bits
    return enc, QUBO(rng.normal(scale=3.0, size=n), np.triu(rng.normal(size=(n, n)), 1), 0.0)


def test_penalty_solver_doubles_after_invalid_and_eases_after_easy_solves() -> None:
    enc, model = _wall_problem()
    child = make_solver("simulated_annealing")
    weak = PenaltySolver(child, enc.penalty(), enc.feasible, start_ratio=1e-3, max_doublings=0)
    assert weak.solve(model, 16, seed=0).info["next_penalty_ratio"] == pytest.approx(2e-3)
    top = 0.25 * 2**6
    strong = PenaltySolver(child, enc.penalty(), enc.feasible, start_ratio=top, max_doublings=0)
    result = strong.solve(model, 16, seed=0)
    assert enc.feasible(result.samples).mean() >= 0.95
    assert result.info["next_penalty_ratio"] == top / 2
    assert result.info["penalty_strength"] == pytest.approx(
        top * float(np.max(model.max_flip_delta()))
    )
    # The full schedule doubles until most samples are valid codes.
    full = PenaltySolver(child, enc.penalty(), enc.feasible).solve(model, 16, seed=1)
    assert enc.feasible(full.samples).mean() >= 0.8


class _Counting:
    """Simulated annealing that counts its solves."""

    def __init__(self) -> None:
        self.inner = make_solver("simulated_annealing", num_reads=8)
        self.calls = 0

    def solve(self, qubo: QUBO, num_samples: int, seed: int | None = None) -> Any:
        self.calls += 1
        return self.inner.solve(qubo, num_samples, seed)


def test_penalty_solver_hands_tries_past_its_cap_to_the_fallback() -> None:
    enc, model = _wall_problem()
    # A strength far too weak to ever reach the target: every try of the schedule runs.
    child, fallback = _Counting(), _Counting()
    capped = PenaltySolver(
        child,
        enc.penalty(),
        enc.feasible,
        start_ratio=1e-9,
        max_doublings=4,
        max_child_solves=2,
        fallback=fallback,
    )
    capped.solve(model, 8, seed=0)
    assert (child.calls, fallback.calls) == (2, 3)
    # The tries past the cap get the same seeds as without a cap: with the same solver in both
    # roles the samples do not change.
    same = make_solver("simulated_annealing", num_reads=8)
    kwargs: dict[str, Any] = {"start_ratio": 1e-9, "max_doublings": 4}
    plain = PenaltySolver(same, enc.penalty(), enc.feasible, **kwargs).solve(model, 8, seed=0)
    split = PenaltySolver(
        same, enc.penalty(), enc.feasible, max_child_solves=1, fallback=same, **kwargs
    ).solve(model, 8, seed=0)
    np.testing.assert_array_equal(plain.samples, split.samples)
    with pytest.raises(ValueError, match="fallback"):
        PenaltySolver(child, enc.penalty(), enc.feasible, max_child_solves=2)
    with pytest.raises(ValueError, match="max_child_solves must be >= 1"):
        PenaltySolver(child, enc.penalty(), enc.feasible, max_child_solves=0, fallback=child)


def test_penalty_solver_is_reproducible_and_checks_its_settings() -> None:
    enc, model = _wall_problem()
    child = make_solver("simulated_annealing")
    a = PenaltySolver(child, enc.penalty(), enc.feasible).solve(model, 8, seed=3)
    b = PenaltySolver(child, enc.penalty(), enc.feasible).solve(model, 8, seed=3)
    np.testing.assert_array_equal(a.samples, b.samples)
    with pytest.raises(ValueError, match="start_ratio"):
        PenaltySolver(child, enc.penalty(), enc.feasible, start_ratio=0)
