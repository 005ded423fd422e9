"""Benchmark tangram_explore: push N points from a polars DataFrame and time until drawn.

A ``tangram.Runtime`` (private redis-server, free ports, channel on) runs in this
process; a headless Chromium has the map open before the push, as a notebook user
would. Printed, in seconds unless said otherwise, with the load average:

- caller: ``to_arrow`` (polars to pyarrow), ``prepare`` (the map's columns, checked) and
  ``encode`` (Arrow IPC stream), each timed alone on the same frame;
- server: what the server does with the body (``decode``: read, check again, and
  re-encode), timed alone;
- push: ``Session.push`` end to end (all of the above, the HTTP upload, the
  announcement on Redis);
- browser steps, from the push's start, by the page's own clock (the WebGL layer's
  ``timings``): announced (the page was told), responded / downloaded (``GET
  /explore/data/{id}?format=arrow``), parsed (apache-arrow's reader), prepared
  (projection and colour values), uploaded (WebGL buffers), drawn (first draw call);
- drawn: from the push's start until the page has drawn every point and the map is
  idle (polled by the benchmark, so it includes up to one polling interval);
- pan: frame intervals while the map pans for 2 s (``panBy`` animated): median,
  90th percentile and worst, in ms, with the frames per second.

Run:  .venv/bin/python benchmarks/explore_bench.py [--points 1000000] [--radius 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import polars as pl
from playwright.sync_api import sync_playwright
from tangram_explore import Session
from tangram_explore.tables import decode, encode, prepare, to_arrow

import tangram
from tangram.testing import CHROMIUM, CHROMIUM_ARGS, free_port, start_redis

_DRAWN = """([id, count]) => {
  const map = window.tangram.map;
  const points = map.getLayer("explore-" + id + "-points");
  return !!points && points.implementation.drawn === count && map.loaded();
}"""

_TIMINGS = """([id]) => {
  const t = window.tangram.map.getLayer("explore-" + id + "-points").implementation.timings;
  const out = {};
  for (const [k, v] of Object.entries(t)) out[k] = performance.timeOrigin + v;
  return out;
}"""

_RECORD = """() => {
  const map = window.tangram.map;
  window.__bench = [];
  for (const name of ["render", "idle", "data", "sourcedata"])
    map.on(name, () => window.__bench.push([name, performance.timeOrigin + performance.now()]));
}"""

_HIDE = """([id]) => {
  window.tangram.map.getLayer("explore-" + id + "-points").implementation.setVisible(false);
}"""

_PAN = """() => new Promise((resolve) => {
  const map = window.tangram.map;
  const stamps = [];
  const onRender = () => stamps.push(performance.now());
  map.on("render", onRender);
  map.once("moveend", () => {
    map.off("render", onRender);
    resolve(stamps.slice(1).map((t, i) => t - stamps[i]));
  });
  map.panBy([600, 200], { duration: 2000, easing: (t) => t });
})"""


def frame(points: int) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.DataFrame(
        {
            "latitude": rng.uniform(43.0, 51.0, points),
            "longitude": rng.uniform(-4.0, 8.0, points),
            "altitude": rng.uniform(0, 40000, points),
        }
    )


T = TypeVar("T")


def timed(what: str, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = call()
    print(f"  {what}: {time.perf_counter() - start:.3f} s")
    return result


def _frames(what: str, intervals: list[float]) -> None:
    if not intervals:
        print(f"{what}: none")
        return
    intervals = sorted(intervals)
    p90 = intervals[int(0.9 * (len(intervals) - 1))]
    median = statistics.median(intervals)
    print(
        f"{what}: {len(intervals)}, interval median {median:.0f} ms, p90 {p90:.0f} ms, "
        f"worst {intervals[-1]:.0f} ms ({1000 / median:.1f} frames/s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--radius", type=float, default=2.0, help="point radius, pixels")
    args = parser.parse_args()
    df = frame(args.points)
    style = {"color_by": "altitude", "radius": args.radius}

    print(f"points: {args.points}, load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("caller, each step alone:")
    table = timed("to_arrow", lambda: to_arrow(df))
    layer = timed("prepare", lambda: prepare(table, "altitude"))
    body = timed("encode", lambda: encode(layer, "bench", style))
    print("server, alone:")
    timed("decode (read, check) and encode", lambda: encode(decode(body, args.points), "b", None))

    with start_redis() as redis, sync_playwright() as pw:
        config = tangram.TangramConfig.model_validate(
            {
                "core": {"redis_url": redis.url, "plugins": ["tangram_explore"]},
                "server": {"port": free_port()},
                "channel": {"port": free_port()},
                "map": {"center_lat": 47.0, "center_lon": 2.0, "zoom": 5},
                "plugins": {"tangram_explore": {"max_features": max(args.points, 1)}},
            }
        )
        with tangram.Runtime(config) as rt:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(rt.url)
            page.wait_for_function("window.tangram && window.tangram.ready", timeout=60_000)
            session = Session(rt, timeout=600)
            # A map already open and settled, as when a notebook pushes to it.
            page.wait_for_function("window.tangram.map.loaded()", timeout=60_000)
            page.evaluate(_RECORD)

            wall = time.time()
            start = time.perf_counter()
            layer_id = session.push(df, label="bench", style=style)
            push = time.perf_counter() - start
            page.wait_for_function(_DRAWN, arg=[layer_id, args.points], timeout=600_000, polling=20)
            drawn = time.perf_counter() - start
            steps = page.evaluate(_TIMINGS, [layer_id])
            events = page.evaluate("() => window.__bench")
            intervals: list[float] = []
            for _ in range(2):
                intervals += page.evaluate(_PAN)
            page.evaluate(_HIDE, [layer_id])
            hidden: list[float] = page.evaluate(_PAN)
            browser.close()

    print(f"push (Session.push end to end): {push:.2f} s")
    print("browser, since the push started:")
    for name in ("announced", "responded", "downloaded", "parsed", "prepared", "uploaded", "drawn"):
        if name in steps:
            print(f"  {name}: {steps[name] / 1000 - wall:.2f} s")
    print(f"drawn, map idle: {drawn:.2f} s")
    if os.environ.get("EXPLORE_BENCH_EVENTS"):
        print("  map events:", ", ".join(f"{n} {t / 1000 - wall:.2f}" for n, t in events))
    _frames("pan frames", intervals)
    _frames("pan frames, layer hidden", hidden)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
