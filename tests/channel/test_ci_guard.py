"""Under CI a missing Node/npm fails the phoenix.js end-to-end test instead of skipping it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parent / "test_phoenix_js.py"


def run_without_node(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path)  # an empty directory: no node, no npm
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(E2E)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=E2E.parents[2],  # the repository: its pytest configuration applies
    )


@pytest.mark.parametrize("ci", [False, True], ids=["developer", "ci"])
def test_missing_node(tmp_path: Path, ci: bool) -> None:
    result = run_without_node(tmp_path, ci)
    output = result.stdout + result.stderr
    assert "node and npm not found on PATH" in output, output
    if ci:
        assert result.returncode == 1 and "running under CI" in output, output
        assert " skipped" not in output
    else:
        assert result.returncode == 0 and " skipped" in output, output
