"""Search spaces: real torch modules, categorical and ordinal views, every sampler, bad bounds."""

from __future__ import annotations

import optuna
import pytest
import torch

from optuna_qnas import QuantumAnnealingSampler
from optuna_qnas.integrations.lightning import count_flops
from optuna_qnas.integrations.lightning import count_parameters
from optuna_qnas.nas import arch_str_to_ops
from optuna_qnas.nas import CellCNNSpace
from optuna_qnas.nas import MLPSpace
from optuna_qnas.nas import NB201_OPS
from optuna_qnas.nas import ops_to_arch_str
from optuna_qnas.nas import suggest_nb201_ops
from optuna_qnas.nas import TCNSpace


optuna.logging.set_verbosity(optuna.logging.WARNING)

CELL = ("nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3")


def _build(space, config):
    if isinstance(space, MLPSpace):
        return config.build(in_features=64, num_classes=10), torch.randn(4, 1, 8, 8)
    if isinstance(space, TCNSpace):
        return config.build(in_channels=3, num_classes=4), torch.randn(4, 3, 32)
    return config.build(in_channels=1, num_classes=10), torch.randn(4, 1, 8, 8)


SPACES = [
    lambda o: CellCNNSpace(channels=(4, 8), cells_per_stage=(1, 2), ordinal=o),
    lambda o: MLPSpace(ordinal=o),
    lambda o: TCNSpace(ordinal=o),
]


@pytest.mark.parametrize("make_space", SPACES)
@pytest.mark.parametrize("ordinal", [False, True])
def test_random_architectures_build_and_run(make_space, ordinal) -> None:
    space = make_space(ordinal)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(6):
        trial = study.ask()
        config = space.suggest(trial)
        net, x = _build(space, config)
        out = net.eval()(x)
        assert out.shape[0] == 4 and torch.isfinite(out).all()
        kinds = {type(d) for d in trial.distributions.values()}
        expected = (
            optuna.distributions.IntDistribution
            if ordinal
            else (optuna.distributions.CategoricalDistribution)
        )
        assert kinds == {expected}
        study.tell(trial, float(count_parameters(net)))


@pytest.mark.parametrize("make_space", SPACES)
def test_ordinal_view_decodes_to_the_same_architectures(make_space) -> None:
    cat_space, ord_space = make_space(False), make_space(True)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(10):
        trial = study.ask()
        config = cat_space.suggest(trial)
        # Translate each categorical choice into its index, as the ordinal view asks it.
        ordinal_params = {}
        for name, dist in trial.distributions.items():
            value = trial.params[name]
            if name in ("mlp_depth", "tcn_blocks"):
                ordinal_params[name] = value  # integer ranges are suggest_int in that view
            else:
                assert isinstance(dist, optuna.distributions.CategoricalDistribution)
                ordinal_params[name] = dist.choices.index(value)
        assert ord_space.suggest(optuna.trial.FixedTrial(ordinal_params)) == config
        study.tell(trial, 0.0)


def test_cell_edges_follow_nas_bench_201_order() -> None:
    arch = ops_to_arch_str(CELL)
    assert arch == (
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    )
    assert arch_str_to_ops(arch) == CELL
    fixed = optuna.trial.FixedTrial({f"Op{i}": op for i, op in enumerate(CELL)})
    assert suggest_nb201_ops(fixed) == CELL
    with pytest.raises(ValueError, match="arch_str"):
        arch_str_to_ops("|nor_conv_3x3~1|+|none~0|skip_connect~1|+|a~0|b~1|c~2|")


def test_cell_without_paths_into_the_output_node_ignores_its_input() -> None:
    # Edges 3, 4, 5 feed node 3 (the output); all none -> the cell outputs zeros.
    ops = ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "none", "none", "none")
    config = CellCNNSpace(channels=(4,)).suggest(
        optuna.trial.FixedTrial({f"Op{i}": op for i, op in enumerate(ops)})
    )
    net = config.build(in_channels=1, num_classes=3).eval()
    a, b = net(torch.randn(2, 1, 8, 8)), net(torch.randn(2, 1, 8, 8))
    torch.testing.assert_close(a, b)  # the stem/reduction path carries no input through
    # Convolutions cost FLOPs, "none" costs nothing.
    conv = CellCNNSpace(channels=(4,)).suggest(
        optuna.trial.FixedTrial({f"Op{i}": "nor_conv_3x3" for i in range(6)})
    )
    x = torch.randn(1, 1, 8, 8)
    assert count_flops(conv.build(in_channels=1, num_classes=3), x) > count_flops(net, x)


