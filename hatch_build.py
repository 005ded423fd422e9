"""Build hook (hatchling): a wheel or sdist of tangram or of an official plugin always
carries its built web assets.

The assets (the web app, the frontend SDK tarballs, each plugin's ``dist-frontend``) are
built by npm and never committed. When a build starts from a tree where they are missing
(``pip install .``, ``pip install git+...``), this hook builds them with npm at the root
of the repository's npm workspace, or stops the build with a message saying what to
install: a wheel without its frontend would install fine and then show no web app.

Editable installs (``pip install -e``, what scripts/install does) are left alone: there
the developer builds the frontends with ``npm run build`` and the server says so if not.

Each project lists, under ``[tool.hatch.build.hooks.custom]``:

- ``require``: files (relative to the project) the build must contain;
- ``npm``: the npm invocations that build them, each a list of arguments.

The official plugins' ``hatch_build.py`` is a symbolic link to this file, so one copy
of the logic serves the four projects (sdists store the file itself).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NODE_HINT = (
    "install Node.js >= 20.19 with npm (https://nodejs.org, or your system's package "
    "manager, e.g. `apt-get install nodejs npm`) and build again, or install the prebuilt "
    "wheels that `scripts/build` writes to dist/ (`pip install dist/*.whl`)"
)


def _workspace_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` whose package.json declares workspaces."""
    for folder in (start, *start.parents):
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                if "workspaces" in json.loads(manifest.read_text(encoding="utf-8")):
                    return folder
            except ValueError:
                continue
    return None


class FrontendBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        root = Path(self.root)
        required = [str(path) for path in self.config.get("require", [])]
        missing = [path for path in required if not (root / path).is_file()]
        if not missing:
            return
        name = self.metadata.name
        what = f"{name}: the built web assets are missing ({', '.join(missing)})"
        workspace = _workspace_root(root)
        if workspace is None:
            raise RuntimeError(
                f"{what}, and this source tree has no npm workspace to build them from. "
                "Build from a checkout of the tangram repository, or install the prebuilt "
                "wheels that `scripts/build` writes to dist/ (`pip install dist/*.whl`)"
            )
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise RuntimeError(f"{what}; building them needs Node.js and npm. Fix: {NODE_HINT}")
        self.app.display_info(f"{name}: building the web assets with npm in {workspace}")
        steps: list[list[str]] = [] if (workspace / "node_modules").is_dir() else [["ci"]]
        steps += [[str(arg) for arg in step] for step in self.config.get("npm", [])]
        for step in steps:
            done = subprocess.run([npm, *step], cwd=workspace, check=False)
            if done.returncode != 0:
                raise RuntimeError(
                    f"{what}; `npm {' '.join(step)}` in {workspace} failed (exit "
                    f"{done.returncode}, see its output above). Fix that, or {NODE_HINT}"
                )
        still = [path for path in required if not (root / path).is_file()]
        if still:
            raise RuntimeError(
                f"{name}: npm ran but {', '.join(still)} is still missing; check the "
                "`npm` steps under [tool.hatch.build.hooks.custom] in pyproject.toml"
            )
