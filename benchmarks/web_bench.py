"""Browser benchmark: main-thread time per 1 Hz update with many aircraft in view.

A private Redis and a real ``tangram serve`` (tangram_jet1090, history off) are started;
this process publishes a synthetic jet1090 feed (one position and one velocity message
per aircraft per second, aircraft spread over western Europe) and headless Chromium
shows the web app zoomed out so that every aircraft is in view. Chromium traces the page
(the ``toplevel`` and ``devtools.timeline`` categories) over a measuring window; the
renderer main thread's task times come from the trace (benchmarks/web_trace.py). By
default WebGL and compositing run in Chromium's GPU process on SwiftShader, as they
would on a GPU (``--software-compositing``: as the browser tests run it). For each fleet
size it reports:

- updates: frames the page applied in the window (the plugin's ``jet1090:update``
  User Timing measures, one a second);
- handler: the plugin's own work per update (that measure: building the entities, the
  map data, the counts; mean and max), in JavaScript on the main thread;
- main CPU: the renderer main thread's CPU time (the tasks' thread time) in the window,
  divided by the updates: the handler plus everything it causes there (Vue, MapLibre
  receiving tiles, placing and drawing symbols, GC) plus whatever the page does anyway;
- net: main CPU minus what the page costs with no aircraft at all (measured first, on a
  page of its own; printed above the table): the share attributable to the updates;
- main wall: the same tasks' wall time per update, and of it ``readback``: time blocked
  in ``GLES2::ReadPixels`` while the GPU process draws WebGL in software (SwiftShader,
  headless without a GPU); see benchmarks/web_trace.py;
- worker CPU: MapLibre's web workers (GeoJSON tiling), per update;
- to paint: wall time from an update's start to the first animation frame after the map
  rendered it (median), i.e. when the new positions are on screen.

Goal (issue 10): < 50 ms of main-thread time per update at 10,000 aircraft. Never a
timed test. The load average is printed with each row: the machine is shared.

Run:  .venv/bin/python benchmarks/web_bench.py [--aircraft 1000 10000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import redis

from tangram.testing import CHROMIUM, CHROMIUM_ARGS, start_redis, start_tangram

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_trace  # a sibling script, not a package

CONFIG = """
[core]
redis_url = "{redis_url}"
plugins = ["tangram_jet1090"]

[server]
port = {{http_port}}

[channel]
port = {{channel_port}}

