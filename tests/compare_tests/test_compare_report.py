"""The report: tables, plots and CSVs from a real small comparison."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from optuna_qnas.compare import compare_samplers


@pytest.fixture(scope="module")
def result():
    return compare_samplers(
        ["nasbench201-cifar10", "hpobench-car"], "tpe,random,cmaes-int", n_trials=12, seeds=3
    )


def test_dataframes(result):
    df = result.to_dataframe()
    assert len(df) == 2 * 3 * 3
    for run, row in zip(result.runs, df.itertuples()):
        assert row.final_best == np.nanmax(run.values)
        assert row.n_trials == 12 and 1 <= row.n_distinct <= 12
        assert row.sampler_time_s == pytest.approx(run.sampler_time.sum())
    long = result.trajectories()
    assert len(long) == 2 * 3 * 3 * 12
    assert (long.groupby(["problem", "sampler", "seed"]).best_so_far.diff().dropna() >= 0).all()


def test_statistics(result):
    st = result.statistics(checkpoints=[5, 12])
    assert set(st.checkpoints.checkpoint) == {5, 12}
    # 3 samplers -> 3 pairs, per problem and checkpoint.
    assert len(st.pairwise) == 2 * 2 * 3
    for raw, adjusted in [("p_mwu", "p_mwu_holm"), ("p_welch", "p_welch_holm")]:
        both = st.pairwise[[raw, adjusted]].dropna()
        assert (both[adjusted] >= both[raw]).all()
    for problem in result.problems:
        for sampler in result.samplers:
            finals = [r.final_best for r in result.select(problem, sampler)]
            cp = st.checkpoints
            row = cp[
                (cp.problem == problem) & (cp.sampler == sampler) & (cp.checkpoint == 12)
            ].iloc[0]
            assert row["mean"] == pytest.approx(np.mean(finals))
    assert sorted(st.ranks.columns) == sorted(["sampler", *result.problems, "average_rank"])
    ranks = st.ranks.set_index("sampler")
    for problem in result.problems:
        assert sorted(ranks[problem]) in (
            [1.0, 2.0, 3.0],
            [1.5, 1.5, 3.0],
            [1.0, 2.5, 2.5],
            [2.0, 2.0, 2.0],
        )


def test_write_report(result, tmp_path):
    md = result.write_report(tmp_path, command="optuna-qnas compare --test", checkpoints=[6, 12])
    text = md.read_text()
    for needle in [
        "## Results: nasbench201-cifar10",
        "## Results: hpobench-car",
        "| tpe |",
        "| cmaes-int |",
        "@6 trials",
        "Mann-Whitney",
        "warn_independent_sampling=False",
        "optuna-qnas compare --test",
        "| optuna |",
        "![",
        "## Noise-free score of the incumbent",
    ]:
        assert needle in text, needle
    html = (tmp_path / "report.html").read_text()
    assert html.count("<table>") == text.count("\n|---") and '<img src="best_so_far.png"' in html
    for name in ["best_so_far.png", "final_values.png", "sampler_overhead.png"]:
        image = matplotlib.image.imread(tmp_path / name)
        assert image.shape[0] > 300 and image.shape[1] > 500
        assert image[..., :3].std() > 0.05  # not a blank canvas
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == len(result.runs)
    assert (tmp_path / "significance.csv").stat().st_size > 0


def _fairness(report: str) -> str:
    return report.split("**Fairness**")[1].split("Storage:")[0].split("## Results")[0]


def _quadratic(trial):
    x = trial.suggest_int("x", 0, 7)
    op = trial.suggest_categorical("op", ["a", "b", "c"])
    return (x - 5) ** 2 + {"a": 0.0, "b": 1.0, "c": 2.0}[op]


def test_fairness_names_only_the_compared_samplers(tmp_path):
    result = compare_samplers(_quadratic, "annealing,tpe,random", n_trials=7, seeds=2)
    fairness = _fairness(result.write_report(tmp_path).read_text())
    for name in ["`annealing`", "`tpe`", "`random`", "`TPESampler(seed=seed)`"]:
        assert name in fairness, name
    for absent in ["GPSampler", "CmaEsSampler", "cmaes-int", "`gp`"]:
        assert absent not in fairness, absent


def test_fairness_describes_cmaes_only_when_compared(result, tmp_path):
    fairness = _fairness(result.write_report(tmp_path).read_text())
    assert "`cmaes-int` runs it on the integer view" in fairness
    assert "GPSampler" not in fairness and "`RandomSampler(seed=seed)`" in fairness


def test_a_user_factory_under_a_registry_name_is_not_called_a_default(tmp_path):
    import optuna

    def my_tpe(seed):
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=2)

    result = compare_samplers(_quadratic, {"tpe": my_tpe, "gp": "gp"}, n_trials=3, seeds=2)
    fairness = _fairness(result.write_report(tmp_path).read_text())
    assert "`GPSampler(seed=seed)`" in fairness and "TPESampler" not in fairness
