"""The history writer next to a busy event loop: ``executemany`` against multi-row statements.

A second of history (3000 points of the jet1090 schema) is written by a thread while
the main thread spins in Python, as the event loop does under heavy traffic, then
alone; for each way of writing, the writer's wall time and CPU time (its own thread).
See ``tangram.entities.rows`` for why they differ.

    .venv/bin/python benchmarks/rows_gil.py
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from tangram_jet1090.aircraft import HISTORY_COLUMNS

from tangram.entities.rows import RowsStatement, insert_rows

COLUMNS = ("icao24", "timestamp", *(name for name, _ in HISTORY_COLUMNS))


def rows(second: int) -> list[tuple[object, ...]]:
    values: dict[str, object] = {"callsign": "AFR34ZG", "squawk": "1000", "altitude": 35000}
    values |= {"latitude": 48.5, "longitude": 2.25, "groundspeed": 450.0, "track": 92.5}
    return [
        (f"{i:06x}", 1.78e9 + second + i / 3000, *(values.get(c) for c in COLUMNS[2:]))
        for i in range(3000)
    ]


def write(conn: sqlite3.Connection, how: str, batch: list[tuple[object, ...]]) -> None:
    statement = insert_rows("trajectory", COLUMNS)
    with conn:
        if how == "executemany":
            conn.executemany(statement.per_row, batch)
        else:
            RowsStatement.run(statement, conn, batch)


def timed(conn: sqlite3.Connection, how: str, second: int, busy: bool) -> tuple[float, float]:
    out: list[tuple[float, float]] = []

    def writer() -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        write(conn, how, rows(second))
        out.append((time.perf_counter() - wall, time.thread_time() - cpu))

    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(100))

    spinner = threading.Thread(target=spin)
    if busy:
        spinner.start()
    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    stop.set()
    if busy:
        spinner.join()
    return out[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "h.sqlite", check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"CREATE TABLE trajectory ({', '.join(COLUMNS)})")
        conn.execute("CREATE INDEX by_key ON trajectory (icao24, timestamp)")
        conn.execute("CREATE INDEX by_time ON trajectory (timestamp)")
        print(f"SQLite {sqlite3.sqlite_version}; 3000 rows per batch")
        print(f"{'writer':>12} {'next to':>10} {'wall ms':>9} {'CPU ms':>8}")
        second = 0
        for how in ("executemany", "values"):
            for busy in (False, True):
                second += 1
                wall, cpu = timed(conn, how, second, busy)
                label = "busy loop" if busy else "nothing"
                print(f"{how:>12} {label:>10} {wall * 1e3:>9.1f} {cpu * 1e3:>8.1f}")


if __name__ == "__main__":
    main()
