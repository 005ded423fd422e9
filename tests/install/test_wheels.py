"""From wheels to a first plugin, as a new user goes: build the distributions, install
them into a fresh virtual environment, serve from an empty folder, scaffold a plugin,
install it and see it in a browser. Also what must fail, and how: a tree without its
built frontend and no Node.js, a plugin whose only candidate on PyPI is the unrelated
``tangram``, and that unrelated distribution installed next to ours.

Needs PyPI (or uv's cache) for the dependencies and for hatchling.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, sync_playwright

from tangram.testing import CHROMIUM, CHROMIUM_ARGS, start_redis, start_tangram, wait_for

from .conftest import BASE_PYTHON, PROJECTS, REPO, UV, Venv, checked, clean_env, run

pytestmark = [pytest.mark.install, pytest.mark.slow]


@contextlib.contextmanager
def open_app(url: str) -> Iterator[tuple[Page, list[str]]]:
    """The web app at ``url`` in headless Chromium, once every plugin is installed, with
    the page's errors (console errors and uncaught exceptions) as they come."""
    if not Path(CHROMIUM).is_file():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"{CHROMIUM} not found: run scripts/install-browser"
        )
    errors: list[str] = []

    def offline(route: Route) -> None:
        local = urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
        route.continue_() if local else route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", offline)
            page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
            page.on(
                "console",
                lambda msg: errors.append(msg.text) if msg.type == "error" else None,
            )
            page.goto(url)
            page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
            yield page, errors
        finally:
            browser.close()


def serve_config(redis_url: str, plugins: list[str]) -> str:
    return f'[core]\nredis_url = "{redis_url}"\nplugins = {plugins!r}\n'


def test_each_project_has_a_wheel_and_an_sdist_with_its_web_assets(built_dist: Path) -> None:
    names = sorted(path.name for path in built_dist.iterdir() if path.name != ".gitignore")
    assert names == sorted(
        f"{project}-0.2.1{suffix}"
        for project in PROJECTS
        for suffix in ("-py3-none-any.whl", ".tar.gz")
    )
    wheel = zipfile.ZipFile(built_dist / "tangram-0.2.1-py3-none-any.whl").namelist()
    assert "tangram/web/dist/index.html" in wheel
    assert "tangram/web/sdk/sdk.json" in wheel
    assert "tangram/templates/plugin/src/@MODULE@/frontend/index.js" in wheel
    for plugin in PROJECTS[1:]:
        files = zipfile.ZipFile(built_dist / f"{plugin}-0.2.1-py3-none-any.whl").namelist()
        assert f"{plugin}/dist-frontend/plugin.json" in files
        assert f"{plugin}/dist-frontend/index.js" in files
        metadata = zipfile.ZipFile(built_dist / f"{plugin}-0.2.1-py3-none-any.whl").read(
            f"{plugin}-0.2.1.dist-info/METADATA"
        )
        assert b"Requires-Dist: tangram~=0.2.0" in metadata


def test_the_installed_wheels_serve_the_web_app_from_an_empty_folder(
    wheel_venv: Venv, tmp_path: Path
) -> None:
    where = checked(wheel_venv.python, "-c", "import tangram; print(tangram.__file__)")
    assert where.stdout.startswith(str(wheel_venv.path)), where.stdout
    folder = tmp_path / "empty"
    folder.mkdir()
    with start_redis() as redis:
        config = serve_config(redis.url, ["tangram_system", "tangram_example"])
        served = start_tangram(
            config, folder, python=str(wheel_venv.python), env={"PYTHONPATH": ""}
        )
        try:
            index = httpx.get(served.url + "/")
            assert index.status_code == 200 and "tangram is running" not in index.text
            with open_app(served.url) as (page, errors):
                page.locator("canvas.maplibregl-canvas").wait_for(timeout=10_000)
                clock = page.locator("[data-widget-id='system-info'] .tg-system-clock")
                wait_for(lambda: re.fullmatch(r"\d\d:\d\d:\d\d Z", clock.inner_text()), 15)
                first = clock.inner_text()
                wait_for(lambda: clock.inner_text() != first, timeout=5)
                example = page.locator("[data-widget-id='example-widget'] .tg-example-data")
                example.wait_for(timeout=10_000)
                assert errors == []
        finally:
            served.stop()


