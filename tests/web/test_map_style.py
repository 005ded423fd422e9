"""A local style file named in ``[map] style`` (served as ``/map/style.json``) is used."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tangram.testing import RedisServer, TangramProcess

from .conftest import CHROMIUM, CHROMIUM_ARGS, WEB_DIST

pytestmark = pytest.mark.browser

STYLE = {
    "version": 8,
    "name": "test background",
    "sources": {},
    "layers": [{"id": "bg", "type": "background", "paint": {"background-color": "#123456"}}],
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file() or not (WEB_DIST / "index.html").is_file():
        message = f"needs {CHROMIUM} and the built web app (scripts/install)"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(message)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_local_style_file_is_the_default_base_map(
    browser: Browser,
    tangram_server: Callable[..., TangramProcess],
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    style_path = tmp_path / "my-style.json"
    style_path.write_text(json.dumps(STYLE))
    served = tangram_server(
        f"""
        [core]
        redis_url = "{redis_server.url}"
        plugins = []

        [channel]
        enabled = false

        [map]
        style = "{style_path}"
        """
    )
    page = browser.new_page(viewport={"width": 800, "height": 600})
    try:
        page.goto(served.url)
        page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
        page.wait_for_function("window.tangram.map.loaded()", timeout=30_000)
        assert page.evaluate("window.tangram.map.getStyle().name") == "test background"
        assert page.locator(".basemap-picker select").input_value() == "configured"
        # No channel: no connection id, and no status dot in the top bar.
        assert page.evaluate("window.tangram.shell.realtime.connectionId") is None
        assert page.locator(".link-status").count() == 0
    finally:
        page.close()
