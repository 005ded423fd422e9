"""Cost of the history writer per stored point, load-immune under callgrind.

3000 aircraft, one point each per batch (one batch = one second of the default
sampling), written through ``FlightHistoryStore`` (observe, trajectory insert, flights
and presence upkeep) in this thread. Three warm-up batches, then ``--batches`` measured
ones, run through ``sys.call_tracing`` so that callgrind can count only them:

    valgrind --tool=callgrind --toggle-collect=sys_call_tracing \\
        .venv/bin/python benchmarks/history_write_cost.py
    # instructions per point = "Collected" / (3000 * batches)

Without valgrind it prints the CPU time per point (noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tangram_jet1090.aircraft import FIELDS
from tangram_jet1090.flight_history import FlightHistoryStore

AIRCRAFT = 3000


def records(rng: random.Random) -> list[dict[str, Any]]:
    """State vectors with what an ADS-B-only aircraft has (EHS fields empty)."""
    out = []
    for i in range(AIRCRAFT):
        record = dict.fromkeys(FIELDS)
        record.update(
            icao24=f"{rng.randrange(1 << 24):06x}",
            lastseen=0.0,
            callsign=f"AFR{i:04d}",
            squawk="1000",
            latitude=48.0 + i * 1e-4,
            longitude=2.0,
            altitude=35000.0,
            groundspeed=450.0,
            track=90.0,
            vertical_rate=0.0,
        )
        out.append(record)
    return out


async def main(batches: int) -> None:
    fleet = records(random.Random(1))
    with tempfile.TemporaryDirectory() as tmp:
        store = FlightHistoryStore(Path(tmp) / "h.sqlite", retention_secs=86400)
        await store.open()

        def batch(second: int) -> None:
            for i, record in enumerate(fleet):
                record["lastseen"] = 1.78e9 + second + i / AIRCRAFT
                store.observe(record)
            pending, store.pending = store.pending, []
            store._write(pending)  # the writer thread's work, here in this thread

        for second in range(3):
            batch(second)

        def measured() -> None:
            for second in range(3, 3 + batches):
                batch(second)

        start = time.process_time()
        sys.call_tracing(measured, ())
        spent = time.process_time() - start
        await store.close()
    print(f"{spent / (AIRCRAFT * batches) * 1e6:.2f} µs CPU per stored point")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=10)
    asyncio.run(main(parser.parse_args().batches))
