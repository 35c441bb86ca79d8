"""The candidate pool: configurations (level tuples) among which the acquisition chooses.

Arrays only: no Study, no Trial, no solver. A level tuple holds one level index per parameter
(``levels[k]`` in ``range(sizes[k])``); ``seen`` holds the tuples evaluated or held by running
trials.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optuna_qnas._checks import check_int
from optuna_qnas._qubo._acquisition import log_expected_improvement


Levels = tuple[int, ...]
Candidate = tuple[np.ndarray, str]  # levels and the pool group it came from

#: How often a level tuple with binned (refined) parameters may be proposed again: a binned
#: parameter is refined inside its bin, so an evaluated tuple still gives a new configuration.
MAX_BIN_REPEATS = 3


@dataclass(frozen=True)
class PoolSettings:
    """What goes into the candidate pool of one model-based proposal.

    Args:
        n_draws:
            Posterior draws of the model solved beside its posterior mean (exploration where
            the model is unsure). Each costs one solver call; the gate-model samplers use 0.
        n_top_trials:
            Best trials whose one-parameter moves join the pool (local search around the
            incumbents; White et al. 2021 found such moves strong on NAS benchmarks).
        max_neighbours:
            Cap on those moves; beyond it a random subset is kept.
        n_random:
            Uniformly random configurations added as a global safety net.
    """

    n_draws: int = 2
    n_top_trials: int = 3
    max_neighbours: int = 512
    n_random: int = 64

    def __post_init__(self) -> None:
        for name in ("n_draws", "n_top_trials", "max_neighbours", "n_random"):
            minimum = 1 if name == "n_top_trials" else 0  # the incumbent's moves at least
            check_int(f"PoolSettings.{name}", getattr(self, name), minimum)


def one_parameter_moves(
    centres: np.ndarray,  # (c, n_params)
    sizes: np.ndarray,  # (n_params,)
    max_moves: int,
    rng: np.random.RandomState,
) -> np.ndarray:  # (m, n_params)
    """Every change of one parameter of each centre, a random ``max_moves`` of them if more.

    Moves are ordered by centre, then parameter, then new level; when they are too many, the
    random subset is chosen by index before any move is built (2,000 binary parameters and
    four centres make 8,000 moves, of which 512 are kept).
    """
    movable = np.nonzero(sizes > 1)[0]
    n_alternatives = sizes[movable] - 1
    per_centre = int(n_alternatives.sum())
    total = len(centres) * per_centre
    if total == 0:
        return np.zeros((0, len(sizes)), dtype=np.int64)
    # Move t of a centre sets parameter param[t] to its k[t]-th level other than the centre's.
    param = np.repeat(movable, n_alternatives)
    k = np.arange(per_centre) - np.repeat(
        np.cumsum(n_alternatives) - n_alternatives, n_alternatives
    )
    chosen = np.arange(total)
    if total > max_moves:
        chosen = rng.choice(total, max_moves, replace=False)
    which, t = np.divmod(chosen, per_centre)
    out = np.array(centres)[which]
    current = out[np.arange(len(chosen)), param[t]]
    out[np.arange(len(chosen)), param[t]] = k[t] + (k[t] >= current)
    return out


def random_levels(n: int, sizes: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """``n`` uniformly random level tuples, shape ``(n, n_params)``."""
    return (rng.random_sample((n, len(sizes))) * sizes).astype(np.int64)


def merge_candidates(
    groups: Sequence[tuple[str, np.ndarray]],
    seen: set[Levels],
    repeats: Mapping[Levels, int],
    binned: bool,
) -> dict[Levels, str]:
    """Unseen level tuples of ``groups`` in order, each with the name of its first group.

    With ``binned`` parameters a seen tuple stays a candidate while it was evaluated fewer than
    :data:`MAX_BIN_REPEATS` times (refinement inside its bins); a tuple held by a running trial
    but not yet evaluated (repeats 0) does not.
    """
    pool: dict[Levels, str] = {}
    for source, cands in groups:
        for key in map(tuple, np.asarray(cands, dtype=np.int64).tolist()):
            if key in pool:
                continue
            if key not in seen or (binned and 0 < repeats.get(key, 0) < MAX_BIN_REPEATS):
                pool[key] = source
    return pool


def rank_by_ei(mean: np.ndarray, std: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray]:
    """Candidate indices by decreasing log expected improvement over ``best``, and the scores."""
    score = log_expected_improvement(mean, std, best)
    return np.argsort(-score, kind="stable"), score


def mutate_to_unseen(
    levels: np.ndarray,
    sizes: np.ndarray,
    seen: set[Levels],
    rng: np.random.RandomState,
    max_attempts: int = 200,
) -> np.ndarray:
    """The nearest unseen configuration found by random moves from ``levels``.

    One parameter changes at first, one more every 20 failed attempts (a neighbourhood may be
    exhausted); after ``max_attempts`` the input comes back unchanged.
    """
    movable = np.nonzero(sizes > 1)[0]
    current = np.array(levels, dtype=np.int64)
    for attempt in range(max_attempts):
        cand = current.copy()
        n_change = 1 + attempt // 20
        for k in rng.choice(movable, size=min(n_change, len(movable)), replace=False):
            choices = [v for v in range(sizes[k]) if v != cand[k]]
            cand[k] = choices[rng.randint(len(choices))]
        if tuple(int(v) for v in cand) not in seen:
            return cand
    return current


def space_filling(
    counts: Sequence[np.ndarray],  # per parameter: (n_levels,) how often each level was used
    seen: set[Levels],
    rng: np.random.RandomState,
) -> np.ndarray:
    """Greedy covering design: every parameter takes one of its least-used levels (random among
    ties), so that every level, hence every bit on and off, is seen early."""
    levels = np.zeros(len(counts), dtype=np.int64)
    for _ in range(50):
        levels = np.array(
            [int(rng.choice(np.flatnonzero(c == c.min()))) for c in counts], dtype=np.int64
        )
        if tuple(int(v) for v in levels) not in seen:
            return levels
    sizes = np.array([len(c) for c in counts], dtype=np.int64)
    return mutate_to_unseen(levels, sizes, seen, rng)


def level_counts(sizes: Sequence[int], rows: Iterable[np.ndarray]) -> list[np.ndarray]:
    """Per parameter, how often each level occurs in ``rows`` (level tuples)."""
    counts = [np.zeros(n) for n in sizes]
    for row in rows:
        for k, lv in enumerate(row):
            counts[k][lv] += 1
    return counts


def ranked_walk(ranked: Sequence[Candidate]) -> Callable[[set[Levels]], Candidate | None]:
    """``held -> candidate``: the first ranked candidate at the first call, then the best
    remaining one that is not held (``None`` when none is left)."""
    queue = iter(ranked)
    started = False

    def next_candidate(held: set[Levels]) -> Candidate | None:
        nonlocal started
        if not started:
            started = True
            return ranked[0]
        return next(((lv, src) for lv, src in queue if _key(lv) not in held), None)

    return next_candidate


def _key(levels: np.ndarray) -> Levels:
    return tuple(int(v) for v in levels)
