"""Benchmark the history queries of tangram_jet1090 on a large synthetic store.

Builds (once, cached under ``.bench/``) a history file with the plugin's own schema:

- ``--points`` trajectory points (default 10,000,000): ``--aircraft`` aircraft
  (default 10,000) airborne at once, one point per second each (the default
  ``history_sample_secs``), so 10 M points are 1,000 s of a very busy sky;
- ``--flights`` rows in the flights table (default 1,000,000), over a day, with
  airline-like callsigns, random icao24s, registrations and squawks, inserted through
  the same table and triggers the writer uses (so the trigram index is real).

Then times, in this process (no HTTP), the functions the routes call:

- flight search (``search_flights``) for common, rare, absent and short queries;
- live search (``search_live``) over ``--aircraft`` live state vectors;
- one aircraft's history over its whole stay (``slice_points``);
- the picture at a past instant (``picture_at``), with and without a box;
- the stored range, and writing one second of points (``--aircraft`` points) with
  the flights upkeep, which the ingest path pays every second.

Run:  .venv/bin/python benchmarks/history_bench.py [--points 10000000] [--flights 1000000]
      [--aircraft 10000] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import string
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tangram_jet1090.aircraft import FIELDS
from tangram_jet1090.flight_history import FlightHistoryStore
from tangram_jet1090.flights import backfill_presence
from tangram_jet1090.history import COLUMNS
from tangram_jet1090.history_query import (
    Box,
    picture_at,
    search_flights,
    slice_points,
    stored_range,
)
from tangram_jet1090.live_search import search_live

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_780_000_000.0  # an arbitrary UNIX time
AIRLINES = ["AFR", "BAW", "DLH", "RYR", "EZY", "KLM", "IBE", "SWR", "AUA", "TAP", "VLG", "WZZ"]
EUROPE = Box(north=60.0, south=40.0, east=15.0, west=-5.0)


def icao24s(count: int, rng: random.Random) -> list[str]:
    return [f"{rng.randrange(1 << 24):06x}" for _ in range(count)]


def callsign(rng: random.Random) -> str:
    return f"{rng.choice(AIRLINES)}{rng.randrange(1, 9999)}{rng.choice(['', 'A', 'ZG', 'X'])}"


def points(aircraft: list[str], total: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """One point per aircraft per second, in time order, as the writer stores them."""
    start = {icao: (rng.uniform(40, 60), rng.uniform(-5, 15)) for icao in aircraft}
    calls = {icao: callsign(rng) for icao in aircraft}
    seconds = total // len(aircraft)
    for second in range(seconds):
        ts = T0 + second
        for icao in aircraft:
            lat, lon = start[icao]
            values = {
                "callsign": calls[icao], "squawk": "1000", "latitude": lat + second * 1e-3,
                "longitude": lon + second * 1e-3, "altitude": 35000.0, "groundspeed": 450.0,
                "track": 45.0, "vertical_rate": 0.0,
            }  # fmt: skip
            yield (icao, ts + rng.random() * 0.9, *[values.get(c) for c in COLUMNS])


INSERT = (
    f"INSERT INTO trajectory (icao24, timestamp, {', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 2))})"
)


async def create(path: Path) -> FlightHistoryStore:
    """An empty history file with the plugin's schema, as tangram serve creates it."""
    store = FlightHistoryStore(path, retention_secs=1e12)
    await store.open()
    return store


