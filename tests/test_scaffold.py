"""`tangram new-plugin` and `tangram new-config`: what they write and what they refuse.

The full round trip (install the scaffolded plugin from a wheel-installed tangram, serve
it, see its widget, run its tests) is in tests/install/test_wheels.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tangram.testing import run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_new_plugin_writes_a_complete_project(tmp_path: Path) -> None:
    result = run_cli("new-plugin", "my-feed", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    project = tmp_path / "my-feed"
    files = sorted(str(path.relative_to(project)) for path in project.rglob("*") if path.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/my_feed/__init__.py",
        "src/my_feed/frontend/index.js",
        "src/my_feed/frontend/plugin.json",
        "tangram.toml",
        "tests/test_my_feed.py",
    ]
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "my-feed"
    assert meta["project"]["dependencies"] == ["tangram~=0.2.0"]
    assert meta["project"]["entry-points"]["tangram.plugins"] == {"my_feed": "my_feed:plugin"}
    assert meta["build-system"]["build-backend"] == "hatchling.build"
    assert tomllib.loads((project / "tangram.toml").read_text())["core"]["plugins"] == ["my_feed"]
    for path in project.rglob("*"):
        if path.is_file():
            assert not re.search("@[A-Z]+@", path.read_text()), path  # every token filled in
    # The generated Python compiles, and the next steps name the plugin.
    compile((project / "src/my_feed/__init__.py").read_text(), "__init__.py", "exec")
    compile((project / "tests/test_my_feed.py").read_text(), "test_my_feed.py", "exec")
    assert 'plugins = ["my_feed"]' in result.stdout


@pytest.mark.parametrize(
    ("name", "problem"),
    [("9lives", "starting with a letter"), ("my feed", "expected letters"), ("class", "taken")],
)
def test_new_plugin_refuses_unusable_names(tmp_path: Path, name: str, problem: str) -> None:
    result = run_cli("new-plugin", name, "--dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and problem in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_plugin_never_writes_into_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "my_feed").mkdir()
    (tmp_path / "my_feed" / "keep.txt").write_text("mine")
    result = run_cli("new-plugin", "my_feed", "--dir", str(tmp_path))
    assert result.returncode == 1 and "already exists and is not empty" in result.stderr
    assert [p.name for p in (tmp_path / "my_feed").iterdir()] == ["keep.txt"]


def test_new_config_writes_a_valid_commented_file_once(tmp_path: Path) -> None:
    result = run_cli("new-config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "tangram.toml").read_text()
    assert text.count("\n# ") > 10  # commented
    assert tomllib.loads(text)["core"]["plugins"] == ["tangram_system"]
    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    again = run_cli("new-config", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert (tmp_path / "tangram.toml").read_text() == text
