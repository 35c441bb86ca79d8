"""PruningCallback with a real Trainer on real data."""

from __future__ import annotations

import warnings

from _lightning_helpers import DigitsMLP
from _lightning_helpers import make_trainer
import optuna
import pytest

from optuna_qnas.integrations.lightning import PruningCallback


optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_reports_every_epoch_and_skips_the_sanity_check(digits_loaders) -> None:
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    model = DigitsMLP()

    def objective(trial: optuna.Trial) -> float:
        # Two sanity-check validation steps run first; they must not be reported.
        trainer = make_trainer(
            [PruningCallback(trial, "val_acc")], max_epochs=3, num_sanity_val_steps=2
        )
        trainer.fit(model, *digits_loaders)
        return float(trainer.callback_metrics["val_acc"])

    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [0, 1, 2]
    assert model.validation_epochs == 3
    assert trial.intermediate_values[2] == pytest.approx(trial.value)


def test_a_pruner_that_must_prune_prunes(digits_loaders) -> None:
    # Accuracy never exceeds 1.0, so a lower threshold of 1.5 prunes at the first report.
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1.5)
    )
    models = []

    def objective(trial: optuna.Trial) -> float:
        models.append(DigitsMLP())
        trainer = make_trainer([PruningCallback(trial, "val_acc")], max_epochs=5)
        trainer.fit(models[-1], *digits_loaders)
        return 0.0

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.PRUNED] * 2
    assert all(list(t.intermediate_values) == [0] for t in study.trials)
    assert [m.validation_epochs for m in models] == [1, 1]  # one epoch each, then pruned


def test_median_pruner_prunes_a_bad_trial_after_good_ones(digits_loaders) -> None:
    study = optuna.create_study(
        direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0),
    )

    def objective(trial: optuna.Trial) -> float:
        hidden = trial.suggest_categorical("hidden", [32, 1])
        trainer = make_trainer([PruningCallback(trial, "val_acc")], max_epochs=2)
        trainer.fit(DigitsMLP(hidden=hidden), *digits_loaders)
        return float(trainer.callback_metrics["val_acc"])

    study.enqueue_trial({"hidden": 32})
    study.enqueue_trial({"hidden": 1})  # a one-unit bottleneck cannot keep up
    study.optimize(objective, n_trials=2)
    assert study.trials[0].state == optuna.trial.TrialState.COMPLETE
    assert study.trials[1].state == optuna.trial.TrialState.PRUNED


def test_missing_metric_warns_once_with_the_logged_names(digits_loaders) -> None:
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    callback = PruningCallback(trial, "val_accuracy")
    trainer = make_trainer([callback], max_epochs=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(DigitsMLP(), *digits_loaders)
    ours = [w for w in caught if "val_accuracy" in str(w.message)]
    assert len(ours) == 1
    assert "'val_acc'" in str(ours[0].message)  # names what *is* logged
    assert trial.storage.get_trial(trial._trial_id).intermediate_values == {}


def test_missing_metric_can_raise(digits_loaders) -> None:
    trial = optuna.create_study().ask()
    trainer = make_trainer([PruningCallback(trial, "val_f1", missing_metric="raise")])
    with pytest.raises(ValueError, match="val_f1.*not logged"):
        trainer.fit(DigitsMLP(), *digits_loaders)


def test_metric_never_validated_warns_at_fit_end(digits_loaders) -> None:
    trial = optuna.create_study().ask()
    trainer = make_trainer([PruningCallback(trial, "val_acc")], max_epochs=1, limit_val_batches=0)
    with pytest.warns(UserWarning, match="val_acc.*not logged"):
        trainer.fit(DigitsMLP(), *digits_loaders)


@pytest.mark.parametrize("monitor", ["", None, 3])
def test_bad_monitor_raises(monitor) -> None:
    trial = optuna.create_study().ask()
    with pytest.raises(ValueError, match="monitor"):
        PruningCallback(trial, monitor)


def test_bad_missing_metric_mode_raises() -> None:
    with pytest.raises(ValueError, match="missing_metric"):
        PruningCallback(optuna.create_study().ask(), "val_acc", missing_metric="ignore")


def test_multi_objective_study_is_refused(digits_loaders) -> None:
    trial = optuna.create_study(directions=["maximize", "minimize"]).ask()
    trainer = make_trainer([PruningCallback(trial, "val_acc")], max_epochs=1)
    with pytest.raises(ValueError, match="single-objective"):
        trainer.fit(DigitsMLP(), *digits_loaders)


def test_state_key_names_the_monitor() -> None:
    trial = optuna.create_study().ask()
    a, b = PruningCallback(trial, "val_acc"), PruningCallback(trial, "val_loss")
    assert a.state_key != b.state_key and "val_acc" in a.state_key


def test_hooks_are_marked_override() -> None:
    for hook in ("on_fit_start", "on_validation_end", "on_fit_end"):
        assert getattr(getattr(PruningCallback, hook), "__override__", False)
