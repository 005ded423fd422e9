"""From a script to the map: ``tangram.Runtime`` started in this process, layers pushed
with ``Session``, checked over HTTP and in a real headless Chromium, then stopped.

No server fixture: the test starts tangram the way a notebook does (a private Redis and
free ports all the same).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import psutil
import pyarrow.ipc as ipc
import pytest
from playwright.sync_api import Page, sync_playwright
from tangram_explore import ExploreError, Session
from tangram_explore.api import GEOJSON_MAX_ROWS
from tangram_explore.tables import ARROW

import tangram
from tangram.testing import CHROMIUM, CHROMIUM_ARGS, RedisServer, free_port, start_redis, wait_for

DIST = Path(__file__).resolve().parents[1] / "src" / "tangram_explore" / "dist-frontend"

AIRPORTS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.55, 49.01]},
            "properties": {"name": "CDG"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.38, 48.72]},
            "properties": {"name": "ORY"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[2, 48], [3, 48], [3, 49], [2, 48]]]},
            "properties": {"name": "box"},
        },
    ],
}


def _config(redis_url: str, *plugins: str) -> tangram.TangramConfig:
    return tangram.TangramConfig.model_validate(
        {
            "core": {"redis_url": redis_url, "plugins": [*plugins, "tangram_explore"]},
            "server": {"port": free_port()},
            "channel": {"port": free_port()},
            "map": {"center_lat": 48.8, "center_lon": 2.4, "zoom": 7},
        }
    )


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _children(redis: RedisServer) -> list[psutil.Process]:
    assert redis.process is not None
    return [p for p in psutil.Process().children(recursive=True) if p.pid != redis.process.pid]


@contextlib.contextmanager
def _page(url: str) -> Iterator[Page]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: run scripts/install-browser")
    if not (DIST / "plugin.json").is_file():
        pytest.fail("tangram_explore's frontend is not built: run `npm run build`")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)
            yield page
            assert errors == []
        finally:
            browser.close()


RECORDING = "\n".join(
    json.dumps(message)
    for message in [
        {"timestamp": 1, "icao24": "3946e3", "altitude": 4950, "latitude": 48.9, "longitude": 2.2},
        {"timestamp": 1.5, "icao24": "3946e3", "df": "4", "altitude": 5000},
        {"timestamp": 2, "icao24": "3946e3", "altitude": 5100, "latitude": 48.95, "longitude": 2.4},
        {"timestamp": 2, "icao24": "4ca63a", "altitude": 6825, "latitude": 48.6, "longitude": 1.7},
    ]
)
#: What a user's drop does: a DragEvent carrying a File, on the map.
_DROP = """([name, text]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name));
    const target = window.tangram.map.getContainer();
    const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
    target.dispatchEvent(new DragEvent("dragover", init));
    target.dispatchEvent(new DragEvent("drop", init));
}"""


def _labels(page: Page) -> list[str]:
    return page.locator("[data-widget-id='explore-layers'] .tg-explore-label").all_inner_texts()


_SWITCH_BASE_MAP = """([id]) => {
    const map = window.tangram.map;
    map.getLayer(id).implementation.drawn = 0;
    window.tangram.shell.mapHost.setBaseStyle(map.getStyle());
}"""


def _points_drawn(page: Page, layer_id: str, kind: str = "points") -> int:
    """Points (or line segments) a table layer drew on its last frame (-1: no such layer)."""
    return int(
        page.evaluate(
            """([id]) => {
                const layer = window.tangram.map.getLayer(id);
                return layer ? layer.implementation.drawn : -1;
            }""",
            [f"explore-{layer_id}-{kind}"],
        )
    )


def _drawn(page: Page, layer_id: str, part: str) -> int:
    """Features of one explore layer MapLibre actually rendered in the view."""
    return int(
        page.evaluate(
            """([id]) => {
                const map = window.tangram.map;
                if (!map.getLayer(id)) return -1;
                return map.queryRenderedFeatures({ layers: [id] }).length;
            }""",
            [f"explore-{layer_id}-{part}"],
        )
    )


@pytest.mark.browser
def test_runtime_push_show_remove_stop() -> None:
    with start_redis() as redis:
        # With the aircraft of jet1090, to check that layers go below them.
        config = _config(redis.url, "tangram_jet1090")
        rt = tangram.Runtime(config).start()
        try:
            assert rt.url == f"http://127.0.0.1:{config.server.port}"
            assert rt.state.config.core.redis_url == redis.url
            assert rt.url in rt._repr_html_()
            session = Session(rt)
            airports = session.push(AIRPORTS, label="airports")
            frame = pl.DataFrame(
                {
                    "latitude": [48.5, 48.6, 48.7, 48.8, None],
                    "longitude": [2.0, 2.2, 2.4, 2.6, 2.8],
                    "altitude": [1000, 12000, 23000, 34000, 5000],
                }
            )
            points = session.push(frame, label="frame points", style={"color_by": "altitude"})

            listed = httpx.get(f"{rt.url}/explore/layers").json()
            assert [(layer["id"], layer["label"]) for layer in listed] == [
                (airports, "airports"),
                (points, "frame points"),
            ]
            assert listed[1]["style"] == {"color_by": "altitude", "range": [1000.0, 34000.0]}
            data = httpx.get(f"{rt.url}/explore/data/{points}").json()
            assert len(data["features"]) == 4  # the row without a latitude is skipped
            assert data["features"][3]["properties"] == {"altitude": 34000.0}
            assert len(httpx.get(f"{rt.url}/explore/data/{airports}").json()["features"]) == 3
            assert [layer["id"] for layer in session.layers()] == [airports, points]

            with _page(rt.url) as page:
                wait_for(lambda: _labels(page) == ["airports", "frame points"], timeout=20)
                wait_for(lambda: _points_drawn(page, points) == 4, timeout=20)
                wait_for(lambda: _drawn(page, airports, "point") == 2, timeout=20)
                assert _drawn(page, airports, "fill") >= 1

                # Above the base map, below the aircraft.
                wait_for(lambda: page.evaluate("!!window.tangram.map.getLayer('jet1090-aircraft')"))
                # (getLayersOrder: getStyle() leaves out custom layers, the aircraft's too)
                order = page.evaluate("window.tangram.map.getLayersOrder()")
                ours = [i for i, name in enumerate(order) if name.startswith("explore-")]
                assert 0 < min(ours) and max(ours) < order.index("jet1090-aircraft"), order

                # remove() takes the layer off the open page, live.
                session.remove(airports)
                wait_for(lambda: _labels(page) == ["frame points"], timeout=10)
                assert _drawn(page, airports, "point") == -1
                # ... and a layer pushed now appears, live.
                flights = pl.DataFrame(
                    {
                        "flight_id": ["a", "a", "a", "b", "b"],
                        "timestamp": [3, 1, 2, 1, 2],
                        "latitude": [48.3, 48.1, 48.2, 49.0, 49.1],
                        "longitude": [1.3, 1.1, 1.2, 3.0, 3.1],
                    }
                )
                lines = session.push(flights, label="two flights")
                wait_for(lambda: _labels(page) == ["frame points", "two flights"], timeout=10)
                # Two lines: three segments (a: 1-2, 2-3; b: 1-2).
                wait_for(lambda: _points_drawn(page, lines, "lines") == 3, timeout=20)
                line_a = httpx.get(f"{rt.url}/explore/data/{lines}").json()["features"][0]
                assert line_a["geometry"]["coordinates"] == [[1.1, 48.1], [1.2, 48.2], [1.3, 48.3]]

                # The visibility toggle hides the layer without removing it.
                page.locator(f"[data-layer-id='{points}'] input[type=checkbox]").uncheck()
                wait_for(lambda: _points_drawn(page, points) == 0, timeout=10)

                # A jet1090 recording dropped on the map becomes one trajectory per aircraft.
                page.evaluate(_DROP, ["rec.jsonl", RECORDING])
                want = ["frame points", "two flights", "rec.jsonl"]
                wait_for(lambda: _labels(page) == want, timeout=10)
                dropped = [layer for layer in session.layers() if layer["label"] == "rec.jsonl"]
                assert dropped[0]["features"] == 2
                wait_for(lambda: _drawn(page, dropped[0]["id"], "line") >= 1, timeout=20)
                # A file without positions: the widget says which column was expected.
                page.evaluate(_DROP, ["bad.csv", "a,b\n1,2\n"])
                error = page.locator("[data-widget-id='explore-layers'] .tg-explore-error")
                error.wait_for(timeout=10_000)
                assert "bad.csv: expected a 'latitude' column" in error.inner_text()

                assert session.clear() == 3
                wait_for(lambda: _labels(page) == [], timeout=10)

                # A large point table is served as Arrow by default, drawn from its columns.
                n = GEOJSON_MAX_ROWS + 1
                big = pl.DataFrame(
                    {
                        "latitude": [48.0 + i / n for i in range(n)],
                        "longitude": [1.5 + 2 * i / n for i in range(n)],
                        "altitude": [float(i) for i in range(n)],
                    }
                )
                many = session.push(big, label="big points", style={"color_by": "altitude"})
                (described,) = session.layers()
                assert described["format"] == "arrow" and described["features"] == n
                assert described["style"]["range"] == [0.0, n - 1.0]
                raw = httpx.get(f"{rt.url}/explore/data/{many}")
                assert raw.headers["content-type"] == ARROW
                table = ipc.open_stream(raw.content).read_all()
                assert table.num_rows == n
                assert table.column_names == ["longitude", "latitude", "altitude"]
                as_geojson = httpx.get(f"{rt.url}/explore/data/{many}?format=geojson").json()
                assert len(as_geojson["features"]) == n
                assert as_geojson["features"][0]["properties"] == {"altitude": 0.0}
                wait_for(lambda: _labels(page) == ["big points"], timeout=10)
                wait_for(lambda: _points_drawn(page, many) == n, timeout=30)
                # Switching the base map keeps it (the shell only carries style layers).
                page.evaluate(_SWITCH_BASE_MAP, [f"explore-{many}-points"])
                wait_for(lambda: page.evaluate("window.tangram.map.isStyleLoaded()"), timeout=20)
                wait_for(lambda: _points_drawn(page, many) == n, timeout=30)
                session.remove(many)
                wait_for(lambda: _labels(page) == [], timeout=10)
                assert _points_drawn(page, many) == -1
            assert _children(redis), "the channel gateway runs as a child process"
        finally:
            rt.stop()
        assert not _listening(config.server.port)
        assert not _listening(config.channel.port)
        assert _children(redis) == []
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{rt.url}/explore/layers")


#: Colours of the pixels at each segment's middle, and what the layer says it draws there
#: (0..255 RGB), read right after a frame is drawn (before the page shows it).
_SEGMENT_COLOURS = """([id]) => new Promise((resolve) => {
    const map = window.tangram.map;
    const layer = map.getLayer(id).implementation;
    map.once("render", () => {
        const canvas = map.getCanvas();
        const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
        const ratio = window.devicePixelRatio;
        const out = [];
        for (const row of layer.segmentStarts()) {
            const a = map.project(layer.lngLat(row));
            const b = map.project(layer.lngLat(row + 1));
            const x = Math.round(((a.x + b.x) / 2) * ratio);
            const y = Math.round(canvas.height - ((a.y + b.y) / 2) * ratio);
            const pixel = new Uint8Array(4);
            gl.readPixels(x, y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
            const want = layer.colorAt(row, 0.5).map((c) => Math.round(c * 255));
            out.push([Array.from(pixel.slice(0, 3)), want]);
        }
        resolve(out);
    });
    map.triggerRepaint();
})"""


@pytest.mark.browser
def test_lines_are_coloured_per_segment_with_a_legend(redis_server: RedisServer) -> None:
    climb = pl.DataFrame(
        {
            "flight_id": ["climb"] * 8,
            "timestamp": list(range(8)),
            "latitude": [48.0] * 8,
            "longitude": [0.8 + 0.4 * i for i in range(8)],
            "altitude": [5000.0 * i for i in range(8)],
        }
    )
    with tangram.Runtime(_config(redis_server.url)) as rt, Session(rt) as session:
        style = {"color_by": "altitude", "width": 10, "opacity": 1}
        layer = session.push(climb, label="climb", style=style)
        with _page(rt.url) as page:
            wait_for(lambda: _points_drawn(page, layer, "lines") == 7, timeout=20)
            page.wait_for_function("window.tangram.map.loaded()", timeout=20_000)
            colours = page.evaluate(_SEGMENT_COLOURS, [f"explore-{layer}-lines"])
            assert len(colours) == 7
            for seen, want in colours:
                assert max(abs(s - w) for s, w in zip(seen, want, strict=True)) <= 8, colours
            # From dark purple at the bottom of the climb to yellow-green at its top.
            first, last = colours[0][0], colours[-1][0]
            assert first[1] < 60 and first[2] > 60, first
            assert last[0] > 120 and last[1] > 180, last
            assert len({tuple(seen) for seen, _ in colours}) == 7  # a colour per segment
            legend = page.locator(f"[data-layer-id='{layer}'] .tg-explore-legend")
            assert legend.inner_text().split() == ["0", "35,000", "altitude"]


def test_second_runtime_on_busy_port_fails_with_one_line(redis_server: RedisServer) -> None:
    config = _config(redis_server.url)
    with tangram.Runtime(config) as rt:
        with pytest.raises(tangram.TangramError) as caught:
            tangram.Runtime(config).start()
        message = str(caught.value)
        assert "\n" not in message
        assert f"[server] 127.0.0.1:{config.server.port} is already in use" in message
        assert httpx.get(f"{rt.url}/explore/layers").json() == []  # the first one carries on
    assert not _listening(config.server.port)
    assert _children(redis_server) == []


async def test_async_with_keeps_the_callers_loop_running(redis_server: RedisServer) -> None:
    config = _config(redis_server.url)
    config.channel.enabled = False
    async with tangram.Runtime(config) as rt:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{rt.url}/explore/layers")).json() == []
    assert not _listening(config.server.port)


def test_path_config_with_embedded_redis_leaves_nothing_behind(tmp_path: Path) -> None:
    http, channel = free_port(), free_port()
    path = tmp_path / "tangram.toml"
    path.write_text(
        f'[core]\nredis_url = "embedded"\nplugins = ["tangram_explore"]\n'
        f"[server]\nport = {http}\n[channel]\nport = {channel}\n"
    )
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    rt = tangram.Runtime(path).start()
    try:
        started = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        names = sorted(p.name() for p in started)
        assert any("redis" in name or "valkey" in name for name in names), names
        assert len(started) == 2, names  # the embedded Redis and the channel gateway
        assert rt.state.redis_url.startswith("redis://127.0.0.1:")
        Session(rt).push(AIRPORTS, label="airports")
    finally:
        rt.stop()
    assert psutil.wait_procs(started, timeout=5)[1] == []
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before
    assert not _listening(http) and not _listening(channel)
    rt.stop()  # twice is harmless


def test_call_runs_on_the_runtime_loop(redis_server: RedisServer) -> None:
    config = _config(redis_server.url)
    config.channel.enabled = False
    with tangram.Runtime(config) as rt:
        assert rt.call(rt.state.redis_client.ping()) is True
        assert rt.running and "running" in rt._repr_html_()
    assert not rt.running and "stopped" in rt._repr_html_()
    with pytest.raises(tangram.TangramError, match="not started"):
        _ = rt.state


def test_a_stopped_runtime_starts_again(redis_server: RedisServer) -> None:
    config = _config(redis_server.url)
    config.channel.enabled = False
    rt = tangram.Runtime(config)
    for _ in range(2):
        rt.start()
        assert httpx.get(f"{rt.url}/explore/layers").json() == []
        rt.stop()
        assert not _listening(config.server.port)


def test_two_runtimes_in_one_process_keep_their_own_layers(redis_server: RedisServer) -> None:
    first, second = _config(redis_server.url), _config(redis_server.url)
    first.channel.enabled = second.channel.enabled = False
    with tangram.Runtime(first) as one, tangram.Runtime(second) as two:
        Session(one).push(AIRPORTS, label="only in one")
        assert [layer["label"] for layer in Session(one).layers()] == ["only in one"]
        assert Session(two).layers() == []


async def test_plain_start_inside_a_running_loop_as_in_a_notebook_cell(
    redis_server: RedisServer,
) -> None:
    # Jupyter runs cells inside its own running loop; start() must not need it.
    config = _config(redis_server.url)
    config.channel.enabled = False
    rt = tangram.Runtime(config).start()
    try:
        assert Session(rt).layers() == []
    finally:
        rt.stop()
    assert not _listening(config.server.port)


def test_session_sends_the_runtimes_access_key(redis_server: RedisServer) -> None:
    config = _config(redis_server.url)
    config.channel.enabled = False
    config.server.access_key = "a-long-enough-key"
    with tangram.Runtime(config) as rt:
        assert httpx.get(f"{rt.url}/explore/layers").status_code == 401
        layer = Session(rt).push(AIRPORTS, label="behind a key")
        assert [
            entry["id"] for entry in Session(rt.url, access_key="a-long-enough-key").layers()
        ] == [layer]
        with pytest.raises(ExploreError, match="HTTP 401"):
            Session(rt.url).layers()
