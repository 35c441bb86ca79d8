"""The Optuna glue: a ``BaseSampler`` that learns a QUBO of the objective and minimises it.

One proposal: trials -> level tuples and bits (encoding) -> losses (targets) -> surrogate fit ->
posterior mean and draws as QUBOs -> penalty wrapper over the solver -> candidate pool ranked by
the acquisition -> claim -> parameter values. The parts live beside this module and work on
arrays; this module reads trials, calls them in order and writes what they return.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import time
from typing import Any
from typing import TYPE_CHECKING

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from optuna_qnas._checks import check_int
from optuna_qnas._qubo._encoding import DEFAULT_FLOAT_BINS
from optuna_qnas._qubo._encoding import DEFAULT_MAX_LEVELS
from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas._qubo._screening import ScreenedQuadraticRegression
from optuna_qnas.samplers._qubo import _state
from optuna_qnas.samplers._qubo._independent import PerTrialRandom
from optuna_qnas.samplers._qubo._independent import SUPPORTED
from optuna_qnas.samplers._qubo._independent import warn_independent
from optuna_qnas.samplers._qubo._options import check_surrogate
from optuna_qnas.samplers._qubo._options import resolve_solver
from optuna_qnas.samplers._qubo._pool import Candidate
from optuna_qnas.samplers._qubo._pool import level_counts
from optuna_qnas.samplers._qubo._pool import PoolSettings
from optuna_qnas.samplers._qubo._pool import ranked_walk
from optuna_qnas.samplers._qubo._pool import space_filling
from optuna_qnas.samplers._qubo._propose import default_surrogate
from optuna_qnas.samplers._qubo._propose import fit_surrogate
from optuna_qnas.samplers._qubo._propose import parameter_values
from optuna_qnas.samplers._qubo._propose import ranked_candidates
from optuna_qnas.samplers._qubo._propose import ranks_by_gain
from optuna_qnas.samplers._qubo._propose import REGRESSIONS
from optuna_qnas.samplers._qubo._targets import losses
from optuna_qnas.samplers._qubo._targets import pruned_losses


if TYPE_CHECKING:
    from optuna.study import Study


class QUBOSampler(BaseSampler):
    """Model-based sampler: a quadratic surrogate over encoded bits, minimised by a QUBO solver.

    Each proposal fits a quadratic pseudo-Boolean model of the objective to the finished trials
    (by default a Bayesian quadratic regression: a Gaussian process with a quadratic kernel over
    the bits), turns its posterior mean and posterior draws into QUBOs, adds the encoding
    penalties and asks the solver for their lowest distinct samples. Those samples, the
    one-parameter moves around the best trials and a few random configurations form a pool; the
    unseen member ranked first becomes the next trial: by expected improvement on even trial
    numbers and, on odd ones, by the expected gain in the *true* value of the trial the study
    reports as best (with a noisy objective a lucky draw can put a mediocre configuration
    there). The first ``n_startup_trials`` proposals are a space-filling design that uses every
    parameter level (so every bit, on and off) as evenly as the budget allows.

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
            object with ``solve(qubo, num_samples, seed)``
            (:class:`optuna_qnas.solvers.QUBOSolver`). It solves the posterior mean's QUBO, and
            the posterior draws' unless ``draw_solver`` is given.
        draw_solver:
            ``None`` (``solver`` solves the posterior draws too) or a solver in any form
            ``solver`` accepts, for the ``pool.n_draws`` posterior draws: for instance simulated
            annealing beside a QPU or circuit ``solver`` that costs far more per solve.
        encoding:
            ``None`` (a default per distribution), one of ``"one_hot"``, ``"domain_wall"``,
            ``"binary"``, ``"unary"`` for every parameter, or ``{param_name: encoding}``.
        surrogate:
            ``None`` (Bayesian quadratic regression with evidence-fitted scales) or a callable
            ``pair_mask -> model`` whose models follow :class:`optuna_qnas.Surrogate`; checked at
            construction.
        pool:
            :class:`optuna_qnas.PoolSettings`: what joins the candidate pool (posterior draws,
            local moves, random configurations). ``None``: the defaults.
        n_startup_trials:
            Trials proposed by the space-filling design before the model is used.
        num_samples:
            Distinct low-energy samples asked of the solver per solve.
        num_reads:
            Reads per solve for dimod solvers built from a name or a ``dimod.Sampler``.
            ``None``: 64, fewer for simulated annealing on QUBOs wider than 32 bits (a fixed
            budget of spin updates per solve; :class:`~optuna_qnas.solvers.DimodSolver`).
        max_levels:
            Integer/stepped grids wider than this are cut into bins (refined inside the bin).
        float_bins:
            Number of bins for continuous floats.
        seed:
            Seed of the proposals: each is a function of the seed, the trial number and the
            study's trials, so a restarted or another process proposes the same.
        independent_sampler:
            Samples parameters outside the relative search space. Default: a ``RandomSampler``
            seeded per trial from ``seed`` and the trial number (restarts reproduce it too).
        warn_independent_sampling:
            Warn when a parameter is sampled by the independent sampler after the startup trials.
    """

    def __init__(
        self,
        *,
        solver: Any = None,
        draw_solver: Any = None,
        encoding: str | Mapping[str, str] | None = None,
        surrogate: Callable[[np.ndarray], Any] | None = None,
        pool: PoolSettings | None = None,
        n_startup_trials: int = 5,
        num_samples: int = 16,
        num_reads: int | None = None,
        max_levels: int = DEFAULT_MAX_LEVELS,
        float_bins: int = DEFAULT_FLOAT_BINS,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        self._n_startup_trials = check_int("n_startup_trials", n_startup_trials, minimum=0)
        self._num_samples = check_int("num_samples", num_samples)
        if num_reads is not None:
            check_int("num_reads", num_reads)
        self._max_levels = check_int("max_levels", max_levels, minimum=2)
        self._float_bins = check_int("float_bins", float_bins)
        self._surrogate = check_surrogate(surrogate)
        if pool is not None and not isinstance(pool, PoolSettings):
            raise ValueError(
                f"pool must be an optuna_qnas.PoolSettings; got {type(pool).__name__}."
            )
        self._pool = pool or PoolSettings()
        if encoding is not None:  # a typo fails at construction, not at trial 11
            from optuna_qnas._qubo._encoding import normalize_encoding_name

            for name in encoding.values() if isinstance(encoding, Mapping) else [encoding]:
                normalize_encoding_name(name)
        self._encoding = encoding
        self._solver = resolve_solver(solver, num_reads)
        self._draw_solver = (
            None
            if draw_solver is None
            else resolve_solver(draw_solver, num_reads, what="draw_solver")
        )
        if seed is not None and (
            isinstance(seed, bool)
            or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**32
        ):
            raise ValueError(f"seed must be None or an int between 0 and 2**32 - 1; got {seed!r}.")
        self._base_seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise ValueError(
                "independent_sampler must be an optuna.samplers.BaseSampler (e.g. "
                "optuna.samplers.RandomSampler(seed=0)); "
                f"got {type(independent_sampler).__name__}."
            )
        self._independent_sampler = independent_sampler
        self._per_trial_random = PerTrialRandom(self._base_seed)
        self._warn_independent_sampling = bool(warn_independent_sampling)
        self._search_space = IntersectionSearchSpace(include_pruned=True)
        self._level_cache = _state.LevelCache()

    #: With a ``draw_solver``, the posterior mean's solves by ``solver`` per proposal at most
    #: (``None``: no limit); its later retries under a stronger penalty go to ``draw_solver``.
    _max_mean_solves: int | None = None

    @property
    def solver(self) -> Any:
        """The solver of the posterior mean's QUBO (and of the draws without ``draw_solver``)."""
        return self._solver

    @property
    def draw_solver(self) -> Any:
        """The solver of the posterior draws (``None``: :attr:`solver`)."""
        return self._draw_solver

    @property
    def pool(self) -> PoolSettings:
        return self._pool

    def reseed_rng(self) -> None:
        self._base_seed = int(np.random.randint(2**31 - 1))
        self._per_trial_random = PerTrialRandom(self._base_seed)
        if self._independent_sampler is not None:
            self._independent_sampler.reseed_rng()

    def _trial_rng(self, trial: FrozenTrial) -> np.random.RandomState:
        # A function of (seed, trial number) alone, not of call history: another process or a
        # restarted study proposes the same as the original run would have.
        return np.random.RandomState([self._base_seed % 2**32, trial.number % 2**32, 0x51AB])

    # ----- BaseSampler API -----------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        # Single-valued distributions need no bits; unknown types go to the independent sampler.
        return {
            name: dist
            for name, dist in self._search_space.calculate(study, use_cache=True).items()
            if isinstance(dist, SUPPORTED) and not dist.single()
        }

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
        names = set(enc.names)
        others = [t for t in trials if t.number != trial.number and t.params.keys() >= names]
        levels_by_number = self._level_cache.levels(study, search_space, enc, others)
        repeats = Counter(tuple(lv.tolist()) for lv in levels_by_number.values())
        seen = set(repeats) | _state.claims(trials, trial.number, enc)
        # Pruned trials are evidence too (ranked below every finished one): without them a
        # study whose proposals the pruner keeps stopping would fit the same few trials again.
        observed = [
            t
            for t in others
            if (t.state == TrialState.COMPLETE and t.values is not None)
            or t.state == TrialState.PRUNED
        ]
        incumbent = None
        if len(observed) >= max(self._n_startup_trials, 2):
            ranked, info, state, incumbent = self._model_proposal(
                study, trial, enc, observed, others, levels_by_number, seen, repeats, rng
            )
            info["mode"] = "model"
            candidates = ranked_walk(ranked)
        else:
            info, state = {"mode": "startup"}, None
            counts = level_counts([p.n_levels for p in enc.params], levels_by_number.values())
            candidates = lambda held: (space_filling(counts, held, rng), "startup")  # noqa: E731
        levels, source, conflicts = _state.claim(
            study, trial, enc, candidates, seen, set(levels_by_number), rng
        )
        info["source"] = source
        if conflicts:
            info["claim_conflicts"] = conflicts
        params = parameter_values(enc, levels, incumbent.params if incumbent else None, rng)
        info["sampler_seconds"] = round(time.perf_counter() - start, 6)
        if state is not None:
            _state.write(study, trial, _state.STATE_KEY, state)
        _state.write(study, trial, _state.DIAGNOSTICS_KEY, info)
        return params

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        sampler = self._independent_sampler or self._per_trial_random.get(trial)
        if self._warn_independent_sampling and not param_distribution.single():
            warn_independent(
                study, trial, param_name, param_distribution, sampler, self, self._n_startup_trials
            )
        return sampler.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if self._independent_sampler is not None:
            self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._per_trial_random.forget(trial)
        if self._independent_sampler is not None:
            self._independent_sampler.after_trial(study, trial, state, values)

    def _model_proposal(
        self,
        study: Study,
        trial: FrozenTrial,
        enc: SearchSpaceEncoding,
        observed: list[FrozenTrial],
        others: list[FrozenTrial],
        levels_by_number: dict[int, np.ndarray],
        seen: set[tuple[int, ...]],
        repeats: Mapping[tuple[int, ...], int],
        rng: np.random.RandomState,
    ) -> tuple[list[Candidate], dict[str, Any], dict[str, Any], FrozenTrial]:
        minimize = np.array([d == StudyDirection.MINIMIZE for d in study.directions])
        loss = observed_losses(observed, minimize, rng)
        X = enc.encode_levels(np.stack([levels_by_number[t.number] for t in observed]))
        make = self._surrogate or default_surrogate
        model = make(enc.pair_mask())
        previous = _state.load_state(others, enc.n_bits)
        y = fit_surrogate(model, X, loss, rng, previous.get("log_scales"))
        top = np.argsort(loss, kind="stable")[: self._pool.n_top_trials]
        ratios = previous.get("penalty_ratios")
        ranked, info, state = ranked_candidates(
            enc,
            model,
            self._solver,
            self._pool,
            num_samples=self._num_samples,
            seen=seen,
            repeats=repeats,
            top_levels=np.stack([levels_by_number[observed[i].number] for i in top]),
            best=float(y.min()),
            start_ratios=ratios if ratios and all(r > 0 for r in ratios) else None,
            by_gain=ranks_by_gain(model, trial.number),
            rng=rng,
            draw_solver=self._draw_solver,
            max_mean_solves=self._max_mean_solves,
        )
        if isinstance(model, ScreenedQuadraticRegression):
            info["screened_pairs"] = model.n_pairs
        if isinstance(model, REGRESSIONS):
            state["log_scales"] = model.log_scales  # warm start of the next evidence fit
        return ranked, info, state, observed[int(np.argmin(loss))]


def observed_losses(
    observed: Sequence[FrozenTrial], minimize: np.ndarray, rng: np.random.RandomState
) -> np.ndarray:
    """One loss per observed trial (lower is better): finished trials from their values and
    constraints (:func:`losses`), pruned ones after them (:func:`pruned_losses`)."""
    done = np.array([t.state == TrialState.COMPLETE for t in observed], dtype=bool)
    finished = [t for t, d in zip(observed, done) if d]
    pruned = [t for t, d in zip(observed, done) if not d]
    loss = np.empty(len(observed))
    if finished:
        violations = [sum(max(0.0, float(c)) for c in t.constraints.values()) for t in finished]
        values = np.array([t.values for t in finished])
        loss[done] = losses(values, minimize, np.array(violations), rng)
    if pruned:
        steps = [-1 if t.last_step is None else t.last_step for t in pruned]
        last = [
            np.nan if t.last_step is None else t.intermediate_values[t.last_step] for t in pruned
        ]
        loss[~done] = pruned_losses(loss[done], np.array(steps), np.array(last), bool(minimize[0]))
    return loss
