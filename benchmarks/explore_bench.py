"""Benchmark tangram_explore: push N points from a polars DataFrame and time until drawn.

A ``tangram.Runtime`` (private redis-server, free ports, channel on) runs in this
process; a headless Chromium has the map open before the push, as a notebook user
would. Reported, in seconds:

- convert: the caller's part of ``Session.push``: DataFrame to float32 columns (from
  50,000 points; GeoJSON bytes below that);
- push: ``Session.push`` end to end (conversion, upload, server checks, announcement);
- drawn: from the start of the push until the page, told by the announcement, has
  fetched the layer and drawn every point (the WebGL layer's count of points drawn, or
  the GeoJSON source loaded, and ``map.loaded()``);
- pan: median of five ``panBy(300 px)`` until the map is idle again.

Run:  .venv/bin/python benchmarks/explore_bench.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

import orjson
import polars as pl
from playwright.sync_api import sync_playwright
from tangram_explore import Session
from tangram_explore.frames import columns_of, point_columns, table_to_geojson
from tangram_explore.points import BINARY_MIN_POINTS, encode

import tangram
from tangram.testing import CHROMIUM, CHROMIUM_ARGS, free_port, start_redis

_DRAWN = """([id, count]) => {
  const map = window.tangram.map;
  const points = map.getLayer("explore-" + id + "-points");
  if (points) return points.implementation.drawn === count && map.loaded();
  const source = "explore-" + id;
  return !!map.getSource(source) && map.isSourceLoaded(source) && map.loaded();
}"""

_PAN = """() => new Promise((resolve) => {
  const map = window.tangram.map;
  const t0 = performance.now();
  map.once("idle", () => resolve(performance.now() - t0));
  map.panBy([300, 0], { animate: false });
})"""


def frame(points: int) -> pl.DataFrame:
    rng = random.Random(1)
    return pl.DataFrame(
        {
            "latitude": [rng.uniform(43.0, 51.0) for _ in range(points)],
            "longitude": [rng.uniform(-4.0, 8.0) for _ in range(points)],
            "altitude": [rng.uniform(0, 40000) for _ in range(points)],
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    df = frame(args.points)

    t0 = time.perf_counter()
    columns = columns_of(df)
    points = point_columns(columns, "altitude")
    if points is not None and len(points[0]) >= BINARY_MIN_POINTS:
        encode(*points, "altitude", "bench", {"color_by": "altitude"})
    else:
        orjson.dumps(table_to_geojson(columns, color_by="altitude", max_features=sys.maxsize))
    convert = time.perf_counter() - t0

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

            start = time.perf_counter()
            layer = session.push(df, label="bench", style={"color_by": "altitude"})
            push = time.perf_counter() - start
            page.wait_for_function(_DRAWN, arg=[layer, args.points], timeout=600_000, polling=50)
            drawn = time.perf_counter() - start
            pans = [float(page.evaluate(_PAN)) / 1000 for _ in range(5)]
            browser.close()

    print(f"points: {args.points}")
    print(f"convert: {convert:.2f} s")
    print(f"push: {push:.2f} s")
    print(f"drawn: {drawn:.2f} s")
    print(f"pan (median of 5): {statistics.median(pans):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
