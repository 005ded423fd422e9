"""The receivers widget in headless Chromium: connected / configured, per-receiver state."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tangram.testing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RedisServer,
    TangramProcess,
    free_port,
    wait_for,
)

from .conftest import FeedServer, receiver_feed

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

BUILT = (
    Path(__file__).resolve().parents[2]
    / "packages/tangram_jet1090/src/tangram_jet1090/dist-frontend/plugin.json"
)


def test_receivers_widget_shows_which_receivers_are_up(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    feed_server: Callable[..., FeedServer],
    tmp_path: Path,
) -> None:
    if not BUILT.is_file():
        pytest.fail(f"frontend not built ({BUILT}): run `npm ci && npm run build`")
    good = feed_server(receiver_feed("beast", 900, 1200))
    nobody = f"127.0.0.1:{free_port()}"  # nothing listens there
    served = tangram_server(f"""
[core]
redis_url = "{redis_server.url}"
plugins = ["tangram_jet1090"]

[plugins.tangram_jet1090]
history_enabled = false
aircraft_db_cache = "{tmp_path / "none.sqb"}"
sources = ["beast://{good.url}", "sbs://{nobody}"]
reference = "LFPG"
""")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(served.url)
            page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
            widget = page.locator(".topbar .jet1090-receivers")
            connected = widget.locator(".jet1090-receivers-connected")
            wait_for(lambda: connected.inner_text() == "1/2", timeout=20)
            assert "jet1090-receivers-down" in (widget.get_attribute("class") or "")
            title = widget.get_attribute("title") or ""
            assert f"beast://{good.url}: connected" in title
            assert f"sbs://{nobody}: unreachable" in title
        finally:
            with contextlib.suppress(Exception):
                browser.close()
    assert errors == []
