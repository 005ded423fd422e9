"""The SQLite history: thinning, retention, restart, and the ingest-path queue."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import tangram_jet1090.history as history_module
from tangram_jet1090.aircraft import FIELDS, HISTORY_COLUMNS, AircraftTable
from tangram_jet1090.history import COLUMNS, HistoryStore


async def test_points_are_thinned_pruned_and_kept_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    store = HistoryStore(path, retention_secs=600, sample_secs=1.0)
    await store.open()
    table = AircraftTable(expire_secs=20)
    now = time.time()
    # 4 Hz positions for 10 s, of which one point per second is kept
    for i in range(40):
        ts = now - 10 + i / 4
        record = table.update("393322", ts, {"latitude": 49 + i / 1000, "longitude": 2.5}, now)
        store.observe(record)
    # and a point older than the retention window
    old = table.update("3c6dd1", now - 3600, {"latitude": 48.0, "longitude": 2.0}, now)
    store.observe(old)
    assert await store.flush() == 11
    track = await store.trajectory("393322")
    assert len(track) == 10
    assert [p["timestamp"] for p in track] == sorted(p["timestamp"] for p in track)
    assert await store.trajectory("3C6DD1") == []  # outside the window, case-insensitive
    assert await store.prune() == 1
    recent = await store.trajectory("393322", since=now - 3)
    assert 2 <= len(recent) <= 4
    await store.close()

    # WAL mode, and the points are still there after reopening
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = HistoryStore(path, retention_secs=600)
    await again.open()
    assert await again.trajectory("393322") == track
    await again.close()


async def test_queue_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_module, "MAX_PENDING", 5)
    store = HistoryStore(tmp_path / "h.sqlite", retention_secs=600, sample_secs=0)
    await store.open()
    table = AircraftTable(expire_secs=20)
    for i in range(8):
        store.observe(table.update("393322", 1000.0 + i, {"latitude": 1.0, "longitude": 2.0}, 0))
    assert (len(store.pending), store.dropped) == (5, 3)
    await store.close()


async def test_paths_with_uri_characters_work(tmp_path: Path) -> None:
    # SQLite URIs treat "?" and "#" specially; the store must open the file it was given.
    folder = tmp_path / "data #1?"
    folder.mkdir()
    store = HistoryStore(folder / "h%20.sqlite", retention_secs=600)
    await store.open()
    table = AircraftTable(expire_secs=20)
    now = time.time()
    store.observe(table.update("393322", now, {"latitude": 49.0, "longitude": 2.5}, now))
    assert await store.flush() == 1
    assert [p["latitude"] for p in await store.trajectory("393322")] == [49.0]
    await store.close()
    assert (folder / "h%20.sqlite").is_file()


async def test_points_carry_the_state_vector_columns_also_in_an_older_file(
    tmp_path: Path,
) -> None:
    # A file created by an earlier version, whose columns were listed in another order.
    path = tmp_path / "old.sqlite"
    older = (
        "callsign TEXT, latitude REAL, longitude REAL, altitude REAL, selected_altitude REAL, "
        "groundspeed REAL, vertical_rate REAL, track REAL, ias REAL, tas REAL, mach REAL, "
        "roll REAL, heading REAL, squawk TEXT"
    )
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"CREATE TABLE trajectory (icao24 TEXT NOT NULL, timestamp REAL NOT NULL, {older})"
        )
    conn.close()
    fields = {name: 1.5 for name, sql in HISTORY_COLUMNS if sql == "REAL"}
    fields.update(callsign="AFR34ZG", squawk="7000")
    store = HistoryStore(path, retention_secs=600)
    await store.open()
    record = AircraftTable(expire_secs=20).update("393322", time.time(), fields, time.time())
    store.observe(record)
    await store.flush()
    (point,) = await store.trajectory("393322")
    await store.close()
    assert set(point) == {"icao24", "timestamp", *COLUMNS}
    assert {name: point[name] for name in COLUMNS} == {name: record[name] for name in COLUMNS}
    # One definition: every stored column is a state-vector field, in the same order.
    assert [name for name in FIELDS if name in COLUMNS] == list(COLUMNS)
