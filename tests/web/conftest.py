"""Fixtures for the browser tests: one ``tangram serve`` and one Chromium per module.

The test plugins in ``plugins/`` are made discoverable the way an installed package is:
a ``*.dist-info`` folder with an ``entry_points.txt`` (group ``tangram.plugins``) on the
server's ``PYTHONPATH``. The core therefore loads them through its real entry-point
discovery, without installing anything into the shared virtual environment.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from tangram.testing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RedisServer,
    TangramProcess,
    start_redis,
    start_tangram,
)

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "src" / "tangram" / "web" / "dist"
TEST_PLUGINS = Path(__file__).resolve().parent / "plugins"
BUILT = [
    WEB_DIST / "index.html",
    REPO / "packages/tangram_system/src/tangram_system/dist-frontend/plugin.json",
    REPO / "packages/tangram_example/src/tangram_example/dist-frontend/plugin.json",
]
#: Plugins the page is expected to report as failed (and nothing else).
BROKEN = ("tangram_web_broken", "tangram_web_unloadable", "tangram_web_unbuilt")
PLUGINS = ["tangram_system", "tangram_example", "tangram_web_probe", *BROKEN]


def _fake_dist_info(site: Path, module: str) -> None:
    info = site / f"{module}-0.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text(f"[tangram.plugins]\n{module} = {module}:plugin\n")


@dataclass
class WebApp:
    """The running server, its Redis, and the browser shared by a module's tests."""

    served: TangramProcess
    redis: RedisServer
    browser: Browser

    @property
    def url(self) -> str:
        return self.served.url


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    if not Path(CHROMIUM).is_file():
        # CI installs the browser, so there a missing one is a failure, never a skip.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"{CHROMIUM} not found: run scripts/install-browser"
        )
    missing = [str(path.relative_to(REPO)) for path in BUILT if not path.is_file()]
    if missing:
        pytest.fail(f"frontends not built ({', '.join(missing)}): run `npm ci && npm run build`")
    tmp = tmp_path_factory.mktemp("web")
    site = tmp / "site"
    for module in ("tangram_web_probe", *BROKEN):
        _fake_dist_info(site, module)
    paths = [str(site), str(TEST_PLUGINS), os.environ.get("PYTHONPATH")]
    pythonpath = os.pathsep.join(path for path in paths if path)
    config = f"""
        [core]
        redis_url = "{{redis_url}}"
        plugins = {PLUGINS!r}

        [plugins.tangram_web_probe]
        secret = "stays on the server"

        [plugins.tangram_web_probe.frontend]
        greeting = "hello from tangram.toml"
    """
    with start_redis() as redis, sync_playwright() as pw:
        served = start_tangram(
            config.replace("{redis_url}", redis.url), tmp, env={"PYTHONPATH": pythonpath}
        )
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield WebApp(served, redis, browser)
        finally:
            with contextlib.suppress(Exception):
                browser.close()
            served.stop()


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions seen by one page."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Requests to anything but the local server (all refused: the tests run offline).
    external_requests: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        """Errors not caused by the deliberately broken test plugins and widget."""
        pattern = re.compile("|".join([*BROKEN, "widget probe-crash"]))
        return [error for error in self.errors if not pattern.search(error)]


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(web_app: WebApp, console: ConsoleLog) -> Iterator[Page]:
    """A fresh page (own context: no shared storage) with the app loaded and ready."""
    context = web_app.browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()

    def offline(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            console.external_requests.append(route.request.url)
            route.abort()

    # Everything must work without the Internet: refuse (and record) any other host.
    context.route("**/*", offline)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.errors.append(f"{message.text} @ {message.location.get('url', '')}")
        elif message.type == "warning":
            console.warnings.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    page.goto(web_app.url)
    page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
    try:
        yield page
    finally:
        context.close()
