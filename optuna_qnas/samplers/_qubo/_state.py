"""What the sampler keeps on trials: claims, warm-start state, diagnostics, and a level cache.

All cross-process state lives in the storage, under namespaced system attributes, so that
parallel workers and a restarted process see the same as the original one:

* ``qnas:claim``: the configuration a running trial is about to propose (workers avoid it);
* ``qnas:state``: what the next proposal starts from (the regression's fitted scales, the
  penalty ratios the solves ended with), for the bit layout it was found for;
* ``qnas:proposal``: diagnostics of the proposal (where it came from, solver facts, timing).

The level cache is process-local: the level tuple of a finished trial never changes, and
decoding them all again on every proposal cost about 10 ms at 100 trials.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
import math
from typing import Any
from typing import TYPE_CHECKING
import weakref

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas.samplers._qubo._pool import Levels
from optuna_qnas.samplers._qubo._pool import mutate_to_unseen


if TYPE_CHECKING:
    from optuna.study import Study


ATTR_PREFIX = "qnas:"
CLAIM_KEY = ATTR_PREFIX + "claim"
STATE_KEY = ATTR_PREFIX + "state"
DIAGNOSTICS_KEY = ATTR_PREFIX + "proposal"
#: Candidates tried before falling back to the nearest configuration nobody holds.
MAX_CLAIM_ATTEMPTS = 3

Candidate = tuple[np.ndarray, str]  # levels and the pool group it came from


def claims(trials: Sequence[FrozenTrial], number: int, enc: SearchSpaceEncoding) -> set[Levels]:
    """Configurations claimed by running trials other than ``number`` (same parameters)."""
    out: set[Levels] = set()
    for t in trials:
        if t.number == number or t.state != TrialState.RUNNING:
            continue
        claim = t.system_attrs.get(CLAIM_KEY)
        if isinstance(claim, dict) and claim.get("names") == enc.names:
            out.add(tuple(int(v) for v in claim["levels"]))
    return out


def write_claim(study: Study, trial: FrozenTrial, enc: SearchSpaceEncoding, key: Levels) -> None:
    study._storage.set_trial_system_attr(
        trial._trial_id, CLAIM_KEY, {"names": enc.names, "levels": list(key)}
    )


def taken_since(
    study: Study,
    trial: FrozenTrial,
    enc: SearchSpaceEncoding,
    known: set[int],
) -> set[Levels]:
    """Configurations other workers hold now: their claims, and the parameters of trials that
    got them after this proposal began (numbers not in ``known``; they may even have finished)."""
    current = study._storage.get_all_trials(study._study_id, deepcopy=False)
    taken = claims(current, trial.number, enc)
    for t in current:
        if (
            t.number != trial.number
            and t.number not in known
            and all(n in t.params for n in enc.names)
        ):
            taken.add(tuple(int(v) for v in enc.levels_of(t.params)))
    return taken


def claim(
    study: Study,
    trial: FrozenTrial,
    enc: SearchSpaceEncoding,
    next_candidate: Callable[[set[Levels]], Candidate | None],
    seen: set[Levels],
    known: set[int],
    rng: np.random.RandomState,
) -> tuple[np.ndarray, str, int]:
    """Claim the first candidate nobody else holds; return it, its source and the conflicts.

    A proposal becomes visible to other workers only once its parameters are stored, so the
    claim is written and the storage read again. If another running trial claimed the same
    configuration meanwhile, or a trial that got its parameters after this proposal began
    (numbers not in ``known``) has it, everything other workers hold joins ``seen`` and
    ``next_candidate(seen)`` is tried (they propose from nearly the same data, so their next
    picks are likely taken too); when the attempts run out, the nearest configuration nobody
    holds. ``next_candidate`` gives the first candidate whatever ``seen`` holds.
    """
    first = next_candidate(seen)
    assert first is not None
    (levels, source), conflicts = first, 0
    sizes = np.array([p.n_levels for p in enc.params], dtype=np.int64)
    for attempt in range(MAX_CLAIM_ATTEMPTS + 1):
        if attempt > 0:
            pick = next_candidate(seen) if attempt < MAX_CLAIM_ATTEMPTS else None
            if pick is None:
                levels, source = mutate_to_unseen(levels, sizes, seen, rng), "claim fallback"
            else:
                levels, source = pick
        key = tuple(int(v) for v in levels)
        write_claim(study, trial, enc, key)
        taken = taken_since(study, trial, enc, known)
        if key in seen or key not in taken or len(seen) >= enc.n_configurations:
            break
        conflicts = attempt + 1
        seen |= taken
        seen.add(key)
    return levels, source, conflicts


def load_state(others: Sequence[FrozenTrial], n_bits: int) -> dict[str, list[float]]:
    """The lists of numbers the latest earlier proposal over ``n_bits`` bits stored (its fitted
    scales, its penalty ratios), or an empty dict."""
    for t in sorted(others, key=lambda t: t.number, reverse=True):
        state = t.system_attrs.get(STATE_KEY)
        if isinstance(state, dict) and state.get("n_bits") == n_bits:
            return {
                key: [float(v) for v in values]
                for key, values in state.items()
                if isinstance(values, list) and all(isinstance(v, (int, float)) for v in values)
            }
    return {}


def _jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain, non-finite floats as strings, and
    anything else unknown as its ``repr``: diagnostics are recorded, never dropped."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else str(f)
    if value is None or isinstance(value, str):
        return value
    return repr(value)


def write(study: Study, trial: FrozenTrial, key: str, payload: dict[str, Any]) -> None:
    """Store ``payload`` under ``key`` on ``trial``, converted to plain JSON."""
    study._storage.set_trial_system_attr(trial._trial_id, key, _jsonable(payload))


class LevelCache:
    """Level tuples of finished trials per storage (held weakly: an entry dies with its storage,
    so a later storage at the same address cannot inherit it), study and search space."""

    def __init__(self) -> None:
        self._by_storage: weakref.WeakKeyDictionary[Any, dict[Any, dict[int, np.ndarray]]]
        self._by_storage = weakref.WeakKeyDictionary()

    def __getstate__(self) -> dict[str, Any]:
        return {}  # weak references do not pickle; a copy starts with an empty cache

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._by_storage = weakref.WeakKeyDictionary()

    def levels(
        self,
        study: Study,
        search_space: dict[str, BaseDistribution],
        enc: SearchSpaceEncoding,
        trials: Sequence[FrozenTrial],
    ) -> dict[int, np.ndarray]:
        """Trial number -> level tuple for ``trials`` (which hold every parameter)."""
        key = (study._study_id, tuple((n, repr(d)) for n, d in sorted(search_space.items())))
        try:
            per_storage = self._by_storage.setdefault(study._storage, {})
        except TypeError:  # a storage that cannot be weakly referenced: no cache
            return {t.number: enc.levels_of(t.params) for t in trials}
        cache = per_storage.get(key)
        if cache is None:
            if len(per_storage) >= 4:
                per_storage.clear()
            cache = per_storage.setdefault(key, {})
        out: dict[int, np.ndarray] = {}
        for t in trials:
            levels = cache.get(t._trial_id)
            if levels is None:
                levels = cache[t._trial_id] = enc.levels_of(t.params)
            out[t.number] = levels
        return out
