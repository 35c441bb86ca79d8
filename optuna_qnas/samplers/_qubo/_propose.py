"""One model-based proposal on arrays: fit the surrogate, solve its QUBOs, build and rank the pool.

No Study, no Trial: the sampler hands in the encoded evidence and receives the ranked
candidates, diagnostics, and the state the next proposal starts from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from optuna_qnas._qubo._acquisition import incumbent_gain_order
from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas._qubo._screening import SCREEN_ABOVE_PAIRS
from optuna_qnas._qubo._screening import ScreenedQuadraticRegression
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression
from optuna_qnas._qubo._surrogate import normal_scores
from optuna_qnas.samplers._qubo._pool import Levels
from optuna_qnas.samplers._qubo._pool import MAX_BIN_REPEATS
from optuna_qnas.samplers._qubo._pool import merge_candidates
from optuna_qnas.samplers._qubo._pool import mutate_to_unseen
from optuna_qnas.samplers._qubo._pool import one_parameter_moves
from optuna_qnas.samplers._qubo._pool import PoolSettings
from optuna_qnas.samplers._qubo._pool import random_levels
from optuna_qnas.samplers._qubo._pool import rank_by_ei
from optuna_qnas.solvers._penalty import DEFAULT_START_RATIO
from optuna_qnas.solvers._penalty import PenaltySolver


#: The regression re-maximises its evidence every ``REFIT_EVERY`` observations, and past 250
#: every ``n / REFIT_FRACTION``: a refit of the dual form costs O(n^3) per evaluation (about
#: 1.5 s at 1000 trials on a 69-bit space) while the scales barely move once data are many.
REFIT_EVERY = 5
REFIT_FRACTION = 50

Ranked = list[tuple[np.ndarray, str]]  # candidates, best first, with the pool group they came from


#: The package's regressions: evidence-fitted scales, warm-started from the previous proposal.
REGRESSIONS = (BayesianQuadraticRegression, ScreenedQuadraticRegression)


def default_surrogate(pair_mask: np.ndarray) -> Any:
    """The full quadratic regression, or on wide spaces (more than ``SCREEN_ABOVE_PAIRS``
    candidate pairs) the regression on screened pairs, whose QUBOs stay sparse."""
    if int(np.count_nonzero(pair_mask)) > SCREEN_ABOVE_PAIRS:
        return ScreenedQuadraticRegression(pair_mask)
    return BayesianQuadraticRegression(pair_mask)


def refits_evidence(n_observations: int) -> bool:
    """Whether the proposal after ``n_observations`` finished trials re-maximises the evidence."""
    return n_observations % max(REFIT_EVERY, n_observations // REFIT_FRACTION) == 0


def fit_surrogate(
    model: Any,
    X: np.ndarray,  # (n, n_bits)
    losses: np.ndarray,  # (n,)
    rng: np.random.RandomState,
    warm_scales: list[float] | None,
) -> np.ndarray:  # (n,) the targets the model was fitted on
    """Fit ``model`` on rank-based normal scores of ``losses`` (the acquisitions rank by a
    Gaussian predictive; only the order of the losses is kept, so outliers and the scale of the
    objective cannot dominate). The regression reuses the previous proposal's scales between
    evidence refits."""
    y = normal_scores(losses)
    if isinstance(model, REGRESSIONS):
        refit = warm_scales is None or refits_evidence(len(y))
        scales = None if warm_scales is None else np.asarray(warm_scales)
        model.fit(X, y, rng, initial_log_scales=scales, optimize=refit)
    else:
        model.fit(X, y, rng)
    return y


def ranks_by_gain(model: Any, trial_number: int) -> bool:
    """Odd trial numbers rank by incumbent gain where the model supports it, even ones by
    expected improvement (a function of the trial alone, so workers and restarts agree)."""
    has_reference = callable(getattr(model, "predict_with_reference", None))
    return has_reference and hasattr(model, "noise_std") and trial_number % 2 == 1


def ranked_candidates(
    enc: SearchSpaceEncoding,
    model: Any,
    solver: Any,
    settings: PoolSettings,
    *,
    num_samples: int,
    seen: set[Levels],
    repeats: Mapping[Levels, int],
    top_levels: np.ndarray,  # (t, n_params) the best trials, the reported incumbent first
    best: float,  # the incumbent's fitted target
    start_ratios: list[float] | None,
    by_gain: bool,
    rng: np.random.RandomState,
    draw_solver: Any = None,
    max_mean_solves: int | None = None,
) -> tuple[Ranked, dict[str, Any], dict[str, Any]]:
    """The pool of one proposal, ranked best first, with diagnostics and the next state.

    Pool: the solver's low-energy samples of the posterior-mean QUBO and of
    ``settings.n_draws`` posterior draws, the one-parameter moves of the best trials and of the
    mean's best sample, and ``settings.n_random`` uniform configurations; unseen members only.
    Ranked by expected improvement over ``best`` or, with ``by_gain``, by the expected gain in
    the true value of the reported incumbent (``top_levels[0]``).

    ``solver`` solves the posterior mean (with its retries under a stronger penalty) and
    ``draw_solver`` the posterior draws (``None``: ``solver`` too). With a ``draw_solver``,
    ``max_mean_solves`` caps the mean's solves by ``solver``; its later retries go to
    ``draw_solver``.
    """
    penalty = enc.penalty()
    sizes = np.array([p.n_levels for p in enc.params], dtype=np.int64)
    mean_qubo = model.mean_qubo()
    qubos = [mean_qubo] + [model.sample_qubo(rng) for _ in range(settings.n_draws)]
    # Each QUBO starts from the penalty ratio its predecessor in the previous proposal ended
    # with, so the doublings of one proposal are not repeated by the next (measured on a
    # 69-bit mixed space: 3.2 instead of 5.2 solves per proposal).
    if not (start_ratios and len(start_ratios) == len(qubos)):
        start_ratios = [DEFAULT_START_RATIO] * len(qubos)
    info: dict[str, Any] = {}
    groups: list[tuple[str, np.ndarray]] = []
    next_ratios = []
    draws = solver if draw_solver is None else draw_solver
    n_solves, solve_seconds = 0, 0.0  # every solve of the proposal: retries and draws included
    for k, qubo in enumerate(qubos):
        wrapped = PenaltySolver(
            solver if k == 0 else draws,
            penalty,
            enc.feasible,
            start_ratio=start_ratios[k],
            # Only the mean's retries can move to another solver, and only to a draw solver.
            max_child_solves=max_mean_solves if k == 0 and draw_solver is not None else None,
            fallback=draws,
        )
        result = wrapped.solve(qubo, num_samples, rng=rng)
        next_ratios.append(result.info.pop("next_penalty_ratio"))
        n_solves += result.info.pop("solves")
        solve_seconds += result.info.pop("solves_seconds")
        cand = enc.decode_levels(result.samples)
        if k == 0:
            info.update(result.info)
            cand = cand[np.argsort(mean_qubo.energies(enc.encode_levels(cand)), kind="stable")]
        groups.append(("mean" if k == 0 else "draw", cand))
    info["proposal_solves"] = n_solves
    info["proposal_solve_seconds"] = round(solve_seconds, 6)
    state: dict[str, Any] = {"n_bits": enc.n_bits, "penalty_ratios": next_ratios}
    best_read = groups[0][1][0]
    centres = np.vstack([top_levels, best_read[None, :]])
    groups.append(("refine", centres))  # only binned tuples pass the filter below
    groups.append(("local", one_parameter_moves(centres, sizes, settings.max_neighbours, rng)))
    groups.append(("random", random_levels(settings.n_random, sizes, rng)))
    binned = enc.is_binned
    pool = merge_candidates(groups, seen, repeats, binned)
    info["pool_size"] = len(pool)
    if not pool:
        key = tuple(int(v) for v in best_read)
        if len(seen) >= enc.n_configurations or (binned and repeats.get(key, 0) < MAX_BIN_REPEATS):
            info["repeated_levels"] = True
            return [(best_read, "mean")], info, state
        info["mutated"] = True
        return [(mutate_to_unseen(best_read, sizes, seen, rng), "mutated")], info, state
    keys = list(pool)
    cand_levels = np.array(keys, dtype=np.int64)
    X = enc.encode_levels(cand_levels)
    if by_gain:
        x_inc = enc.encode_levels(top_levels[:1])[0]
        mean, std, cov, inc_mean = model.predict_with_reference(X, x_inc)
        order = incumbent_gain_order(mean, std, cov, inc_mean, model.noise_std, best)
        info["ranking"] = "gain"
    else:
        mean, std = model.predict(X)
        order, score = rank_by_ei(mean, std, best)
        info["ranking"] = "ei"
        info["log_ei"] = float(score[order[0]])
    return [(cand_levels[i], pool[keys[i]]) for i in order], info, state


def parameter_values(
    enc: SearchSpaceEncoding,
    levels: np.ndarray,  # (n_params,)
    incumbent: Mapping[str, Any] | None,  # the best trial's parameters
    rng: np.random.RandomState,
) -> dict[str, Any]:
    """Parameter values of a level tuple. A binned level is refined: half of the time near the
    incumbent's value when the incumbent lies in the same bin, else uniformly inside the bin."""
    params: dict[str, Any] = {}
    for k, p in enumerate(enc.params):
        anchor = None
        if p.is_binned and incumbent is not None and rng.rand() < 0.5:
            if p.level_of(incumbent[p.name]) == levels[k]:
                anchor = incumbent[p.name]
        params[p.name] = p.value_in_level(int(levels[k]), rng, anchor)
    return params
