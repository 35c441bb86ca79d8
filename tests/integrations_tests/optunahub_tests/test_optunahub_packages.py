"""OptunaHub registry packages load with optunahub and follow the registry's layout."""

from __future__ import annotations

import os
import subprocess
import sys

import optuna
import optunahub
import pytest
import yaml

import optuna_qnas


REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
)
REGISTRY = os.path.join(REPO, "integrations", "optunahub")
PACKAGES = sorted(os.listdir(os.path.join(REGISTRY, "samplers")))


def _front_matter(path: str) -> dict:
    text = open(path, encoding="utf-8").read()
    assert text.startswith("---\n"), "README.md must open with front matter"
    return yaml.safe_load(text.split("---\n")[1])


@pytest.mark.parametrize("name", PACKAGES)
def test_registry_layout_and_front_matter(name: str) -> None:
    folder = os.path.join(REGISTRY, "samplers", name)
    for required in ("__init__.py", "README.md", "LICENSE", "example.py"):
        assert os.path.isfile(os.path.join(folder, required)), required
    meta = _front_matter(os.path.join(folder, "README.md"))
    assert set(meta) >= {"author", "title", "description", "tags", "optuna_versions", "license"}
    assert all(isinstance(meta[k], str) for k in ("author", "title", "description", "license"))
    assert "sampler" in meta["tags"]  # required for packages under samplers/
    assert meta["license"] == "MIT License"
    assert all(isinstance(v, str) for v in map(str, meta["optuna_versions"]))
    assert "MIT License" in open(os.path.join(folder, "LICENSE")).read()


def test_load_local_module_gives_our_sampler() -> None:
    module = optunahub.load_local_module(
        package="samplers/quantum_annealing", registry_root=REGISTRY
    )
    assert module.QuantumAnnealingSampler is optuna_qnas.QuantumAnnealingSampler
    sampler = module.QuantumAnnealingSampler(seed=0, n_startup_trials=3)
    study = optuna.create_study(sampler=sampler)
    study.optimize(
        lambda t: (t.suggest_categorical("a", [0, 1, 2]) - 1) ** 2 + t.suggest_int("b", 0, 3),
        n_trials=8,
    )
    assert len(study.trials) == 8 and study.best_value <= 1


def test_example_runs() -> None:
    example = os.path.join(REGISTRY, "samplers", "quantum_annealing", "example.py")
    out = subprocess.run(
        [sys.executable, example], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert out.startswith("best value")
