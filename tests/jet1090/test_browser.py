"""The demo in headless Chromium: aircraft on the map, count widget, click -> info widget."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tangram.testing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RedisServer,
    TangramProcess,
    start_tangram,
    wait_for,
)

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
BUILT = [
    REPO / "src/tangram/web/dist/index.html",
    REPO / "packages/tangram_jet1090/src/tangram_jet1090/dist-frontend/plugin.json",
]
DEMO = (REPO / "demo" / "tangram.toml").read_text()


@pytest.fixture
def demo(redis_server: RedisServer, tmp_path: Path) -> Iterator[TangramProcess]:
    """``demo/tangram.toml`` as shipped, on a private Redis and free ports."""
    missing = [str(path) for path in BUILT if not path.is_file()]
    if missing:
        pytest.fail(f"frontends not built ({', '.join(missing)}): run `npm ci && npm run build`")
    config = (
        DEMO.replace("[core]\n", f'[core]\nredis_url = "{redis_server.url}"\n')
        .replace("port = 2346", "port = {http_port}")
        .replace("port = 2347", "port = {channel_port}")
    )
    assert "{http_port}" in config and "{channel_port}" in config
    served = start_tangram(config, tmp_path)
    try:
        yield served
    finally:
        served.stop()


def _streaming_clients(demo: TangramProcess) -> list[str]:
    clients: list[str] = httpx.get(f"{demo.url}/jet1090/stats").json()["streaming_clients"]
    return clients


def test_demo_shows_aircraft_and_the_selected_one(demo: TangramProcess, tmp_path: Path) -> None:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(demo.url)
            page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
            _check(page)
            page.screenshot(path=str(tmp_path / "demo.png"))
            assert len(_streaming_clients(demo)) == 1
            # Closing the tab sends no leave-streaming; the gateway's lifecycle event
            # (phx_leave, reason "disconnect") must end the stream anyway.
            page.close()
            wait_for(lambda: _streaming_clients(demo) == [], timeout=15)
        finally:
            with contextlib.suppress(Exception):
                browser.close()
    assert errors == []


def _check(page: Any) -> None:
    # The count widget in the top bar fills in from the 1 Hz frames.
    visible = page.locator(".topbar .jet1090-visible")
    wait_for(lambda: int(visible.inner_text()) >= 3, timeout=30)
    # both numbers read at once: the next 1 Hz frame may change them in between
    shown, total = page.evaluate(
        """() => [".jet1090-visible", ".jet1090-total"].map(
            (name) => Number(document.querySelector(".topbar " + name).textContent))"""
    )
    assert total >= shown

    # Aircraft symbols are rendered on the map around Paris.
    # (a WebGL layer: it lists what it draws inside the map, as queryRenderedFeatures would)
    rendered = """() => window.tangram.map.getLayer('jet1090-aircraft').implementation.rendered()
        .map(r => ({icao24: r.item.icao24, lon: r.longitude, lat: r.latitude}))"""
    wait_for(lambda: len(page.evaluate(rendered)) >= 3, timeout=20)
    features = page.evaluate(rendered)
    assert all(46 < f["lat"] < 51 and -1 < f["lon"] < 6 for f in features)

    # Click one: the side bar shows its details, and its trail appears.
    target = features[0]
    point = page.evaluate(
        "([lon, lat]) => { const p = window.tangram.map.project([lon, lat]);"
        " const r = window.tangram.map.getCanvas().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [target["lon"], target["lat"]],
    )
    under = page.evaluate(
        "([x, y]) => { const r = window.tangram.map.getCanvas().getBoundingClientRect();"
        " const a = window.tangram.map.getLayer('jet1090-aircraft').implementation"
        ".at([x - r.left, y - r.top]); return a ? [a.icao24] : []; }",
        point,
    )
    page.mouse.click(*point)
    info = page.locator(".jet1090-info")
    wait_for(lambda: info.locator(".jet1090-icao24").count() == 1, timeout=10)
    assert info.locator(".jet1090-icao24").inner_text() in under
    assert info.locator(".jet1090-callsign").inner_text().strip() != ""
    # The shared widgets' styles are loaded (they live in the @tangram/api chunk).
    assert info.locator("dl").evaluate("dl => getComputedStyle(dl).display") == "grid"
    count = page.locator(".topbar .jet1090-count")
    assert count.evaluate("el => getComputedStyle(el).display") == "inline-flex"
    wait_for(lambda: "ft" in info.locator(".jet1090-altitude").inner_text(), timeout=10)
    wait_for(lambda: int(info.locator(".jet1090-trail").inner_text().split()[0]) >= 2, timeout=20)
    # the trail is drawn on the map as a line from the history endpoint plus live points
    trail = page.evaluate(
        "() => window.tangram.map.querySourceFeatures('jet1090-trail').map(f => f.geometry.type)"
    )
    assert "LineString" in trail