def test_a_scaffolded_plugin_installs_serves_and_passes_its_tests(
    wheel_venv: Venv, tmp_path: Path
) -> None:
    checked(wheel_venv.tangram, "new-plugin", "my-feed", "--dir", tmp_path, cwd=tmp_path)
    project = tmp_path / "my-feed"
    wheel_venv.install(f"{project}[test]")  # a normal (non-editable) install
    site = checked(wheel_venv.python, "-c", "import my_feed; print(my_feed.__file__)")
    assert site.stdout.startswith(str(wheel_venv.path))  # the wheel holds the frontend too
    assert (Path(site.stdout.strip()).parent / "frontend" / "index.js").is_file()

    serve_dir = tmp_path / "serve"
    serve_dir.mkdir()
    with start_redis() as redis:
        config = serve_config(redis.url, ["tangram_system", "my_feed"])
        served = start_tangram(
            config, serve_dir, python=str(wheel_venv.python), env={"PYTHONPATH": ""}
        )
        try:
            answer = httpx.get(f"{served.url}/my-feed/")
            assert answer.status_code == 200 and answer.json()["plugin"] == "my_feed"
            manifest = httpx.get(f"{served.url}/manifest.json").json()
            (entry,) = [e for e in manifest["plugins"] if e["name"] == "my_feed"]
            assert entry["main"] == "index.js" and "error" not in entry
            with open_app(served.url) as (page, errors):
                count = page.locator("[data-widget-id='my-feed-ticks'] .my-feed-count")
                wait_for(lambda: count.inner_text().isdigit(), timeout=15)
                first = int(count.inner_text())
                wait_for(lambda: int(count.inner_text()) > first, timeout=5)
                assert errors == []
        finally:
            served.stop()

    tests = run(wheel_venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout


def test_a_plugin_needing_tangram_never_installs_pypis_unrelated_tangram(
    tmp_path: Path,
) -> None:
    checked(BASE_PYTHON, "-m", "tangram", "new-plugin", "needs-core", "--dir", tmp_path)
    venv = Venv.create(tmp_path / "venv", seed=True)  # with pip: the tool users have
    done = run(venv.python, "-m", "pip", "install", tmp_path / "needs-core")
    assert done.returncode != 0
    assert "No matching distribution found for tangram~=0.2.0" in done.stdout + done.stderr
    listed = checked(venv.python, "-m", "pip", "list", "--format=freeze").stdout
    assert "tangram==" not in listed.lower()


def test_an_unbuilt_tree_without_node_fails_saying_what_to_install(tmp_path: Path) -> None:
    tree = tmp_path / "checkout"
    tree.mkdir()
    shutil.copy(REPO / "hatch_build.py", tree / "hatch_build.py")
    shutil.copy(REPO / "package.json", tree / "package.json")
    shutil.copytree(
        REPO / "packages" / "tangram_system",
        tree / "packages" / "tangram_system",
        ignore=shutil.ignore_patterns("dist-frontend", "node_modules", "__pycache__"),
    )
    out = tmp_path / "out"
    done = run(
        UV, "build", "--wheel", "--python", BASE_PYTHON, "--out-dir", out,
        tree / "packages" / "tangram_system",
        env=clean_env(PATH="/nonexistent"),  # no node, no npm
    )  # fmt: skip
    assert done.returncode != 0
    assert "the built web assets are missing" in done.stderr
    assert "needs Node.js and npm" in done.stderr and "pip install dist/*.whl" in done.stderr
    assert not list(out.glob("*.whl"))


def test_check_names_the_unrelated_tangram_when_it_shadows_ours(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    checked(UV, "pip", "install", "--quiet", "--python", BASE_PYTHON, "--no-deps",
            "--target", theirs, "tangram==0.7.0")  # fmt: skip
    # Our sources first (so our code runs), PyPI's tangram 0.7.0 installed after them.
    env = clean_env(PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{theirs}")
    done = run(BASE_PYTHON, "-m", "tangram", "check", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "unrelated distribution" in line]
    assert "tangram (0.7.0, 'Tangram for Python')" in line and "pip uninstall tangram" in line
