"""The demo in headless Chromium: simulated ships next to the aircraft, told apart,
click a ship -> its details and trail."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

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
BUILT = REPO / "packages/tangram_ship162/src/tangram_ship162/dist-frontend/plugin.json"


@pytest.fixture
def demo(redis_server: RedisServer, tmp_path: Path) -> Iterator[TangramProcess]:
    if not BUILT.is_file():
        pytest.fail(f"{BUILT} not built: run `npm ci && npm run build`")
    config = (
        (REPO / "demo" / "tangram.toml")
        .read_text()
        .replace("[core]\n", f'[core]\nredis_url = "{redis_server.url}"\n')
        .replace("port = 2346", "port = {http_port}")
        .replace("port = 2347", "port = {channel_port}")
    )
    served = start_tangram(config, tmp_path)
    try:
        yield served
    finally:
        served.stop()


#: What the vessel layer (a WebGL layer: no features to query) draws inside the map.
RENDERED = """() => window.tangram.map.getLayer('ship162-vessels').implementation.rendered()
    .map(r => ({mmsi: String(r.item.mmsi), colour: r.colour, lon: r.longitude, lat: r.latitude}))"""


def test_demo_shows_simulated_ships_next_to_aircraft(demo: TangramProcess, tmp_path: Path) -> None:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(demo.url)
            page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
            # both counts fill in, and the ships' says they are simulated
            wait_for(lambda: int(page.locator(".topbar .ship162-total").inner_text()) >= 8, 30)
            wait_for(lambda: int(page.locator(".topbar .jet1090-total").inner_text()) >= 3, 30)
            assert page.locator(".topbar .ship162-simulated").is_visible()
            # hulls on the map around the Seine estuary, coloured by type
            wait_for(lambda: len(page.evaluate(RENDERED)) >= 5, timeout=20)
            ships = page.evaluate(RENDERED)
            assert all(49 < s["lat"] < 51 and -2 < s["lon"] < 1.5 for s in ships)
            assert len({s["colour"] for s in ships}) >= 3
            page.screenshot(path=str(tmp_path / "ships.png"))
            # click one (brought to the middle of the map, clear of the side bar)
            target = ships[0]
            page.evaluate(
                "([lon, lat]) => window.tangram.map.jumpTo({center: [lon, lat], zoom: 9})",
                [target["lon"], target["lat"]],
            )
            wait_for(lambda: len(page.evaluate(RENDERED)) >= 1, timeout=10)
            target = min(
                page.evaluate(RENDERED),
                key=lambda s: (s["lon"] - target["lon"]) ** 2 + (s["lat"] - target["lat"]) ** 2,
            )
            point = page.evaluate(
                "([lon, lat]) => { const p = window.tangram.map.project([lon, lat]);"
                " const r = window.tangram.map.getCanvas().getBoundingClientRect();"
                " return [r.left + p.x, r.top + p.y]; }",
                [target["lon"], target["lat"]],
            )
            page.mouse.click(*point)
            info = page.locator(".ship162-info")
            wait_for(lambda: info.locator(".ship162-mmsi").count() == 1, timeout=10)
            assert info.locator(".ship162-name").inner_text().strip() != ""
            assert "Simulated" in info.inner_text()
            wait_for(lambda: info.locator(".ship162-callsign").inner_text() != "–", 20)
            wait_for(lambda: int(info.locator(".ship162-trail").inner_text().split()[0]) >= 2, 30)
            page.screenshot(path=str(tmp_path / "selected.png"))
            # the palette's "Ships" provider: Ctrl+K, an MMSI, Enter selects that ship
            ships_now = httpx.get(f"{demo.url}/ship162/ships", timeout=5).json()["ship"]
            other = next(str(s["mmsi"]) for s in ships_now if str(s["mmsi"]) != target["mmsi"])
            page.locator("#tangram-map canvas").focus()
            page.keyboard.press("Control+k")
            page.locator(".palette-input").wait_for(state="visible")
            page.keyboard.type(other)
            wait_for(lambda: "Ships" in (page.locator(".palette").text_content() or ""), 10)
            page.keyboard.press("Enter")
            wait_for(lambda: info.locator(".ship162-mmsi").inner_text().strip() == other, 10)
        finally:
            with contextlib.suppress(Exception):
                browser.close()
    assert errors == []
