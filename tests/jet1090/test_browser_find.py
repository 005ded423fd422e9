"""Find, follow, look back in headless Chromium against the demo (issue 10's web app).

One ``tangram serve`` of ``demo/tangram.toml`` (replaying, history on) and one browser
serve the module; every test opens its own context and checks it saw no page errors.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tangram.testing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TangramProcess,
    start_redis,
    start_tangram,
    wait_for,
)

from .test_browser import BUILT, DEMO

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

#: Paris-Charles de Gaulle.
CDG = (49.0097, 2.5479)


@dataclass
class Demo:
    served: TangramProcess
    browser: Any


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    missing = [str(path) for path in BUILT if not path.is_file()]
    if missing:
        pytest.fail(f"frontends not built ({', '.join(missing)}): run `npm ci && npm run build`")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: run scripts/install-browser")
    tmp = tmp_path_factory.mktemp("find")
    with start_redis() as redis, playwright_api.sync_playwright() as pw:
        config = (
            DEMO.replace("[core]\n", f'[core]\nredis_url = "{redis.url}"\n')
            .replace("port = 2346", "port = {http_port}")
            .replace("port = 2347", "port = {channel_port}")
        )
        served = start_tangram(config, tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Demo(served, browser)
        finally:
            with contextlib.suppress(Exception):
                browser.close()
            served.stop()


@contextlib.contextmanager
def open_page(demo: Demo, fragment: str = "", **context: Any) -> Iterator[Any]:
    """A page of its own context, loaded and ready; fails on any page error."""
    ctx = demo.browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **context})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(demo.served.url + "/" + fragment)
        page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
        yield page
        assert errors == []
    finally:
        ctx.close()


def _hash(page: Any) -> dict[str, str]:
    fragment: str = page.evaluate("window.location.hash")
    return {key: values[0] for key, values in parse_qs(fragment.lstrip("#")).items()}


def _aircraft(page: Any) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            """() => window.tangram.shell.state.getEntities('jet1090_aircraft')
                .map(e => e.state).filter(a => a.callsign && a.latitude !== null)"""
        )
    )


def _centre(page: Any) -> tuple[float, float]:
    centre = page.evaluate(
        "(() => { const c = window.tangram.map.getCenter(); return [c.lat, c.lng]; })()"
    )
    return centre[0], centre[1]


def _palette(page: Any, text: str) -> None:
    page.keyboard.press("Control+k")
    page.locator(".palette-input").wait_for(state="visible")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_palette_finds_a_callsign_and_the_link_restores_it(demo: Demo) -> None:
    with open_page(demo) as page:
        wait_for(lambda: len(_aircraft(page)) >= 3, timeout=30)
        target = _aircraft(page)[0]
        callsign = target["callsign"].strip()
        _palette(page, callsign)
        wait_for(lambda: _hash(page).get("select") == target["icao24"], timeout=15)
        info = page.locator(".jet1090-info")
        wait_for(
            lambda: info.locator(".jet1090-icao24").inner_text() == target["icao24"], timeout=10
        )
        assert info.locator(".jet1090-callsign").inner_text().strip() == callsign
        # the map went to it
        wait_for(lambda: not page.evaluate("window.tangram.map.isMoving()"), timeout=10)
        wait_for(lambda: "map" in _hash(page) and _hash(page).get("select"), timeout=5)
        link = _hash(page)
        zoom, lat, lon = (float(x) for x in link["map"].split("/"))
        assert zoom >= 8
        fragment = page.evaluate("window.location.hash")

    # A colleague opens the link: same view, same selection.
    with open_page(demo, fragment) as page:
        lat2, lon2 = _centre(page)
        assert abs(lat2 - lat) < 0.01 and abs(lon2 - lon) < 0.01
        assert abs(page.evaluate("window.tangram.map.getZoom()") - zoom) < 0.01
        info = page.locator(".jet1090-info .jet1090-icao24")
        wait_for(lambda: info.count() == 1 and info.inner_text() == target["icao24"], timeout=20)
        # Esc deselects, and the hash follows.
        page.locator("#tangram-map canvas").focus()
        page.keyboard.press("Escape")
        wait_for(lambda: "select" not in _hash(page), timeout=5)


def test_palette_flies_to_an_airport(demo: Demo) -> None:
    with open_page(demo) as page:
        _palette(page, "LFPG")
        wait_for(
            lambda: abs(_centre(page)[0] - CDG[0]) < 0.01 and abs(_centre(page)[1] - CDG[1]) < 0.01,
            timeout=15,
        )
        assert page.locator(".palette").count() == 0  # closed after picking
        wait_for(lambda: _hash(page).get("map", "").startswith("12/"), timeout=5)
        # The offline base map draws the airport's runways (OurAirports data): CDG has four
        # (counted by their eastern ends: a runway crossing a tile edge comes in pieces).
        runways = """() => [...new Set(window.tangram.map.queryRenderedFeatures(
            {layers: ['airport-runways']}).filter(f => f.properties.icao === 'LFPG')
            .map(f => f.geometry.coordinates.at(-1).map(v => v.toFixed(4)).join()))].length"""
        wait_for(lambda: page.evaluate(runways) == 4, timeout=15)


def test_a_time_link_opens_in_the_past(demo: Demo) -> None:
    # Give the history a little past to show.
    with open_page(demo) as page:
        wait_for(lambda: len(_aircraft(page)) >= 3, timeout=30)
    t = int(time.time()) - 5
    with open_page(demo, f"#map=7/48.85/2.35&t={t}") as page:
        clock = datetime.fromtimestamp(t, timezone.utc).strftime("%H:%M:%S")
        wait_for(
            lambda: page.locator(".timeline-clock").inner_text().strip() == f"{clock} UTC",
            timeout=5,
        )
        assert page.locator(".timeline-live").get_attribute("aria-pressed") == "false"
        # the map shows the picture at t, from the history
        wait_for(lambda: len(_aircraft(page)) >= 1, timeout=15)
        assert all(a["lastseen"] <= t for a in _aircraft(page))
        assert _hash(page).get("t") == str(t)
        # Live returns to the stream
        page.locator(".timeline-live").click()
        wait_for(lambda: "t" not in _hash(page), timeout=5)
        wait_for(lambda: any(a["lastseen"] > t for a in _aircraft(page)), timeout=15)


def test_a_dark_mode_browser_gets_the_dark_theme(demo: Demo) -> None:
    with open_page(demo, color_scheme="dark") as page:
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert page.get_by_role("banner").locator(".timeline").count() == 1
        background = page.evaluate(
            "getComputedStyle(document.querySelector('header')).backgroundColor"
        )
        assert background.startswith("rgba(24, 29, 35"), background
        page.wait_for_function("window.tangram.map.isStyleLoaded()", timeout=20_000)
        water = page.evaluate("window.tangram.map.getPaintProperty('water', 'background-color')")
        assert water == "#151d26"
        # The user's switch wins and is remembered.
        page.locator(".theme-toggle").click()  # auto -> light
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        # The switch to the light base map keeps the aircraft (a WebGL layer, which a
        # style cannot serialise: the shell carries it over).
        wait_for(lambda: page.evaluate("window.tangram.map.getStyle().name").endswith("(light)"))
        page.wait_for_function("window.tangram.map.isStyleLoaded()", timeout=20_000)
        order = page.evaluate("window.tangram.map.getLayersOrder()")
        assert order.index("jet1090-trail") < order.index("jet1090-aircraft"), order
        assert page.evaluate("window.tangram.map.getLayer('jet1090-aircraft')?.type") == "custom"
        page.reload()
        page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
        assert page.evaluate("document.documentElement.dataset.theme") == "light"


def test_on_a_phone_the_side_bar_collapses_and_the_palette_works(demo: Demo) -> None:
    with open_page(demo, viewport={"width": 390, "height": 760}) as page:
        assert page.locator("aside.sidebar").is_hidden()
        _palette(page, "LFPG")
        wait_for(lambda: abs(_centre(page)[0] - CDG[0]) < 0.01, timeout=15)


def test_playback_runs_to_live_and_space_toggles_it(demo: Demo) -> None:
    with open_page(demo, f"#map=7/48.85/2.35&t={int(time.time()) - 40}") as page:
        assert _hash(page).get("t")
        page.locator(".timeline-speed").select_option("60")
        page.locator("#tangram-map canvas").focus()
        page.keyboard.press(" ")
        assert page.locator(".timeline-play").get_attribute("aria-label") == "Pause"
        # 40 s of the past at 60x: back to live within a second or so
        wait_for(lambda: "t" not in _hash(page), timeout=10)
        assert page.locator(".timeline-live").get_attribute("aria-pressed") == "true"
        # From live, Space replays the last ten minutes.
        page.keyboard.press(" ")
        wait_for(lambda: "t" in _hash(page), timeout=5)
        assert int(_hash(page)["t"]) < time.time() - 60
        page.keyboard.press(" ")
        assert page.locator(".timeline-play").get_attribute("aria-label") == "Play"


def _screen_point(page: Any, lon: float, lat: float) -> list[float]:
    return list(
        page.evaluate(
            "([lon, lat]) => { const p = window.tangram.map.project([lon, lat]);"
            " const r = window.tangram.map.getCanvas().getBoundingClientRect();"
            " return [r.left + p.x, r.top + p.y]; }",
            [lon, lat],
        )
    )


def test_hover_click_follow_and_click_away(demo: Demo) -> None:
    with open_page(demo) as page:
        rendered = """() => window.tangram.map.getLayer('jet1090-aircraft').implementation
            .rendered().map(r => ({icao24: r.item.icao24, callsign: r.item.callsign,
                        lon: r.longitude, lat: r.latitude}))"""
        wait_for(lambda: len(page.evaluate(rendered)) >= 3, timeout=30)
        target = page.evaluate(rendered)[0]
        page.mouse.move(*_screen_point(page, target["lon"], target["lat"]))
        tooltip = page.locator(".jet1090-tooltip")
        wait_for(lambda: tooltip.count() == 1, timeout=5)
        assert " ft" in tooltip.inner_text() and " kts" in tooltip.inner_text()
        page.mouse.click(*_screen_point(page, target["lon"], target["lat"]))
        wait_for(lambda: _hash(page).get("select") is not None, timeout=10)
        selected = _hash(page)["select"]
        follow = page.locator(".jet1090-follow")
        follow.click()
        assert follow.get_attribute("aria-pressed") == "true"

        def centred() -> bool:
            state = page.evaluate(
                "window.tangram.shell.state.selectedEntity.value.state"
            )  # the newest position of the followed aircraft
            lat, lon = _centre(page)
            return abs(lat - state["latitude"]) < 0.02 and abs(lon - state["longitude"]) < 0.02

        wait_for(centred, timeout=15)
        # A click where no aircraft is (the top-left corner of the map) deselects.
        page.mouse.click(330, 700)
        wait_for(lambda: "select" not in _hash(page), timeout=10)
        assert page.locator(".jet1090-info .jet1090-icao24").count() == 0
        assert selected
