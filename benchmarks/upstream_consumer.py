"""Run upstream tangram-jet1090 0.6.0's Rust state-vector service for the benchmark.

Started by ``jet1090_bench.py --upstream .bench/upstream/bin/python`` with the
interpreter of a separate virtual environment (``pip install tangram-jet1090==0.6.0``
there; never a dependency of this project). Prints its process CPU time (all threads)
twice a second, like the benchmark's own consumer.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from typing import Any


async def main(redis_url: str, db_path: str) -> None:
    from tangram_jet1090 import _planes  # type: ignore[import-not-found]

    # It refuses to start without a BaseStation database: give it an empty one.
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS Aircraft (ModeS TEXT, Registration TEXT,"
                   " ICAOTypeCode TEXT)")  # fmt: skip
    _planes.init_tracing_stderr("error")
    config = _planes.PlanesConfig(
        redis_url=redis_url, jet1090_channel="jet1090", history_table_name="jet1090",
        history_control_channel="history:control", state_vector_expire=20,
        stream_interval_secs=1.0, aircraft_db_path=db_path, history_buffer_size=100000,
        history_flush_interval_secs=5, history_optimize_interval_secs=120,
        history_optimize_target_file_size=134217728, history_vacuum_interval_secs=120,
        history_vacuum_retention_period_secs=120, history_checkpoint_interval=10,
        search_channel="jet1090:search",
    )  # fmt: skip
    service: Any = asyncio.ensure_future(_planes.run_planes(config))
    while not service.done():
        print(json.dumps({"cpu": time.process_time()}), flush=True)
        await asyncio.sleep(0.5)
    service.result()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
