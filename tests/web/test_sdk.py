"""The frontend SDK shipped in the Python package works for a plugin outside this repository.

The slow test is what a researcher does: copy the example plugin's frontend to a folder of
their own, depend on the tarballs ``tangram frontend-sdk`` names, ``npm install`` from the
registry and build. Nothing resolves through this repository's npm workspaces.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tangram.errors import TangramError
from tangram.sdk import SDK_DIR, sdk_packages
from tangram.testing import run_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "packages" / "tangram_example" / "frontend"
NPM = shutil.which("npm")
NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
# Bare specifiers in a built ES module: `from"vue"`, `import"x"`, `import("x")`.
IMPORTS = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"'./][^"']*)["']""")


def _require_built_sdk() -> None:
    if not (SDK_DIR / "sdk.json").is_file():
        pytest.fail(f"frontend SDK not built ({SDK_DIR}): run `npm ci && npm run build`")


def test_missing_sdk_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TangramError) as info:
        sdk_packages(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "sdk.json") in message
    assert "@tangram/vite-plugin" in message and "npm run build" in message


def test_index_naming_a_missing_tarball_is_a_clear_error(tmp_path: Path) -> None:
    entry = {"name": "@tangram/api", "version": "0.0.0", "file": "gone.tgz"}
    (tmp_path / "sdk.json").write_text(json.dumps({"packages": [entry]}))
    with pytest.raises(TangramError, match=r"gone\.tgz.*does not exist.*npm ci"):
        sdk_packages(tmp_path)


def test_cli_prints_the_shipped_tarballs() -> None:
    _require_built_sdk()
    plain = run_cli("frontend-sdk")
    assert plain.returncode == 0, plain.stderr
    tarballs = [Path(line) for line in plain.stdout.splitlines()]
    assert len(tarballs) == 2 and all(path.is_file() for path in tarballs)
    assert all(path.suffix == ".tgz" and path.parent == SDK_DIR.resolve() for path in tarballs)

    spec = json.loads(run_cli("frontend-sdk", "--json").stdout)
    assert spec == {
        "@tangram/api": f"file:{tarballs[0]}",
        "@tangram/vite-plugin": f"file:{tarballs[1]}",
    }
    assert run_cli("frontend-sdk", "--dir").stdout.strip() == str(SDK_DIR.resolve())


def _npm(*args: str, cwd: Path) -> None:
    assert NPM is not None
    result = subprocess.run(
        [NPM, *args], cwd=cwd, capture_output=True, text=True, timeout=100, check=False
    )
    assert result.returncode == 0, f"npm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.slow
def test_plugin_outside_the_repository_builds_against_the_shipped_sdk(tmp_path: Path) -> None:
    _require_built_sdk()
    if NPM is None:
        pytest.fail("npm not found on PATH; it is needed to build plugin frontends")
    result = run_cli("frontend-sdk", "--json")
    assert result.returncode == 0, result.stderr
    sdk: dict[str, str] = json.loads(result.stdout)

    frontend = tmp_path / "my_plugin" / "frontend"
    shutil.copytree(EXAMPLE, frontend, ignore=shutil.ignore_patterns("node_modules"))
    package = json.loads((frontend / "package.json").read_text())
    # Vite and the type checker as the shell pins them (cache hits offline); vue,
    # maplibre-gl and @vitejs/plugin-vue come in as the SDK's own (peer) dependencies.
    pinned = json.loads((REPO / "web" / "package.json").read_text())["devDependencies"]
    package["name"] = "my-plugin-frontend"
    tools = {name: pinned[name] for name in ("vite", "typescript", "vue-tsc")}
    package["devDependencies"] = {**sdk, **tools}
    (frontend / "package.json").write_text(json.dumps(package, indent=2))
    # Use MapLibre at run time too, so that keeping it external is actually exercised.
    entry = frontend / "src" / "index.ts"
    entry.write_text(
        'import { Popup } from "maplibre-gl";\n'
        + entry.read_text()
        + "\nexport const popupType = Popup;\n"
    )

    _npm("install", *NPM_FLAGS, cwd=frontend)
    installed = frontend / "node_modules" / "@tangram"
    # Copied in from the tarballs, not linked back into this repository.
    assert not (installed / "api").is_symlink()
    assert (installed / "api" / "index.d.ts").is_file()
    _npm("run", "build", cwd=frontend)

    # The shipped types are the real API, not `any`: a wrong widget slot is refused.
    _npm("run", "typecheck", cwd=frontend)
    (frontend / "src" / "wrong.ts").write_text(
        'import { definePlugin } from "@tangram/api";\n'
        'export default definePlugin((api) => { api.ui.registerWidget("x", "Nowhere", {}); });\n'
    )
    refused = subprocess.run(
        [NPM, "run", "typecheck"], cwd=frontend, capture_output=True, text=True, timeout=100
    )
    assert refused.returncode != 0
    assert "'WidgetSlot'" in refused.stdout + refused.stderr

    out = tmp_path / "my_plugin" / "src" / "tangram_example" / "dist-frontend"
    assert json.loads((out / "plugin.json").read_text()) == {
        "main": "index.js",
        "style": "style.css",
    }
    js = (out / "index.js").read_text()
    assert {"vue", "maplibre-gl"} <= set(IMPORTS.findall(js))
    # Markers of the libraries' own code: Vue's ref flag and MapLibre's WebGL setup.
    assert "__v_isRef" not in js
    assert "webgl" not in js.lower()
    assert "tg-example" in (out / "style.css").read_text()
