"""The README's code runs as written, and the README stays a short page with CI's test command.

The blocks under test are the ```python fences that directly follow a
``<!-- readme-test: NAME -->`` marker line in README.md.
"""

from __future__ import annotations

import math
from pathlib import Path
import re
from typing import Any

import optuna
import pytest


ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
MAX_README_LINES = 250
# [text](target) and ![alt](target); targets with a scheme or only an anchor are not files.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _readme_block(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    pattern = rf"<!-- readme-test: {re.escape(name)} -->\n```python\n(.*?)\n```"
    blocks = re.findall(pattern, text, flags=re.DOTALL)
    assert len(blocks) == 1, f"README.md needs exactly one python block marked {name!r}"
    return blocks[0]


def _run_block(name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"readme_{name}"}
    exec(compile(_readme_block(name), f"README.md ({name})", "exec"), namespace)
    return namespace


def test_quick_start_runs_and_finds_a_good_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optuna_qnas import QuantumAnnealingSampler

    monkeypatch.chdir(tmp_path)
    study = _run_block("quickstart")["study"]
    assert isinstance(study, optuna.Study)
    assert isinstance(study.sampler, QuantumAnnealingSampler)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 30
    assert math.isfinite(study.best_value)
    # 256 configurations, 0 at (conv3x3, depth 4, width 64): 30 trials get within one step of
    # it (random search does so in about half of its runs).
    assert study.best_value <= 0.125
    # The sampler does not propose a configuration twice while unseen ones remain.
    configurations = {tuple(sorted(t.params.items())) for t in complete}
    assert len(configurations) == len(complete)


def test_lightning_snippet_trains_and_records_model_costs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("lightning")
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    study = _run_block("lightning")["study"]
    states = [t.state for t in study.trials]
    assert len(states) == 8
    assert all(
        s in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for s in states
    )
    # A small MLP on digits after 3 epochs: well above chance (0.1), at most 1.
    assert 0.5 < study.best_value <= 1.0
    costs = study.best_trial.user_attrs
    assert costs["n_params"] > 0 and costs["flops_per_sample"] > 0
    assert costs["latency_ms"] > 0
    # The latency budget became a constraint (latency - 5 ms) on every trial.
    for trial in study.trials:
        (constraint,) = trial.constraints.values()
        assert constraint == pytest.approx(trial.user_attrs["latency_ms"] - 5.0)
    assert not list(tmp_path.iterdir()), "the snippet should leave no files behind"


def test_readme_is_short_and_shows_the_test_command_ci_runs() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"
    ci_commands = [
        line.strip()
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("python -m pytest")
    ]
    assert ci_commands, ".ci/run no longer runs pytest as 'python -m pytest ...'"
    readme_lines = {line.strip() for line in lines}
    for command in ci_commands:
        assert command in readme_lines, f"README.md must show CI's test command: {command}"


def test_relative_links_in_readme_and_docs_point_to_files() -> None:
    pages = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, "links to missing files: " + ", ".join(broken)
