"""Fixtures for the install tests: the distributions ``scripts/build`` writes, built once
per session, and a fresh virtual environment with them installed.

These tests build real wheels and install them with uv (fast, from its cache), so the
tangram they run is the one a user gets from ``pip install dist/*.whl``, not the
editable install of the repository. They are marked ``install``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".venv" / "bin" / "uv"
#: The interpreter fresh environments are made from (the one running the tests).
BASE_PYTHON = REPO / ".venv" / "bin" / "python"
PROJECTS = (
    "tangram",
    "tangram_example",
    "tangram_explore",
    "tangram_jet1090",
    "tangram_ship162",
    "tangram_system",
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would lead to the repository's tangram."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


def run(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; the caller checks the return code."""
    return subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or clean_env(),
        timeout=timeout,
    )


def checked(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = run(*args, **kwargs)  # type: ignore[arg-type]
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


@dataclass
class Venv:
    """A virtual environment made by uv."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def tangram(self) -> Path:
        return self.path / "bin" / "tangram"

    def install(self, *requirements: str | Path) -> None:
        checked(UV, "pip", "install", "--quiet", "--python", self.python, *requirements)

    @classmethod
    def create(cls, path: Path, *, seed: bool = False) -> Venv:
        checked(UV, "venv", "--quiet", "--python", BASE_PYTHON, *(["--seed"] if seed else []), path)
        return cls(path)


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scripts/build --no-npm``: the frontends built by scripts/install, packaged."""
    web = REPO / "src/tangram/web/dist/index.html"
    if not web.is_file():
        pytest.fail(f"{web.relative_to(REPO)} missing: run scripts/install (npm run build)")
    out = tmp_path_factory.mktemp("dist")
    checked(REPO / "scripts" / "build", "--no-npm", out, cwd=REPO, timeout=600)
    return out


@pytest.fixture(scope="session")
def wheel_venv(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A fresh environment holding tangram and the official plugins from their wheels."""
    venv = Venv.create(tmp_path_factory.mktemp("wheels") / "venv")
    venv.install(*sorted(built_dist.glob("*.whl")))
    yield venv
