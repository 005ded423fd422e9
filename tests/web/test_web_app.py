"""The web app in headless Chromium against a real ``tangram serve`` and Redis.

One server (system, example, a probe plugin and three broken plugins) and one browser
serve the whole module; each test gets a fresh page.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from playwright.sync_api import Page

from tangram.testing import wait_for

from .conftest import BROKEN, ConsoleLog, WebApp

pytestmark = pytest.mark.browser

LAND = (0xF3, 0xF1, 0xEC)
WATER = (0xC9, 0xDB, 0xE8)
PROBE_CIRCLE = (0xD6, 0x33, 0x6C)

_PIXELS_JS = """
async ([png, points]) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const colours = new Set();
  const data = ctx.getImageData(0, 0, image.width, image.height).data;
  for (let i = 0; i < data.length; i += 4 * 97) {
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  const at = points.map(([lon, lat]) => {
    const p = window.tangram.map.project([lon, lat]);
    return Array.from(ctx.getImageData(Math.round(p.x), Math.round(p.y), 1, 1).data.slice(0, 3));
  });
  return { distinct: colours.size, at };
}
"""


def _close(actual: list[int], expected: tuple[int, int, int], tolerance: int = 8) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _wait_map_loaded(page: Page) -> None:
    page.wait_for_function(
        "window.tangram.map.loaded() && window.tangram.map.areTilesLoaded()", timeout=60_000
    )


def test_offline_map_renders_land_water_and_plugin_layer(page: Page, console: ConsoleLog) -> None:
    _wait_map_loaded(page)
    png = base64.b64encode(page.screenshot()).decode()
    # Paris carries the probe plugin's circle; the Loire valley is land; the English
    # Channel is water. Pixels are read from a real screenshot of the WebGL canvas.
    result = page.evaluate(_PIXELS_JS, [png, [[2.35, 48.85], [1.0, 47.5], [1.0, 50.4]]])
    paris, land, water = result["at"]
    assert result["distinct"] >= 4, result
    assert _close(paris, PROBE_CIRCLE), f"probe circle at Paris: {paris}"
    assert _close(land, LAND), f"land south-west of Paris: {land}"
    assert _close(water, WATER), f"water in the English Channel: {water}"
    assert console.external_requests == []
    assert page.evaluate("window.tangram.map.getLayer('probe-circle') !== undefined")
    # A big city's label wins a collision with a smaller neighbour's (Marne-la-Vallée).
    labels = page.evaluate(
        "window.tangram.map.queryRenderedFeatures()"
        ".filter(f => f.layer.id.startsWith('city-labels')).map(f => f.properties.name)"
    )
    assert "Paris" in labels, labels


def test_system_widget_clock_ticks_and_shows_load(page: Page) -> None:
    widget = page.locator("[data-widget-id='system-info']")
    # In the top bar, fed by the tangram_system service through Redis and the channel.
    assert page.locator(".topbar [data-widget-id='system-info']").count() == 1
    percent = re.compile(r"^\d{1,3}\.\d\d%$")
    wait_for(lambda: percent.match(widget.locator(".tg-system-cpu").inner_text()), timeout=15)
    wait_for(lambda: percent.match(widget.locator(".tg-system-ram").inner_text()), timeout=15)
    # The four values of a cycle may straddle the join, so each is waited for.
    uptime = re.compile(r"^\d+:\d\d:\d\d$")
    wait_for(lambda: uptime.match(widget.locator(".tg-system-uptime").inner_text()), timeout=5)
    clock = widget.locator(".tg-system-clock")
    first = clock.inner_text()
    assert re.fullmatch(r"\d\d:\d\d:\d\d Z", first)
    wait_for(lambda: clock.inner_text() != first, timeout=5)
    uptime_before = widget.locator(".tg-system-uptime").inner_text()
    wait_for(lambda: widget.locator(".tg-system-uptime").inner_text() != uptime_before, timeout=5)


def test_example_widget_shows_its_router_answer(page: Page) -> None:
    data = page.locator(".sidebar [data-widget-id='example-widget'] .tg-example-data")
    data.wait_for(timeout=10_000)
    assert data.inner_text() == "This is an example plugin response"


def test_widgets_follow_plugin_then_registration_order(page: Page) -> None:
    ids = page.eval_on_selector_all(
        ".sidebar [data-widget-id]", "els => els.map(e => e.dataset.widgetId)"
    )
    assert ids == ["example-widget", "probe-feed", "probe-second"]
    overlay = page.eval_on_selector_all(
        ".map-overlay [data-widget-id]", "els => els.map(e => e.dataset.widgetId)"
    )
    assert overlay == ["probe-crash", "probe-overlay"]
    config = page.locator(".probe-config").inner_text()
    # api.config is [plugins.<name>.frontend] only, never the rest of the table.
    assert json.loads(config) == {"greeting": "hello from tangram.toml"}


def test_redis_message_reaches_widget_and_widget_publish_reaches_redis(
    page: Page, web_app: WebApp
) -> None:
    client = redis.Redis.from_url(web_app.redis.url)
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe("from:probe:feed:command")
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    try:
        # A topic containing a colon ("probe:feed"); published until the join has happened.
        payload = {"n": 42, "text": "to the browser"}
        received = page.locator(".probe-received")

        def delivered() -> bool:
            client.publish("to:probe:feed:message", json.dumps(payload))
            return bool(received.inner_text())

        wait_for(delivered, timeout=15, interval=0.3)
        assert json.loads(received.inner_text()) == payload

        page.locator(".probe-send").click()
        message = None
        deadline = time.monotonic() + 10
        while message is None and time.monotonic() < deadline:
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        assert message is not None, "the widget's publish never reached Redis"
        connection_id = page.evaluate("window.tangram.shell.realtime.connectionId")
        expected = {"hello": "from the browser", "connectionId": connection_id}
        assert json.loads(message["data"]) == expected
        wait_for(lambda: page.locator(".probe-sent").inner_text() == "ok", timeout=5)
    finally:
        pubsub.close()
        client.close()


def test_one_join_per_topic_with_tokens_sharing_the_connection_id(web_app: WebApp) -> None:
    client = redis.Redis.from_url(web_app.redis.url)
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.psubscribe("from:*:phx_join")
    pubsub.get_message(timeout=1)
    context = web_app.browser.new_context()
    try:
        page = context.new_page()
        page.goto(web_app.url)
        page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
        connection_id = page.evaluate("window.tangram.shell.realtime.connectionId")
        # More users of an already joined topic: a new event, and a publish.
        page.evaluate(
            """async () => {
              const realtime = window.tangram.shell.realtime;
              realtime.subscribe("probe:feed:extra", () => {});
              await realtime.publish("probe:feed:command", {extra: true});
            }"""
        )
        # the shell's own: system, and the page's private topic (for its bound-box)
        expected = {"system": 1, f"streaming-{connection_id}": 1, "probe:feed": 1}
        joins: dict[str, int] = {}
        # Until every expected join is in (a loaded machine may be slow), then 1 s more
        # for any duplicate.
        deadline, quiet_until = time.monotonic() + 15, None
        while time.monotonic() < (quiet_until or deadline):
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message["type"] == "pmessage":
                payload = json.loads(message["data"])
                assert payload["id"] == connection_id, payload  # every token: the same id
                joins[payload["topic"]] = joins.get(payload["topic"], 0) + 1
            if quiet_until is None and set(joins) >= set(expected):
                quiet_until = time.monotonic() + 1
        assert joins == expected
    finally:
        context.close()
        pubsub.close()
        client.close()


def test_dropped_socket_reconnects_and_refused_join_refreshes_its_token(
    page: Page, web_app: WebApp, console: ConsoleLog
) -> None:
    client = redis.Redis.from_url(web_app.redis.url)
    received = page.locator(".probe-received")

    def delivered(payload: dict[str, int]) -> bool:
        client.publish("to:probe:feed:message", json.dumps(payload))
        text = received.inner_text()
        return bool(text) and json.loads(text) == payload

    try:
        wait_for(lambda: delivered({"round": 1}), timeout=15, interval=0.3)
        # Spoil the topic's token, then drop the connection the way a network failure
        # does (close code 4000, not a clean 1000): phoenix reconnects and rejoins, the
        # gateway refuses the spoilt token, the shell mints a new one, the rejoin works.
        page.evaluate(
            """() => {
              const realtime = window.tangram.shell.realtime;
              realtime.topics.get("probe:feed").token = "not-a-token";
              realtime.socket.conn.close(4000, "simulated network failure");
            }"""
        )
        wait_for(lambda: delivered({"round": 2}), timeout=30, interval=0.5)
        assert any("join of probe:feed refused" in warning for warning in console.warnings)
        assert page.evaluate("window.tangram.shell.realtime.connected.value") is True
    finally:
        client.close()


def _next_box(
    pubsub: Any, connection_id: str, accept: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            # Pushed on the page's private topic, so the topic says whose view it is.
            assert message["channel"] == f"from:streaming-{connection_id}:bound-box".encode()
            candidate: dict[str, Any] = json.loads(message["data"])
            if accept(candidate):
                return candidate
    raise AssertionError("no matching streaming-<id>:bound-box within 10 s")


def test_shell_publishes_bound_box_on_moves_and_selection(page: Page, web_app: WebApp) -> None:
    client = redis.Redis.from_url(web_app.redis.url)
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.psubscribe("from:streaming-*:bound-box")
    pubsub.get_message(timeout=1)
    try:
        _wait_map_loaded(page)
        page.evaluate("void window.tangram.map.jumpTo({center: [4.5, 50.0]})")
        connection_id = page.evaluate("window.tangram.shell.realtime.connectionId")

        def centred(box: dict[str, Any]) -> bool:
            centre_lng = float(box["southWestLng"] + box["northEastLng"]) / 2
            centre_lat = float(box["southWestLat"] + box["northEastLat"]) / 2
            return abs(centre_lng - 4.5) < 0.2 and abs(centre_lat - 50.0) < 0.5

        box = _next_box(pubsub, connection_id, centred)
        assert box["connectionId"] == connection_id
        assert box["southWestLat"] < 50.0 < box["northEastLat"]
        assert box["southWestLng"] < 4.5 < box["northEastLng"]
        assert box["selectedEntities"] == []

        # Selecting an entity (as the jet1090 layer does on click) sends a new box.
        page.evaluate(
            "void window.tangram.shell.state.select({id: 'abc123', typeName: 'probe', state: {}})"
        )
        box = _next_box(pubsub, connection_id, lambda box: bool(box["selectedEntities"]))
        assert box["selectedEntities"] == [{"id": "abc123", "typeName": "probe"}]
        assert centred(box)
    finally:
        pubsub.close()
        client.close()


def test_broken_plugins_are_reported_and_the_rest_works(page: Page, console: ConsoleLog) -> None:
    notices = page.locator(".notice.error")
    wait_for(lambda: notices.count() >= len(BROKEN), timeout=10)
    text = " ".join(notices.all_inner_texts())
    for name in BROKEN:
        assert f"plugin {name}" in text
    assert "deliberate failure in tangram_web_broken" in text
    assert "does-not-exist.js" in text
    # Everything the failing install() had registered was removed again.
    assert page.locator("[data-widget-id='broken-widget']").count() == 0
    assert page.evaluate("window.tangram.map.getLayer('broken-layer') === undefined")
    assert page.evaluate("window.tangram.map.getSource('broken-source') === undefined")
    # ... while the working plugins are all there, and the console names the culprits.
    assert page.locator("[data-widget-id='system-info']").count() == 1
    assert page.locator("[data-widget-id='probe-feed']").count() == 1
    for name in BROKEN:
        assert any(name in error for error in console.errors), (name, console.errors)


def test_widget_that_throws_is_contained(page: Page, console: ConsoleLog) -> None:
    frame = page.locator(".map-overlay [data-widget-id='probe-crash']")
    assert "deliberate render failure" in frame.locator(".widget-error").inner_text()
    # Its neighbour in the same slot, rendered after it, is intact.
    assert page.locator(".map-overlay .probe-overlay").inner_text() == "overlay"
    assert any("widget probe-crash" in error for error in console.errors)


def test_no_unexpected_console_errors(page: Page, console: ConsoleLog) -> None:
    page.locator(".tg-example-data").wait_for(timeout=10_000)
    wait_for(lambda: page.locator(".tg-system-cpu").inner_text().endswith("%"), timeout=15)
    _wait_map_loaded(page)
    page.evaluate("void window.tangram.map.jumpTo({center: [3.0, 48.0]})")
    page.wait_for_timeout(1500)
    assert console.unexpected() == []


def test_unreachable_online_style_falls_back_and_keeps_plugin_layers(
    page: Page, console: ConsoleLog
) -> None:
    _wait_map_loaded(page)
    picker = page.locator(".basemap-picker select")
    assert picker.input_value() == "offline"
    moved = {"type": "Point", "coordinates": [2.5, 49.0]}
    page.evaluate(
        "(geometry) => void window.tangram.map.getSource('probe-point')"
        ".setData({type: 'Feature', properties: {}, geometry})",
        moved,
    )
    # The tests run offline (the route handler refuses other hosts), like a field laptop.
    picker.select_option("carto-positron")
    warning = page.locator(".notice.warning")
    warning.wait_for(timeout=15_000)
    assert "basemaps.cartocdn.com" in warning.inner_text()
    assert any("basemaps.cartocdn.com" in url for url in console.external_requests)
    wait_for(lambda: picker.input_value() == "offline", timeout=10)
    _wait_map_loaded(page)
    # The probe plugin's source and layer were carried over to the restored style.
    assert page.evaluate("window.tangram.map.getLayer('probe-circle') !== undefined")
    assert page.evaluate("window.tangram.map.getSource('probe-point') !== undefined")
    restored = page.evaluate("window.tangram.map.getStyle().sources['probe-point'].data")
    assert restored["geometry"] == moved  # with the data it had, not the initial data
    assert page.evaluate("window.tangram.map.getLayer('land') !== undefined")
    assert page.evaluate("localStorage.getItem('tangram.basemap')") == "offline"
    # The only errors: the browser's log of the refused request and the shell's warning.
    assert [e for e in console.unexpected() if "cartocdn" not in e and "ERR_FAILED" not in e] == []
