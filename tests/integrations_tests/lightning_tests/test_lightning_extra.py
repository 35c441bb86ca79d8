"""The ``lightning`` extra asks optuna-integration only for extras that it provides."""

from __future__ import annotations

import importlib.metadata

from packaging.requirements import Requirement


def test_extras_named_on_optuna_integration_exist() -> None:
    requirements = [Requirement(r) for r in importlib.metadata.requires("optuna-qnas") or []]
    on_integration = [r for r in requirements if r.name == "optuna-integration"]
    assert on_integration, "optuna-qnas should depend on optuna-integration (pruning callback)"
    provided = set(importlib.metadata.metadata("optuna-integration").get_all("Provides-Extra"))
    for requirement in on_integration:
        # Compared as written: installers that do not normalise extra names warn on a mismatch.
        missing = set(requirement.extras) - provided
        assert not missing, (
            f"optuna-qnas requires optuna-integration[{','.join(sorted(requirement.extras))}] "
            f"but optuna-integration provides no extra {sorted(missing)}; it provides "
            f"{sorted(provided)}"
        )
    lightning = [r for r in requirements if r.name == "lightning"]
    assert any(
        r.marker is not None and r.marker.evaluate({"extra": "lightning"}) for r in lightning
    )