[plugins.tangram_jet1090]
history_enabled = false
"""

#: Records, in the page's clock, each update (start, duration), each time MapLibre
#: finished loading the aircraft source, each map render and the animation frame after it.
RECORDER = """() => {
  const b = window.__bench = { updates: [], loaded: [], rendered: [], framed: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.name === 'jet1090:update') b.updates.push([e.startTime, e.duration]);
  }).observe({ type: 'measure' });
  const map = window.tangram.map;
  map.on('data', (e) => {
    if (e.sourceId === 'jet1090-aircraft' && e.isSourceLoaded) b.loaded.push(performance.now());
  });
  map.on('render', () => {
    b.rendered.push(performance.now());
    requestAnimationFrame(() => b.framed.push(performance.now()));
  });
}"""

#: Number of aircraft the page holds (its entity store).
IN_VIEW = "() => window.tangram.shell.state.entities.value.get('jet1090_aircraft')?.size ?? 0"

#: Without a GPU either way, but WebGL and compositing both in the GPU process (ANGLE on
#: SwiftShader's Vulkan), as with a real GPU: no frame is read back to the main thread.
GPU_COMPOSITING_ARGS = [
    *(arg for arg in CHROMIUM_ARGS if arg != "--disable-gpu"),
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]

CATEGORIES = ["toplevel", "devtools.timeline", "blink.user_timing", "gpu"]


class Feed:
    """Publishes ``n`` aircraft once a second from a thread until stopped."""

    def __init__(self, url: str, n: int) -> None:
        rng = random.Random(n)
        self.client = redis.Redis.from_url(url)
        self.fleet: list[dict[str, Any]] = [
            {
                "icao24": f"{0x300000 + i:06x}",
                "lat": rng.uniform(41, 55),
                "lon": rng.uniform(-6, 14),
                "alt": rng.choice(range(2000, 40000, 500)),
                "track": rng.uniform(0, 360),
            }
            for i in range(n)
        ]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopped.is_set():
            started = time.time()
            pipe = self.client.pipeline(transaction=False)
            for a in self.fleet:
                a["lat"] += 0.002
                pipe.publish("jet1090", orjson.dumps(self.position(a, started)))
                pipe.publish("jet1090", orjson.dumps(self.velocity(a, started)))
            pipe.execute()
            self.stopped.wait(max(0.0, 1.0 - (time.time() - started)))

    @staticmethod
    def position(a: dict[str, Any], ts: float) -> dict[str, Any]:
        return {"timestamp": ts, "df": "17", "icao24": a["icao24"], "bds": "05",
                "altitude": a["alt"], "latitude": a["lat"], "longitude": a["lon"]}  # fmt: skip

    @staticmethod
    def velocity(a: dict[str, Any], ts: float) -> dict[str, Any]:
        return {"timestamp": ts, "df": "17", "icao24": a["icao24"], "bds": "09",
                "groundspeed": 430.0, "track": a["track"], "vertical_rate": 0}  # fmt: skip

    def __enter__(self) -> Feed:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def _traced(browser: Any, page: Any, seconds: float) -> web_trace.TraceSummary:
    browser.start_tracing(page=page, categories=CATEGORIES)
    time.sleep(seconds)
    return web_trace.summarise(orjson.loads(browser.stop_tracing()))


def _to_paint(recorded: dict[str, list[Any]]) -> list[float]:
    """Per update: start to the animation frame after the render that showed it (ms)."""
    starts = [(start, start + duration) for start, duration in recorded["updates"]]
    out = []
    for i, (start, end) in enumerate(starts):
        limit = starts[i + 1][0] if i + 1 < len(starts) else float("inf")
        # A GeoJSON source is shown once its tiles are loaded; other layers at once.
        ready = next((t for t in recorded["loaded"] if end <= t < limit), end)
        render = next((t for t in recorded["rendered"] if t >= ready), None)
        framed = next((t for t in recorded["framed"] if render is not None and t >= render), None)
        if framed is not None and framed < limit:
            out.append(framed - start)
    return out


def _open(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{url}/#map=4.6/48/4")
    page.wait_for_function("window.tangram && window.tangram.ready", timeout=60_000)
    time.sleep(3)  # the base map's labels and tiles settle
    return page


def idle_rate(browser: Any, url: str, seconds: float) -> float:
    """Main-thread CPU per second of the page with no aircraft at all (ms/s).

    The lower of two windows: late start-up work (label images, tiles) can fall in the
    first one.
    """
    page = _open(browser, url)
    try:
        return min(_traced(browser, page, seconds).main.cpu_ms / seconds for _ in range(2))
    finally:
        page.close()


def measure(
    browser: Any, url: str, redis_url: str, n: int, seconds: float, idle: float
) -> dict[str, Any]:
    page = _open(browser, url)
    try:
        with Feed(redis_url, n):
            page.wait_for_function(
                f"({IN_VIEW})() >= {int(n * 0.95)}", timeout=120_000, polling=500
            )
            time.sleep(2)  # let the first frames settle
            page.evaluate(RECORDER)
            load = os.getloadavg()[0]
            busy = _traced(browser, page, seconds)
            recorded = page.evaluate("window.__bench")
            in_view = page.evaluate(IN_VIEW)
        updates = max(busy.updates, 1)
        handler = [duration for _, duration in recorded["updates"]] or [0.0]
        paint = _to_paint(recorded)
        return {
            "in_view": in_view,
            "updates": busy.updates,
            "handler_ms": statistics.fmean(handler),
            "handler_max_ms": max(handler),
            "main_cpu_ms": busy.main.cpu_ms / updates,
            "net_cpu_ms": (busy.main.cpu_ms - idle * seconds) / updates,
            "main_wall_ms": busy.main.wall_ms / updates,
            "readback_ms": busy.readback_ms / updates,
            "worker_cpu_ms": busy.workers.cpu_ms / updates,
            "to_paint_ms": statistics.median(paint) if paint else float("nan"),
            "load": load,
            "breakdown": {k: v / updates for k, v in busy.breakdown.most_common(8)},
        }
    finally:
        page.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--aircraft", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--software-compositing",
        action="store_true",
        help="Chromium as the browser tests run it (--disable-gpu): the page is composited"
        " in software, so each WebGL frame is read back to the main thread",
    )
    args = parser.parse_args()
    chromium_args = CHROMIUM_ARGS if args.software_compositing else GPU_COMPOSITING_ARGS
    with tempfile.TemporaryDirectory() as tmp, start_redis() as server, sync_playwright() as pw:
        served = start_tangram(CONFIG.format(redis_url=server.url), Path(tmp))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=chromium_args)
        try:
            idle = idle_rate(browser, served.url, min(args.seconds, 5.0))
            print(f"idle page (no aircraft): main-thread CPU {idle:.1f} ms/s")
            print(
                f"{'aircraft':>8} {'in view':>7} {'updates':>7} {'handler':>15}"
                f" {'main CPU':>9} {'net':>9} {'main wall':>10} {'readback':>9}"
                f" {'worker CPU':>10} {'to paint':>9} {'load':>5}"
            )
            breakdowns = []
            for n in args.aircraft:
                r = measure(browser, served.url, server.url, n, args.seconds, idle)
                breakdowns.append((n, r["breakdown"]))
                print(
                    f"{n:>8} {r['in_view']:>7} {r['updates']:>7}"
                    f" {r['handler_ms']:>6.1f}/{r['handler_max_ms']:>5.1f} ms"
                    f" {r['main_cpu_ms']:>6.1f} ms {r['net_cpu_ms']:>6.1f} ms"
                    f" {r['main_wall_ms']:>7.0f} ms"
                    f" {r['readback_ms']:>6.0f} ms {r['worker_cpu_ms']:>7.1f} ms"
                    f" {r['to_paint_ms']:>6.0f} ms {r['load']:>5.1f}",
                    flush=True,
                )
            print("\nmain-thread CPU per update by kind of work (ms):")
            for n, breakdown in breakdowns:
                print(f"  {n:>6}: " + ", ".join(f"{k} {v:.1f}" for k, v in breakdown.items()))
        finally:
            browser.close()
            served.stop()


if __name__ == "__main__":
    main()