def test_tcn_is_causal() -> None:
    config = TCNSpace(
        num_blocks=(3, 3),
        kernel_sizes=(5,),
        dilated=(True,),
        norms=("none",),
        dropouts=(0.0,),
        channels=(8,),
    ).suggest(optuna.trial.FixedTrial({}))
    net = config.build(in_channels=2, num_classes=3).eval()
    x = torch.randn(1, 2, 40)
    y = x.clone()
    y[..., -5:] += 10.0  # change only the last five steps
    blocks = net.blocks
    assert isinstance(blocks, torch.nn.Module)
    ha, hb = blocks(x), blocks(y)
    torch.testing.assert_close(ha[..., :-5], hb[..., :-5])
    assert not torch.allclose(ha[..., -5:], hb[..., -5:])


def test_mlp_static_and_conditional_spaces() -> None:
    trial = optuna.create_study().ask()
    config = MLPSpace(depth=(1, 3)).suggest(trial)
    assert {f"mlp_width{i}" for i in range(3)} <= set(trial.params)
    assert len(config.widths) == config.depth
    fixed = optuna.trial.FixedTrial(
        {
            "mlp_depth": 1,
            "mlp_width0": 32,
            "mlp_activation": "gelu",
            "mlp_dropout": 0.1,
            "mlp_norm": "layer",
        }
    )
    config = MLPSpace(conditional=True).suggest(fixed)
    assert config.widths == (32,) and config.norm == "layer"


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: MLPSpace(depth=(3, 1)), "impossible"),
        (lambda: MLPSpace(depth=(0, 2)), ">= 1"),
        (lambda: MLPSpace(widths=()), "at least one"),
        (lambda: MLPSpace(widths=(0, 8)), ">= 1"),
        (lambda: MLPSpace(dropouts=(0.0, 1.0)), "< 1"),
        (lambda: MLPSpace(activations=("relu", "swish2")), "valid choices"),
        (lambda: MLPSpace(norms=("group",)), "valid choices"),
        (lambda: MLPSpace(widths=(16, 16)), "twice"),
        (lambda: TCNSpace(num_blocks=(4, 2)), "impossible"),
        (lambda: TCNSpace(kernel_sizes=(0,)), ">= 1"),
        (lambda: CellCNNSpace(ops=("nor_conv_5x5",)), "valid choices"),
        (lambda: CellCNNSpace(channels=(8.5,)), "integers"),  # type: ignore[arg-type]
        (lambda: CellCNNSpace(num_stages=0), ">= 1"),
        (lambda: CellCNNSpace(ops=()), "at least one"),
    ],
)
def test_impossible_bounds_raise(make, match) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def _proxy_objective(space):
    def objective(trial):
        config = space.suggest(trial)
        net = config.build(in_channels=1, num_classes=10)
        # A cheap deterministic score: favour convolutions, penalise size.
        convs = sum(op.startswith("nor_conv") for op in config.ops)
        return convs - count_parameters(net) / 20000

    return objective


@pytest.mark.parametrize(
    "name",
    ["tpe", "random", "cmaes-ordinal", "quantum-annealing", "nsga2"],
)
def test_same_space_is_searched_by_every_sampler(name, caplog) -> None:
    ordinal = name == "cmaes-ordinal"
    sampler = {
        "tpe": lambda: optuna.samplers.TPESampler(seed=0, n_startup_trials=4),
        "random": lambda: optuna.samplers.RandomSampler(seed=0),
        "cmaes-ordinal": lambda: optuna.samplers.CmaEsSampler(seed=0, n_startup_trials=4),
        "quantum-annealing": lambda: QuantumAnnealingSampler(seed=0, n_startup_trials=4),
        "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=0, population_size=4),
    }[name]()
    study = optuna.create_study(direction="maximize", sampler=sampler)
    with caplog.at_level("WARNING"):
        study.optimize(_proxy_objective(CellCNNSpace(channels=(4,), ordinal=ordinal)), n_trials=10)
    assert len(study.trials) == 10
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert all(set(t.params) == {f"Op{i}" for i in range(6)} for t in study.trials)
    if ordinal:
        # CMA-ES models the integer view itself: no fallback to independent sampling.
        assert "sampled independently" not in caplog.text


def test_cmaes_falls_back_on_the_categorical_view(caplog) -> None:
    study = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0, n_startup_trials=2))
    with caplog.at_level("WARNING"):
        study.optimize(_proxy_objective(CellCNNSpace(channels=(4,))), n_trials=4)
    assert "sampled independently" in caplog.text


def test_suggest_ops_subset() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    ops = suggest_nb201_ops(trial, ops=("skip_connect", "nor_conv_3x3"))
    assert set(ops) <= {"skip_connect", "nor_conv_3x3"}
    assert set(NB201_OPS) == {
        "none",
        "skip_connect",
        "nor_conv_1x1",
        "nor_conv_3x3",
        "avg_pool_3x3",
    }
