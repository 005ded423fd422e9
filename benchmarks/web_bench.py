"""Browser benchmark: main-thread time per 1 Hz update with many aircraft in view.

A private Redis and a real ``tangram serve`` (tangram_jet1090, history off) are started;
this process publishes a synthetic jet1090 feed (one position and one velocity message
per aircraft per second, aircraft spread over western Europe) and headless Chromium
shows the web app zoomed out so that every aircraft is in view. For each fleet size it
reports, over a measuring window:

- frames: streamed updates the page applied (1 a second);
- in view: aircraft in the last frame;
- main thread per update: Chromium's cumulative main-thread task time
  (``Performance.getMetrics`` ``TaskDuration``: parsing the frame, Vue, MapLibre's
  GeoJSON update and rendering...) divided by the frames;
- script per update: the JavaScript part of it (``ScriptDuration``), without MapLibre's
  WebGL drawing, which headless Chromium does in software (SwiftShader) here;
- longest task: the longest main-thread task seen (PerformanceObserver ``longtask``,
  which only records tasks over 50 ms; 0 means none).

Goal (issue 10): < 50 ms per update at 10,000 aircraft. Never a timed test.

Run:  .venv/bin/python benchmarks/web_bench.py [--aircraft 1000 10000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import redis

from tangram.testing import CHROMIUM, CHROMIUM_ARGS, start_redis, start_tangram

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

#: Counts frames the page applies: each one replaces the aircraft entity map.
FRAME_COUNTER = """() => {
  window.__bench = { frames: 0, longest: 0 };
  let last = null;
  setInterval(() => {
    const current = window.tangram.shell.state.entities.value.get('jet1090_aircraft');
    if (current && current !== last) { last = current; window.__bench.frames++; }
  }, 20);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      window.__bench.longest = Math.max(window.__bench.longest, entry.duration);
  }).observe({ type: 'longtask', buffered: true });
}"""


class Feed:
    """Publishes ``n`` aircraft once a second from a thread until stopped."""

    def __init__(self, url: str, n: int) -> None:
        rng = random.Random(n)
        self.client = redis.Redis.from_url(url)
        self.fleet = [
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


def measure(browser: Any, url: str, redis_url: str, n: int, seconds: float) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{url}/#map=4.6/48/4")
        page.wait_for_function("window.tangram && window.tangram.ready", timeout=60_000)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        with Feed(redis_url, n):
            visible = "() => window.tangram.shell.state.getEntities('jet1090_aircraft').length"
            page.wait_for_function(
                f"({visible})() >= {int(n * 0.95)}", timeout=120_000, polling=500
            )
            page.evaluate(FRAME_COUNTER)
            time.sleep(2)  # let the first frames settle
            before = _metrics(cdp)
            frames_before = page.evaluate("window.__bench.frames")
            time.sleep(seconds)
            after = _metrics(cdp)
            frames = page.evaluate("window.__bench.frames") - frames_before
            in_view = page.evaluate(visible)
            longest = page.evaluate("window.__bench.longest")
        return {
            "frames": frames,
            "in_view": in_view,
            "ms_per_update": 1000
            * (after["TaskDuration"] - before["TaskDuration"])
            / max(frames, 1),
            "script_ms_per_update": 1000
            * (after["ScriptDuration"] - before["ScriptDuration"])
            / max(frames, 1),
            "longest_task_ms": longest,
        }
    finally:
        page.close()


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--aircraft", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_redis() as server, sync_playwright() as pw:
        served = start_tangram(CONFIG.format(redis_url=server.url), Path(tmp))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            print(
                f"{'aircraft':>9} {'in view':>8} {'frames':>7} {'main thread/update':>19}"
                f" {'script/update':>14} {'longest task':>13}"
            )
            for n in args.aircraft:
                r = measure(browser, served.url, server.url, n, args.seconds)
                print(
                    f"{n:>9} {r['in_view']:>8} {r['frames']:>7} {r['ms_per_update']:>16.1f} ms"
                    f" {r['script_ms_per_update']:>11.1f} ms {r['longest_task_ms']:>10.0f} ms"
                )
        finally:
            browser.close()
            served.stop()


if __name__ == "__main__":
    main()