def build(path: Path, n_points: int, n_flights: int, aircraft: list[str]) -> None:
    rng = random.Random(2)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    asyncio.run(asyncio.run(create(tmp)).close())
    conn = sqlite3.connect(tmp)
    conn.execute("PRAGMA synchronous=OFF")  # a throw-away file: build it fast
    started = time.perf_counter()
    batch: list[tuple[Any, ...]] = []
    for row in points(aircraft, n_points, rng):
        batch.append(row)
        if len(batch) >= 200_000:
            with conn:
                conn.executemany(INSERT, batch)
            batch.clear()
    with conn:
        conn.executemany(INSERT, batch)
    with conn:
        backfill_presence(conn)  # what the writer does point by point
    print(f"  {n_points:,} points in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    pool = icao24s(50_000, rng)
    letters = string.ascii_uppercase
    insert = (
        "INSERT INTO flights (icao24, callsign, registration, squawks, start, stop, count) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    for chunk in range(0, n_flights, 100_000):
        rows = []
        for i in range(chunk, min(chunk + 100_000, n_flights)):
            begin = T0 - 86400 + 86400 * i / n_flights
            registration = "F-" + "".join(rng.choices(letters, k=4))
            squawks = f"{rng.randrange(8):o}{rng.randrange(4096):04o}"[-4:]
            rows.append((rng.choice(pool), callsign(rng), registration, squawks, begin,
                         begin + rng.uniform(600, 20000), rng.randrange(100, 20000)))  # fmt: skip
        with conn:
            conn.executemany(insert, rows)
    print(f"  {n_flights:,} flights in {time.perf_counter() - started:.0f} s")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    tmp.rename(path)


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median and max wall time in ms over ``repeat`` runs (after one warm-up)."""
    result = func()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def report(label: str, func: Callable[[], Any], repeat: int, size: Callable[[Any], int]) -> None:
    median, worst, result = timed(func, repeat)
    print(f"  {label:<52} {median:8.1f} {worst:8.1f} {size(result):>9,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--flights", type=int, default=1_000_000)
    parser.add_argument("--aircraft", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached store")
    args = parser.parse_args()

    folder = ROOT / ".bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"history-{args.points}-{args.flights}-{args.aircraft}.sqlite"
    aircraft = icao24s(args.aircraft, random.Random(1))
    if args.rebuild or not path.is_file():
        print(f"building {path} (once; cached)")
        build(path, args.points, args.flights, aircraft)
    size_mb = path.stat().st_size / 1e6
    print(f"store: {path.name}, {size_mb:,.0f} MB")
    rng = random.Random(3)
    live = []
    for icao in aircraft:
        state: dict[str, Any] = dict.fromkeys(FIELDS)
        registration = "F-" + "".join(rng.choices(string.ascii_uppercase, k=4))
        squawk = f"{rng.randrange(7777):04d}"
        state.update(icao24=icao, callsign=callsign(rng), squawk=squawk, registration=registration)
        live.append(state)
    seconds = args.points // args.aircraft
    mid = T0 + seconds / 2
    one = aircraft[len(aircraft) // 2]
    n = args.repeat
    count: Callable[[Any], int] = len

    print(f"\n  {'query':<52} {'median':>8} {'max':>8} {'results':>9}   (ms)")
    for q in ("AFR", "AFR12", "AFR1234ZG", "f-ab", "7700", "QQQQ", "A", "Q9"):
        report(
            f"search flights q={q!r} limit=50", lambda q=q: search_flights(path, q, 50), n, count
        )
    for q in ("AFR", "AFR1234", "f-ab", "7700", "qqqq"):
        label = f"live search q={q!r} over {len(live):,} aircraft"
        report(label, lambda q=q: search_live(live, q, 20), n, count)
    stay = f"history of one aircraft, whole stay ({seconds} s)"
    report(stay, lambda: slice_points(path, one, T0, T0 + seconds, 10**5), n, count)
    ten = "history of one aircraft, 10 minutes"
    report(ten, lambda: slice_points(path, one, mid - 300, mid + 300, 10**5), n, count)
    shown: Callable[[Any], int] = lambda result: len(result[1])  # noqa: E731
    report("picture at an instant, lookback 60 s, no box",
           lambda: picture_at(path, mid, 60, None), n, shown)  # fmt: skip
    report("picture at an instant, lookback 60 s, box 40-60N 5W-15E",
           lambda: picture_at(path, mid, 60, EUROPE), n, shown)  # fmt: skip
    report("picture at an instant, lookback 10 s, box",
           lambda: picture_at(path, mid, 10, EUROPE), n, shown)  # fmt: skip
    report("stored range", lambda: stored_range(path), n, lambda r: r["flights"])
    write_batch(aircraft, n)


def write_batch(aircraft: list[str], repeat: int) -> None:
    """One second of points for every aircraft, written with the flights upkeep."""
    with tempfile.TemporaryDirectory() as tmp:
        store = asyncio.run(create(Path(tmp) / "w.sqlite"))
        rng = random.Random(4)
        # pending tuples as observe() queues them: the point, then the registration
        rows = [(*row, None) for row in points(aircraft, len(aircraft) * (repeat + 1), rng)]
        per = len(aircraft)
        batches = iter(range(0, len(rows), per))

        def write() -> None:
            store._write(rows[next(batches) :][:per])  # what flush() runs in its thread

        report(f"write 1 s of points ({per:,}) + flights upkeep", write, repeat, lambda _: per)
        asyncio.run(store.close())


if __name__ == "__main__":
    main()
