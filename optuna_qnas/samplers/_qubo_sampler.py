"""The Optuna glue: a ``BaseSampler`` that learns a QUBO of the objective and minimises it.

One proposal (DESIGN.md, with the acquisition step that issue 7 added): trials -> bits ->
surrogate fit -> posterior mean and posterior draws (QUBOs) + encoding penalties -> solver ->
lowest distinct samples, joined by one-parameter moves around the best trials and random
configurations -> the unseen candidate ranked first (expected improvement on even trial numbers,
expected gain in the true value of the reported best trial on odd ones) -> decode -> parameter
values. ``acquisition="thompson"`` keeps DESIGN.md's original flow: the lowest unseen
sample of one draw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import json
import math
import time
from typing import Any
from typing import TYPE_CHECKING
import warnings
import weakref

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.samplers import BaseSampler
from optuna.samplers import RandomSampler
from optuna.samplers._base import _INDEPENDENT_SAMPLING_WARNING_TEMPLATE
from optuna.search_space import IntersectionSearchSpace
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from optuna_qnas._qubo._acquisition import incumbent_gain_order
from optuna_qnas._qubo._acquisition import log_expected_improvement
from optuna_qnas._qubo._encoding import DEFAULT_FLOAT_BINS
from optuna_qnas._qubo._encoding import DEFAULT_MAX_LEVELS
from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas._qubo._model import QUBO
from optuna_qnas._qubo._surrogate import BayesianQuadraticRegression
from optuna_qnas._qubo._surrogate import normal_scores
from optuna_qnas._qubo._surrogate import robust_standardize
from optuna_qnas.solvers._base import SolverResult


if TYPE_CHECKING:
    from optuna.study import Study


_logger = optuna.logging.get_logger(__name__)

#: Namespace of the system attributes this sampler writes on trials.
ATTR_PREFIX = "qnas:"
SURROGATES = ("bore", "blr", "fm")
ACQUISITIONS = ("ei_gain", "ei", "gain", "thompson")
_PREDICTIVE = ("ei_gain", "ei", "gain")  # rank a candidate pool by a Gaussian predictive
# Issue 7's rule: a configuration that lost to the default stays available only if it wins
# somewhere. None of these beat the default on any problem or budget measured (docs/
# search_quality.md, "Fifth round"), so choosing one explicitly warns; they go in a later release.
# (``"ei"`` and ``"gain"`` remain inside the default, which alternates them; ``acquisition=None``
# still proposes by Thompson draws for a custom surrogate without predictions.)
_DEPRECATED = {"surrogate": ("bore", "fm"), "acquisition": ("ei", "gain", "thompson")}
_SUPPORTED = (CategoricalDistribution, IntDistribution, FloatDistribution)
# Penalty schedule (RESEARCH.md, pitfall 1): start at a quarter of the largest single-bit energy
# change of the model QUBO and double until most returned samples are valid codes. Strong
# penalties build barriers that single-flip annealing cannot cross.
_PENALTY_START = 0.25
_PENALTY_MAX_DOUBLINGS = 6
_PENALTY_TARGET_FEASIBLE = 0.8
_PENALTY_EASY_FEASIBLE = 0.95  # valid at the first try: the next similar solve starts weaker
_PENALTY_MAX_RATIO = _PENALTY_START * 2**_PENALTY_MAX_DOUBLINGS
_MAX_THOMPSON_DRAWS = 3
_REFIT_EVERY = 5
# ... and, past 250 observations, every n / _REFIT_FRACTION: a refit of the dual form costs
# O(n^3) per evidence evaluation (about 1.5 s at 1000 trials on the mixed space), while the
# scales barely move once the data are many.
_REFIT_FRACTION = 50
_MAX_CLAIM_ATTEMPTS = 3
# How often a level tuple with binned (refined) parameters may be proposed again.
_MAX_BIN_REPEATS = 3
_CLAIM_KEY = ATTR_PREFIX + "claim"
# Expected-improvement proposals (acquisition="ei"): the candidate pool the acquisition ranks.
_EI_THOMPSON_DRAWS = 2  # posterior draws solved beside the posterior mean (exploration)
_EI_TOP_TRIALS = 3  # best trials whose one-parameter neighbours join the pool (local moves)
_EI_MAX_NEIGHBOURS = 512
_EI_RANDOM = 64  # uniformly random configurations (a global safety net)


def _resolve_solver(solver: Any, num_reads: int | None) -> Any:
    from optuna_qnas.solvers._dimod import DimodSolver
    from optuna_qnas.solvers._dimod import make_solver

    if solver is None:
        return make_solver("simulated_annealing", num_reads=num_reads)
    if isinstance(solver, str):
        return make_solver(solver, num_reads=num_reads)
    if callable(getattr(solver, "solve", None)):
        return solver
    if callable(getattr(solver, "sample", None)):
        return DimodSolver(solver, num_reads=num_reads)
    raise ValueError(
        f"solver must be a preset name (e.g. 'simulated_annealing', 'tabu', 'qpu', 'hybrid'), a "
        f"dimod.Sampler, or an object with solve(qubo, num_samples, seed); got {type(solver).__name__}."
    )


def _refits_evidence(n_observations: int) -> bool:
    """Whether the proposal after ``n_observations`` finished trials re-maximises the evidence."""
    return n_observations % max(_REFIT_EVERY, n_observations // _REFIT_FRACTION) == 0


def _check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


class QUBOSampler(BaseSampler):
    """Model-based sampler: a quadratic surrogate over encoded bits, minimised by a QUBO solver.

    Each proposal fits a quadratic pseudo-Boolean model of the objective to the finished trials
    (by default a Bayesian quadratic regression, i.e. a Gaussian process with a quadratic kernel
    over the bits), turns its posterior mean and two posterior draws into QUBOs, adds the
    encoding penalties, and asks the solver for their lowest distinct samples. Those samples,
    the one-parameter neighbours of the best trials and a few random configurations form a pool;
    the unseen member ranked first becomes the next trial: by expected improvement on even trial
    numbers and, on odd ones, by the expected gain in the *true* value of the trial the study
    reports as best (the best *observed* one; with a noisy objective a lucky draw can put a
    mediocre configuration there), ``acquisition="ei_gain"``. With ``acquisition="thompson"``
    the lowest unseen sample of one drawn QUBO is proposed instead. The first
    ``n_startup_trials`` proposals are a space-filling design: every parameter level (so every
    bit, on and off) is used as evenly as the budget allows.

    Example:

        .. code-block:: python

            import optuna
            from optuna_qnas import QUBOSampler

            def objective(trial):
                x = trial.suggest_int("x", -5, 5)
                op = trial.suggest_categorical("op", ["conv", "pool", "skip"])
                return x**2 + (op == "pool")

            study = optuna.create_study(sampler=QUBOSampler(seed=0))
            study.optimize(objective, n_trials=30)

    Args:
        solver:
            ``None`` (local simulated annealing), a preset name (see
            :func:`optuna_qnas.solvers.make_solver`), any ``dimod.Sampler`` or composite, or an
            object with ``solve(qubo, num_samples, seed)`` (:class:`optuna_qnas.solvers.QUBOSolver`).
        encoding:
            ``None`` (a default per distribution), one of ``"one_hot"``, ``"domain_wall"``,
            ``"binary"``, ``"unary"`` for every parameter, or ``{param_name: encoding}``.
        surrogate:
            ``"blr"`` (default: Bayesian quadratic regression, evidence-set scales, exact
            posterior draws and predictive variances), ``"bore"`` (density ratio: a Bayesian
            logistic regression of good vs bad trials on the same features, proposed at its
            posterior mode; BORE, Tiao et al. 2021), ``"fm"`` (a factorization machine as in
            FMQA; needs torch), or a callable
            ``pair_mask -> surrogate`` with ``fit(X, y, rng)``, ``sample_qubo(rng)``, ``mean_qubo()``.
            ``"bore"`` and ``"fm"`` are deprecated (no better than the default anywhere in the
            benchmarks; docs/search_quality.md).
        acquisition:
            How the model picks the next configuration. The predictive acquisitions rank a
            candidate pool: the solver's low-energy samples of the posterior-mean QUBO and of
            posterior draws, one-parameter moves around the best trials and a few random
            configurations (they need a surrogate with ``predict(X) -> (mean, std)``, such as
            ``"blr"``, fitted to rank-based normal scores). ``"ei"``: expected improvement over
            the best observation. ``"gain"``: the expected gain in the true value of the study's
            best trial, ``E[(f_best - f(x)) 1{y(x) < y_best}]`` under the model's posterior and
            fitted noise: a candidate that could only displace the best trial through a lucky
            draw scores below zero (needs ``predict_with_reference`` and ``noise_std``, as
            ``"blr"`` has). ``"ei_gain"``: ``"ei"`` on even trial numbers, ``"gain"`` on odd
            ones (docs/search_quality.md: better than either alone on NAS-Bench-201).
            ``"thompson"``: the lowest unseen sample of one drawn QUBO (``"bore"`` draws its
            posterior mode). ``None``: ``"ei_gain"`` where the surrogate supports it (``"ei"``
            where it predicts but has no ``predict_with_reference``), else ``"thompson"``.
            Choosing ``"ei"``, ``"gain"`` or ``"thompson"`` explicitly is deprecated (no better
            than the default anywhere in the benchmarks); ``None`` keeps working for every
            surrogate.
        n_startup_trials:
            Trials proposed by the space-filling design before the model is used.
        num_samples:
            Distinct low-energy samples asked of the solver per proposal.
        num_reads:
            Reads per solve for dimod solvers built from a name or a ``dimod.Sampler``.
            ``None``: 64, except that simulated annealing gives QUBOs wider than 32 bits fewer
            reads (a fixed budget of spin updates per solve, so proposals on wide spaces stay
            fast; :class:`~optuna_qnas.solvers.DimodSolver`).
        max_levels:
            Integer/stepped grids wider than this are cut into bins (refined inside the bin).
        float_bins:
            Number of bins for continuous floats.
        seed:
            Seed for the random number generator; proposals are a function of the seed, the trial
            number and the study's trials, so a restarted or another process reproduces them.
        independent_sampler:
            Samples parameters outside the relative search space (default ``RandomSampler``).
        warn_independent_sampling:
            Warn when a parameter is sampled by the independent sampler after the startup trials.
    """

    # Posterior draws solved beside the posterior mean per expected-improvement proposal; the
    # gate-model samplers solve the mean only (a QAOA solve costs about a CPU second).
    _ei_thompson_draws = _EI_THOMPSON_DRAWS
    _ei_random = _EI_RANDOM  # uniform pool members; a benchmark widens it to cover most of a space

    def __init__(
        self,
        *,
        solver: Any = None,
        encoding: str | Mapping[str, str] | None = None,
        surrogate: str | Callable[[np.ndarray], Any] = "blr",
        acquisition: str | None = None,
        n_startup_trials: int = 5,
        num_samples: int = 16,
        num_reads: int | None = None,
        max_levels: int = DEFAULT_MAX_LEVELS,
        float_bins: int = DEFAULT_FLOAT_BINS,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        self._n_startup_trials = _check_positive_int(
            "n_startup_trials", n_startup_trials, minimum=0
        )
        self._num_samples = _check_positive_int("num_samples", num_samples)
        if num_reads is not None:
            _check_positive_int("num_reads", num_reads)
        self._max_levels = _check_positive_int("max_levels", max_levels, minimum=2)
        self._float_bins = _check_positive_int("float_bins", float_bins)
        if isinstance(surrogate, str):
            if surrogate not in SURROGATES:
                raise ValueError(
                    f"Unknown surrogate {surrogate!r}. Use one of {', '.join(SURROGATES)}, or a "
                    "callable pair_mask -> surrogate."
                )
        elif not callable(surrogate):
            raise ValueError(
                f"surrogate must be one of {SURROGATES} or a callable; got {surrogate!r}."
            )
        self._surrogate = surrogate
        if acquisition is not None and acquisition not in ACQUISITIONS:
            raise ValueError(
                f"Unknown acquisition {acquisition!r}. Use one of {', '.join(ACQUISITIONS)} or None."
            )
        if acquisition in _PREDICTIVE and surrogate in ("bore", "fm"):
            raise ValueError(
                f"acquisition={acquisition!r} needs a surrogate with a predictive variance; surrogate={surrogate!r} "
                f"has none. Leave acquisition out (None) with surrogate={surrogate!r}, or use surrogate='blr'."
            )
        self._acquisition = acquisition
        chosen = [
            f"{name}={value!r}"
            for name, value in (("surrogate", surrogate), ("acquisition", acquisition))
            if isinstance(value, str) and value in _DEPRECATED[name]
        ]
        if chosen:
            warnings.warn(
                f"{' and '.join(chosen)} {'are' if len(chosen) > 1 else 'is'} deprecated and will be removed in "
                "optuna-qnas 0.3: no better than the default (surrogate='blr', acquisition=None) on any problem "
                "measured (docs/search_quality.md). Leave these arguments out to use the default.",
                FutureWarning,
                stacklevel=3 if type(self) is not QUBOSampler else 2,
            )
        # Validate the encoding names now (a typo should fail at construction, not at trial 11).
        if encoding is not None:
            from optuna_qnas._qubo._encoding import normalize_encoding_name

            names = encoding.values() if isinstance(encoding, Mapping) else [encoding]
            for name in names:
                normalize_encoding_name(name)
        self._encoding = encoding
        self._solver = _resolve_solver(solver, num_reads)
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an int or None; got {seed!r}.")
        self._seed = None if seed is None else int(seed)
        self._base_seed = (
            self._seed if self._seed is not None else int(np.random.randint(2**31 - 1))
        )
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise ValueError(
                "independent_sampler must be an optuna.samplers.BaseSampler (e.g. "
                f"optuna.samplers.RandomSampler(seed=0)); got {type(independent_sampler).__name__}."
            )
        self._independent_sampler = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent_sampling = bool(warn_independent_sampling)
        self._search_space = IntersectionSearchSpace(include_pruned=True)
        # Level tuples of finished trials, per storage (held weakly: a cache entry dies with its
        # storage, so a later storage at the same address cannot inherit it), study and search
        # space: they never change once a trial has every parameter, and decoding them all
        # again each proposal cost ~10 ms at 100 trials. Only a cache: never pickled.
        self._levels_cache: weakref.WeakKeyDictionary[
            Any, dict[tuple[Any, ...], dict[int, np.ndarray]]
        ] = weakref.WeakKeyDictionary()

    @property
    def solver(self) -> Any:
        return self._solver

    def reseed_rng(self) -> None:
        self._base_seed = int(np.random.randint(2**31 - 1))
        self._independent_sampler.reseed_rng()

    def _trial_rng(self, trial: FrozenTrial) -> np.random.RandomState:
        # Derived from (seed, trial number) alone: independent of call history, so that another
        # process or a restarted study proposes the same as the original run would have.
        return np.random.RandomState([self._base_seed % (2**32), trial.number % (2**32), 0x51AB])

    # ----- BaseSampler API ------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space: dict[str, BaseDistribution] = {}
        for name, dist in self._search_space.calculate(study, use_cache=True).items():
            # Single-valued distributions need no bits; unknown distribution types go to the
            # independent sampler (with the usual warning).
            if isinstance(dist, _SUPPORTED) and not dist.single():
                space[name] = dist
        return space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        start = time.perf_counter()
        rng = self._trial_rng(trial)
        enc = SearchSpaceEncoding(
            search_space, self._encoding, max_levels=self._max_levels, float_bins=self._float_bins
        )
        trials = study._get_trials(deepcopy=False, use_cache=True)
        others = [
            t
            for t in trials
            if t.number != trial.number and all(n in t.params for n in search_space)
        ]
        levels_by_number = self._levels_by_number(study, search_space, enc, others)
        repeats = Counter(tuple(lv.tolist()) for lv in levels_by_number.values())
        seen = set(repeats) | self._claims(trials, trial, enc)
        observed = [t for t in others if t.state == TrialState.COMPLETE and t.values is not None]
        info: dict[str, Any] = {}
        incumbent = None
        model = None
        top_levels = np.zeros((0, len(enc.params)), dtype=np.int64)
        targets = np.zeros(0)
        if len(observed) >= max(self._n_startup_trials, 2):
            losses = self._losses(study, observed, rng)
            X = enc.encode_levels(
                np.stack([levels_by_number[t.number] for t in observed])
            )  # (n, n_bits)
            model, targets = self._fit_surrogate(
                enc, X, losses, rng, self._stored_scales(others, enc)
            )
            incumbent = observed[int(np.argmin(losses))]
            top = np.argsort(losses, kind="stable")[:_EI_TOP_TRIALS]
            top_levels = np.stack([levels_by_number[observed[i].number] for i in top])
        conflicts = 0
        for attempt in range(_MAX_CLAIM_ATTEMPTS + 1):
            if attempt == _MAX_CLAIM_ATTEMPTS:
                # Every pick of the model was taken by another worker while this proposal was
                # computed (slow proposals, fast trials): the nearest configuration nobody holds.
                levels = self._mutate_to_unseen(enc, levels, seen, rng)
                info["source"] = "claim fallback"  # not the pool member the record names
            elif model is None:
                levels = self._space_filling(enc, others, seen, rng)
                info["mode"] = "startup"
            else:
                if self._uses_ei(model):
                    levels, info = self._propose_ei(
                        enc,
                        model,
                        seen,
                        rng,
                        repeats,
                        top_levels,
                        float(targets.min()),
                        self._stored_ratios(others, enc),
                        rank_by_gain=self._ranks_by_gain(model, trial),
                    )
                else:
                    levels, info = self._propose(enc, model, seen, rng, repeats)
                info["mode"] = "model"
            key = tuple(int(v) for v in levels)
            # Claim and check (workers on one storage): a proposal is visible to the others only
            # once its parameters are stored, so write the claim now and look again; if another
            # running trial claimed the same configuration meanwhile, or a trial that got its
            # parameters after this proposal began (and may even have finished) has it, pick
            # another one.
            study._storage.set_trial_system_attr(
                trial._trial_id, _CLAIM_KEY, {"names": enc.names, "levels": list(key)}
            )
            current = study._storage.get_all_trials(study._study_id, deepcopy=False)
            taken = self._claims(current, trial, enc)
            for t in current:
                if (
                    t.number != trial.number
                    and t.number not in levels_by_number
                    and all(n in t.params for n in search_space)
                ):
                    taken.add(tuple(int(v) for v in enc.levels_of(t.params)))
            if key in seen or key not in taken or len(seen) >= enc.n_configurations:
                break
            conflicts = attempt + 1
            # Avoid everything other workers hold or finished meanwhile, not only this key: they
            # propose from nearly the same data, so the next picks are likely taken too.
            seen |= taken
            seen.add(key)
        if conflicts:
            # Recorded after the loop: each retry's proposal returns a fresh info dict.
            info["claim_conflicts"] = conflicts
        params = self._values(enc, levels, incumbent, rng)
        info["sampler_seconds"] = round(time.perf_counter() - start, 6)
        self._record(study, trial, info)
        return params

    def _levels_by_number(
        self,
        study: Study,
        search_space: dict[str, BaseDistribution],
        enc: SearchSpaceEncoding,
        others: list[FrozenTrial],
    ) -> dict[int, np.ndarray]:
        key = (study._study_id, tuple((name, repr(d)) for name, d in sorted(search_space.items())))
        try:
            per_storage = self._levels_cache.setdefault(study._storage, {})
        except TypeError:  # a storage that cannot be weakly referenced: no cache
            return {t.number: enc.levels_of(t.params) for t in others}
        cache = per_storage.get(key)
        if cache is None:
            if len(per_storage) >= 4:
                per_storage.clear()
            cache = per_storage.setdefault(key, {})
        out: dict[int, np.ndarray] = {}
        for t in others:
            levels = cache.get(t._trial_id)
            if levels is None:
                levels = cache[t._trial_id] = enc.levels_of(t.params)
            out[t.number] = levels
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_levels_cache"]  # weak references do not pickle; a cache starts empty
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._levels_cache = weakref.WeakKeyDictionary()

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._warn_independent_sampling and not param_distribution.single():
            n_complete = len(
                study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True)
            )
            if n_complete >= self._n_startup_trials:
                reason = (
                    f"{type(param_distribution).__name__} is not supported by QUBOSampler"
                    if not isinstance(param_distribution, _SUPPORTED)
                    else "dynamic search space (the parameter is not in every trial)"
                )
                _logger.warning(
                    _INDEPENDENT_SAMPLING_WARNING_TEMPLATE.format(
                        param_name=param_name,
                        trial_number=trial.number,
                        independent_sampler_name=type(self._independent_sampler).__name__,
                        sampler_name=type(self).__name__,
                        fallback_reason=reason,
                    )
                )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._independent_sampler.after_trial(study, trial, state, values)

    # ----- internals ------------------------------------------------------------------------------
    def _losses(
        self, study: Study, observed: list[FrozenTrial], rng: np.random.RandomState
    ) -> np.ndarray:
        """One loss per observed trial (lower is better): directions folded in, multi-objective
        values scalarised, infinities clipped, constraint violations ranked below every feasible
        value."""
        signs = np.array([1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions])
        Y = np.array([t.values for t in observed], dtype=float) * signs  # (n, n_objectives)
        for k in range(Y.shape[1]):
            col = Y[:, k]
            finite = np.isfinite(col)
            if not finite.any():
                Y[:, k] = 0.0
                continue
            # Divide by the largest magnitude first: values near the float maximum would
            # otherwise overflow the spans below.
            magnitude = np.abs(col[finite]).max()
            if magnitude > 0:
                col = col / magnitude
            lo, hi = col[finite].min(), col[finite].max()
            span = hi - lo if hi > lo else 1.0
            Y[:, k] = np.where(
                np.isposinf(col), hi + span, np.where(np.isneginf(col), lo - span, col)
            )
        if Y.shape[1] == 1:
            loss = Y[:, 0]
        else:
            # Random Chebyshev scalarisation (ParEGO, Knowles 2006): a new weight vector per
            # proposal, so that successive proposals cover the Pareto front.
            lo, hi = Y.min(axis=0), Y.max(axis=0)
            Z = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
            w = rng.dirichlet(np.ones(Y.shape[1]))
            loss = (Z * w).max(axis=1) + 0.05 * (Z * w).sum(axis=1)
        violations = np.array(
            [sum(max(0.0, float(c)) for c in t.constraints.values()) for t in observed],
            dtype=float,
        )
        infeasible = violations > 0
        if infeasible.any():
            feasible_loss = loss[~infeasible]
            top = feasible_loss.max() if feasible_loss.size else loss.max()
            span = np.ptp(loss) if np.ptp(loss) > 0 else 1.0
            loss = np.where(infeasible, top + span * (0.5 + violations / violations.max()), loss)
        return loss

    def _make_surrogate(self, enc: SearchSpaceEncoding) -> Any:
        mask = enc.pair_mask()
        if callable(self._surrogate):
            return self._surrogate(mask)
        if self._surrogate == "fm":
            from optuna_qnas._qubo._fm import FactorizationMachine

            return FactorizationMachine(mask)
        if self._surrogate == "bore":
            from optuna_qnas._qubo._classifier import BayesianLogisticQuadratic

            # Posterior mode of the good-vs-bad classifier (docs/search_quality.md: the mode
            # tied or beat the regression; Thompson draws of the classifier were worse).
            return BayesianLogisticQuadratic(mask, temperature=0.0)
        return BayesianQuadraticRegression(mask)

    def _fit_surrogate(
        self,
        enc: SearchSpaceEncoding,
        X: np.ndarray,
        losses: np.ndarray,
        rng: np.random.RandomState,
        warm_scales: list[float] | None,
    ) -> tuple[Any, np.ndarray]:
        """Fit the surrogate once per proposal on bits ``X`` (n, n_bits) and losses (n,); return it
        with the targets it was fitted on."""
        model = self._make_surrogate(enc)
        # Expected improvement ranks by a Gaussian predictive: fit it on rank-based normal scores
        # (docs/search_quality.md: better than the robust standardisation there).
        y = normal_scores(losses) if self._uses_ei(model) else robust_standardize(losses)
        if isinstance(model, BayesianQuadraticRegression):
            # Re-maximise the evidence every _REFIT_EVERY observations (every n / 50 past 250) and
            # whenever no scales are stored; in between, reuse the previous proposal's scales.
            refit = warm_scales is None or _refits_evidence(len(y))
            model.fit(X, y, rng, initial_log_scales=warm_scales, optimize=refit)
        else:
            model.fit(X, y, rng)
        return model, y

    def _ranks_by_gain(self, model: Any, trial: FrozenTrial) -> bool:
        """Whether this proposal ranks its pool by incumbent gain: always with ``"gain"``, on odd
        trial numbers with ``"ei_gain"`` (a function of the trial alone, so workers and restarts
        agree), never with ``"ei"``; with ``acquisition=None`` only where the surrogate offers
        :meth:`predict_with_reference`."""
        mode = self._acquisition or "ei_gain"
        if mode == "ei":
            return False
        if not (
            callable(getattr(model, "predict_with_reference", None))
            and hasattr(model, "noise_std")
        ):
            if self._acquisition is None:
                return False
            # Raised at the first model proposal, whatever its trial number's parity.
            raise ValueError(
                f"acquisition={self._acquisition!r} needs a surrogate with predict_with_reference(X, x_ref) -> "
                f"(mean, std, cov, ref_mean) and noise_std; {type(model).__name__} has none. Use "
                "acquisition='ei' or surrogate='blr'."
            )
        return mode == "gain" or trial.number % 2 == 1

    def _uses_ei(self, model: Any) -> bool:
        if self._acquisition == "thompson":
            return False
        has_predict = callable(getattr(model, "predict", None))
        if self._acquisition in _PREDICTIVE and not has_predict:
            raise ValueError(
                f"acquisition={self._acquisition!r} needs a surrogate with predict(X) -> (mean, std); "
                f"{type(model).__name__} has none. Use acquisition='thompson' or a surrogate such as 'blr'."
            )
        return has_predict

    def _propose_ei(
        self,
        enc: SearchSpaceEncoding,
        model: Any,
        seen: set[tuple[int, ...]],
        rng: np.random.RandomState,
        repeats: Mapping[tuple[int, ...], int],
        top_levels: np.ndarray,
        best: float,
        penalty_ratios: list[float] | None = None,
        rank_by_gain: bool = False,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Expected improvement (or incumbent gain) over a candidate pool built by the solver and
        by local moves.

        Pool: the solver's low-energy samples of the posterior-mean QUBO (exploitation) and of
        ``_ei_thompson_draws`` posterior draws (exploration where the model is unsure), every
        one-parameter change of the best trials and of the mean QUBO's best sample (local search,
        White et al. 2021), and ``_ei_random`` uniform configurations. The unseen candidate with
        the highest expected improvement over ``best`` (the lowest fitted target) is proposed; with
        ``rank_by_gain``, the one with the highest expected gain in the true value of the reported
        incumbent (``top_levels[0]``, observed at ``best``; :func:`incumbent_gain_order`).
        """
        penalty = enc.penalty()
        sizes = np.array([p.n_levels for p in enc.params], dtype=np.int64)
        mean_qubo = model.mean_qubo()
        info: dict[str, Any] = {"acquisition": "ei"}
        groups: list[tuple[str, np.ndarray]] = []
        draws = [model.sample_qubo(rng) for _ in range(self._ei_thompson_draws)]
        # Each QUBO (mean, draw 1, ...) starts from the penalty ratio its predecessor in the
        # previous proposal ended with (stored on that trial; halved after an easily valid solve,
        # never below the usual start), so the doublings of one proposal are not repeated by the
        # next: on the 69-bit mixed space 3.2 instead of 5.2 solves per proposal.
        n_solves = 1 + len(draws)
        starts = (
            penalty_ratios
            if penalty_ratios and len(penalty_ratios) == n_solves
            else [_PENALTY_START] * n_solves
        )
        next_ratios = []
        for k, qubo in enumerate([mean_qubo] + draws):
            result, strength, nxt = self._solve_with_penalty(qubo, penalty, enc, rng, starts[k])
            next_ratios.append(nxt)
            cand = enc.decode_levels(result.samples)
            if k == 0:
                info.update(result.info)
                info["penalty_strength"] = strength
                cand = cand[np.argsort(mean_qubo.energies(enc.encode_levels(cand)), kind="stable")]
            groups.append(("mean" if k == 0 else "draw", cand))
        info["penalty_ratios"] = next_ratios
        info["n_bits"] = enc.n_bits  # what the stored ratios (and scales) were found for
        best_read = groups[0][1][0]
        centres = np.vstack([top_levels, best_read[None, :]])
        groups.append(("refine", centres))  # only binned tuples pass the filter below
        moves = []
        for c in centres:
            for j in np.nonzero(sizes > 1)[0]:
                for v in range(sizes[j]):
                    if v != c[j]:
                        m = c.copy()
                        m[j] = v
                        moves.append(m)
        if moves:
            moves_arr = np.stack(moves)
            if len(moves_arr) > _EI_MAX_NEIGHBOURS:
                moves_arr = moves_arr[
                    rng.choice(len(moves_arr), _EI_MAX_NEIGHBOURS, replace=False)
                ]
            groups.append(("local", moves_arr))
        groups.append(
            ("random", (rng.random_sample((self._ei_random, len(sizes))) * sizes).astype(np.int64))
        )
        # A binned parameter is refined inside its bin, so an evaluated level tuple still gives a
        # new configuration: such tuples stay candidates a few times (local refinement).
        binned = enc.n_configurations == math.inf
        pool: dict[tuple[int, ...], str] = {}
        for source, cands in groups:
            for key in map(tuple, np.asarray(cands, dtype=np.int64).tolist()):
                if key in pool:
                    continue
                if key not in seen or (binned and 0 < repeats.get(key, 0) < _MAX_BIN_REPEATS):
                    pool[key] = source
        if isinstance(model, BayesianQuadraticRegression):
            # Warm start of the next proposal's evidence maximisation (_stored_scales).
            info["log_scales"] = model.log_scales
        info["pool_size"] = len(pool)
        if not pool:
            key = tuple(int(v) for v in best_read)
            if len(seen) >= float(np.prod(sizes, dtype=float)) or (
                enc.n_configurations == math.inf and repeats.get(key, 0) < _MAX_BIN_REPEATS
            ):
                info["repeated_levels"] = True
                return best_read, info
            info["mutated"] = True
            return self._mutate_to_unseen(enc, best_read, seen, rng), info
        keys = list(pool)
        cand_levels = np.array(keys, dtype=np.int64)
        if rank_by_gain:
            # The reported incumbent is top_levels[0], the trial with the lowest observed target.
            mean, std, cov, inc_mean = model.predict_with_reference(
                enc.encode_levels(cand_levels), enc.encode_levels(top_levels[:1])[0]
            )
            pick = int(incumbent_gain_order(mean, std, cov, inc_mean, model.noise_std, best)[0])
            info["ranking"] = "gain"
            info["source"] = pool[keys[pick]]
            return cand_levels[pick], info
        info["ranking"] = "ei"
        mean, std = model.predict(enc.encode_levels(cand_levels))
        score = log_expected_improvement(mean, std, best)
        pick = int(np.argmax(score))
        info["source"] = pool[keys[pick]]
        info["log_ei"] = float(score[pick])
        return cand_levels[pick], info

    def _propose(
        self,
        enc: SearchSpaceEncoding,
        model: Any,
        seen: set[tuple[int, ...]],
        rng: np.random.RandomState,
        repeats: Mapping[tuple[int, ...], int] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        repeats = repeats or {}
        penalty = enc.penalty()
        n_tuples = float(np.prod([p.n_levels for p in enc.params], dtype=float))
        exhausted = len(seen) >= n_tuples
        info: dict[str, Any] = {}
        best: np.ndarray | None = None
        for draw in range(_MAX_THOMPSON_DRAWS):
            qubo = model.sample_qubo(rng)
            result, strength, _ = self._solve_with_penalty(qubo, penalty, enc, rng)
            info = {"thompson_draws": draw + 1, "penalty_strength": strength, **result.info}
            if isinstance(model, BayesianQuadraticRegression):
                info["log_scales"] = model.log_scales
                info["n_bits"] = enc.n_bits
            cand_levels = enc.decode_levels(result.samples)
            # Rank the (repaired) candidates by the drawn model on their canonical codes: the
            # penalty only guides the solver, the choice is made on valid configurations.
            energies = qubo.energies(enc.encode_levels(cand_levels))
            order = np.lexsort((np.arange(len(energies)), energies))
            if best is None:
                best = cand_levels[order[0]]
            for rank, idx in enumerate(order):
                if exhausted or tuple(int(v) for v in cand_levels[idx]) not in seen:
                    info["candidate_rank"] = rank
                    return cand_levels[idx], info
        assert best is not None
        if (
            enc.n_configurations == math.inf
            and repeats.get(tuple(int(v) for v in best), 0) < _MAX_BIN_REPEATS
        ):
            # A binned parameter is refined inside its bin, so a seen level tuple still gives a
            # new configuration; a few times per tuple, then the search moves on.
            info["repeated_levels"] = True
            return best, info
        # Every low-energy sample is already evaluated or running: change one parameter of the
        # best candidate at a time until the configuration is new (Amplify-BBOpt does likewise).
        info["mutated"] = True
        return self._mutate_to_unseen(enc, best, seen, rng), info

    @staticmethod
    def _claims(
        trials: Sequence[FrozenTrial], trial: FrozenTrial, enc: SearchSpaceEncoding
    ) -> set[tuple[int, ...]]:
        """Configurations claimed by other running trials that have not stored parameters yet."""
        claims: set[tuple[int, ...]] = set()
        for t in trials:
            if t.number == trial.number or t.state != TrialState.RUNNING:
                continue
            claim = t.system_attrs.get(_CLAIM_KEY)
            if isinstance(claim, dict) and claim.get("names") == enc.names:
                claims.add(tuple(int(v) for v in claim["levels"]))
        return claims

    @staticmethod
    def _stored(
        others: list[FrozenTrial], enc: SearchSpaceEncoding, key: str
    ) -> list[float] | None:
        """The list of numbers the latest earlier proposal over the same bits stored under
        ``key`` in its trial's system attributes (state lives in the storage, not the process)."""
        for t in sorted(others, key=lambda t: t.number, reverse=True):
            info = t.system_attrs.get(ATTR_PREFIX + "proposal")
            if isinstance(info, dict) and info.get("n_bits") == enc.n_bits and key in info:
                values = info[key]
                if isinstance(values, list) and all(isinstance(v, (int, float)) for v in values):
                    return [float(v) for v in values]
        return None

    @classmethod
    def _stored_scales(
        cls, others: list[FrozenTrial], enc: SearchSpaceEncoding
    ) -> list[float] | None:
        """The regression's scales fitted for the latest earlier proposal (evidence warm start)."""
        return cls._stored(others, enc, "log_scales")

    @classmethod
    def _stored_ratios(
        cls, others: list[FrozenTrial], enc: SearchSpaceEncoding
    ) -> list[float] | None:
        """The penalty ratios the latest earlier proposal ended with."""
        ratios = cls._stored(others, enc, "penalty_ratios")
        return ratios if ratios and all(r > 0 for r in ratios) else None

    def _solve_with_penalty(
        self,
        qubo: QUBO,
        penalty: QUBO,
        enc: SearchSpaceEncoding,
        rng: np.random.RandomState,
        start_ratio: float = _PENALTY_START,
        max_doublings: int = _PENALTY_MAX_DOUBLINGS,
    ) -> tuple[SolverResult, float, float]:
        """Solve ``qubo`` plus the encoding penalty, doubling the penalty from ``start_ratio``
        times the model's largest single-bit change until most samples are valid codes.

        Returns the result, the penalty strength used, and the ratio the next solve of a similar
        QUBO should start from: the one that worked, half of it (not below ``_PENALTY_START``)
        when the first try was already comfortably valid, so the penalty can come down again,
        or twice the last one tried when ``max_doublings`` ran out first.
        """
        has_penalty = bool(np.any(penalty.linear) or np.any(penalty.quadratic))
        ratio = start_ratio
        strength = (
            ratio * float(np.max(qubo.max_flip_delta(), initial=0.0)) if has_penalty else 0.0
        )
        if has_penalty and strength <= 0:
            strength = 1.0  # a constant model: any positive penalty
        result: SolverResult | None = None
        next_ratio = start_ratio
        for attempt in range(max_doublings + 1):
            result = self._solver.solve(
                qubo + penalty.scaled(strength), self._num_samples, int(rng.randint(2**31 - 1))
            )
            if not has_penalty or result.samples.shape[0] == 0:
                break
            valid = float(enc.feasible(result.samples).mean())
            if valid >= _PENALTY_TARGET_FEASIBLE:
                next_ratio = ratio
                if attempt == 0 and valid >= _PENALTY_EASY_FEASIBLE:
                    next_ratio = max(ratio / 2.0, _PENALTY_START)
                break
            next_ratio = min(2.0 * ratio, _PENALTY_MAX_RATIO)
            if attempt == max_doublings:
                break
            strength *= 2.0
            ratio *= 2.0
        assert result is not None
        if result.samples.shape[0] == 0:
            raise RuntimeError(f"The solver {self._solver!r} returned no samples.")
        return result, strength, next_ratio

    def _mutate_to_unseen(
        self,
        enc: SearchSpaceEncoding,
        levels: np.ndarray,
        seen: set[tuple[int, ...]],
        rng: np.random.RandomState,
    ) -> np.ndarray:
        sizes = np.array([p.n_levels for p in enc.params])
        movable = np.nonzero(sizes > 1)[0]
        current = np.array(levels, dtype=np.int64)
        for attempt in range(200):
            cand = current.copy()
            # One parameter at first, more as attempts fail (a neighbourhood may be exhausted).
            n_change = 1 + attempt // 20
            for k in rng.choice(movable, size=min(n_change, len(movable)), replace=False):
                choices = [v for v in range(sizes[k]) if v != cand[k]]
                cand[k] = choices[rng.randint(len(choices))]
            if tuple(int(v) for v in cand) not in seen:
                return cand
        return current

    def _space_filling(
        self,
        enc: SearchSpaceEncoding,
        others: list[FrozenTrial],
        seen: set[tuple[int, ...]],
        rng: np.random.RandomState,
    ) -> np.ndarray:
        """Greedy covering design: each parameter takes one of its least-used levels so far
        (random among ties), so that every level -- hence every bit, on and off -- is seen early."""
        counts = [np.zeros(p.n_levels) for p in enc.params]
        for t in others:
            for k, lv in enumerate(enc.levels_of(t.params)):
                counts[k][lv] += 1
        for _ in range(50):
            levels = np.array(
                [int(rng.choice(np.flatnonzero(c == c.min()))) for c in counts], dtype=np.int64
            )
            if tuple(int(v) for v in levels) not in seen:
                return levels
        return self._mutate_to_unseen(enc, levels, seen, rng)

    def _values(
        self,
        enc: SearchSpaceEncoding,
        levels: np.ndarray,
        incumbent: FrozenTrial | None,
        rng: np.random.RandomState,
    ) -> dict[str, Any]:
        """Parameter values of a level tuple. A binned level is refined: half of the time near the
        incumbent's value when the incumbent lies in the same bin (local refinement), else
        uniformly inside the bin (RESEARCH.md, pitfall 4)."""
        params: dict[str, Any] = {}
        for k, p in enumerate(enc.params):
            anchor = None
            if p.is_binned and incumbent is not None and rng.rand() < 0.5:
                if p.level_of(incumbent.params[p.name]) == levels[k]:
                    anchor = incumbent.params[p.name]
            params[p.name] = p.value_in_level(int(levels[k]), rng, anchor)
        return params

    def _record(self, study: Study, trial: FrozenTrial, info: dict[str, Any]) -> None:
        try:
            payload = json.loads(json.dumps(info, default=float))
        except (TypeError, ValueError):
            return
        study._storage.set_trial_system_attr(trial._trial_id, ATTR_PREFIX + "proposal", payload)


class QuantumAnnealingSampler(QUBOSampler):
    """:class:`QUBOSampler` with a D-Wave (or simulated) annealer as the solver.

    Example:

        .. code-block:: python

            import optuna
            from optuna_qnas import QuantumAnnealingSampler

            study = optuna.create_study(sampler=QuantumAnnealingSampler(seed=0))

    Args:
        solver:
            ``"simulated_annealing"`` (default; local, from dwave-samplers), ``"tabu"``,
            ``"steepest_descent"``, ``"exact"``, ``"qpu"`` (``EmbeddingComposite(DWaveSampler())``),
            ``"hybrid"`` (``LeapHybridSampler``), or any ``dimod.Sampler``/composite, e.g.
            ``EmbeddingComposite(MockDWaveSampler(...))``.
        num_reads:
            Annealing reads per solve. ``None`` (default): 64, fewer for simulated annealing on
            QUBOs wider than 32 bits (a fixed budget of spin updates per solve).
        kwargs:
            Everything else as in :class:`QUBOSampler` (keyword-only).

    .. note:: ``"qpu"`` and ``"hybrid"`` need ``pip install optuna-qnas[dwave]`` and a D-Wave Leap
       token (``DWAVE_API_TOKEN`` or ``dwave config create``); without one the constructor raises
       a ``ValueError`` that says so.
    """

    def __init__(
        self, *, solver: Any = "simulated_annealing", num_reads: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(solver=solver, num_reads=num_reads, **kwargs)
