"""Every example answers --help with its one-line description (its docstring's first line)."""

from __future__ import annotations

import ast
import os
from pathlib import Path
import subprocess
import sys

import pytest


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _summary(script: Path) -> str:
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    return docstring.splitlines()[0].strip() if docstring else ""


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_help_prints_the_description(script: Path) -> None:
    summary = _summary(script)
    assert summary, f"{script.name} needs a module docstring whose first line describes it"
    proc = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, COLUMNS="200"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("usage:"), proc.stdout
    # argparse wraps the description: compare with whitespace collapsed.
    assert summary in " ".join(proc.stdout.split()), (
        f"{script.name} --help does not show its description {summary!r}; pass "
        "description=__doc__.splitlines()[0] to ArgumentParser"
    )
