"""Flights kept by the history writer (splits, restart, retention) and live search
ranking; literal points, a real SQLite file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from tangram_jet1090.aircraft import AircraftTable
from tangram_jet1090.flight_history import FlightHistoryStore
from tangram_jet1090.flights import FLIGHT_GAP_SECS, MAX_SQUAWKS
from tangram_jet1090.history_query import (
    Box,
    TooManyPoints,
    picture_at,
    search_flights,
    slice_points,
)
from tangram_jet1090.live_search import score_text, search_live


async def _store(tmp_path: Path) -> FlightHistoryStore:
    store = FlightHistoryStore(tmp_path / "h.sqlite", retention_secs=86400, sample_secs=0)
    await store.open()
    return store


def _feed(
    store: FlightHistoryStore, table: AircraftTable, icao24: str, ts: float, **fields: Any
) -> None:
    fields.setdefault("latitude", 49.0)
    fields.setdefault("longitude", 2.5)
    store.observe(table.update(icao24, ts, fields, ts))


def _summary(path: Path, q: str) -> list[tuple[Any, ...]]:
    return [
        (f["callsign"], f["count"], f["stop"] - f["start"]) for f in search_flights(path, q, 50)
    ]


async def test_flights_split_at_a_long_gap_and_at_a_callsign_change(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    table = AircraftTable(expire_secs=1e9)
    t0 = time.time() - 20000
    _feed(store, table, "393322", t0)  # no callsign yet: continues into AFR34ZG
    for i in range(1, 5):
        _feed(store, table, "393322", t0 + 60 * i, callsign="AFR34ZG")
    await store.flush()
    # just under the gap: the same flight
    _feed(store, table, "393322", t0 + 240 + FLIGHT_GAP_SECS - 1)
    # a gap of exactly FLIGHT_GAP_SECS: a new flight (the callsign carries over)
    _feed(store, table, "393322", t0 + 240 + 2 * FLIGHT_GAP_SECS - 1)
    # a new callsign: another flight, in the same batch
    _feed(store, table, "393322", t0 + 240 + 2 * FLIGHT_GAP_SECS, callsign="AFR99")
    await store.flush()
    assert _summary(store.path, "393322") == [
        ("AFR99", 1, 0.0),
        ("AFR34ZG", 1, 0.0),
        ("AFR34ZG", 6, 240 + FLIGHT_GAP_SECS - 1),
    ]
    first = search_flights(store.path, "AFR34ZG", 50)[-1]
    assert first["start"] == t0  # the point without a callsign belongs to it
    await store.close()


async def test_squawks_and_callsigns_found_later_are_searchable(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    table = AircraftTable(expire_secs=1e9)
    t0 = time.time() - 1000
    _feed(store, table, "abcdef", t0)
    await store.flush()
    assert search_flights(store.path, "BAW", 10) == []
    _feed(store, table, "abcdef", t0 + 1, callsign="BAW123", squawk="1000")
    _feed(store, table, "abcdef", t0 + 2, squawk="7700")
    for i in range(MAX_SQUAWKS + 2):
        _feed(store, table, "abcdef", t0 + 3 + i, squawk=f"{2000 + i}")
    await store.flush()
    (flight,) = search_flights(store.path, "baw1", 10)
    assert flight["count"] == MAX_SQUAWKS + 5 and flight["squawk"] == f"{2000 + MAX_SQUAWKS - 3}"
    assert search_flights(store.path, "7700", 10) == [flight]
    assert search_flights(store.path, "77", 10) == [flight]  # a squawk prefix
    assert search_flights(store.path, f"{2000 + MAX_SQUAWKS - 2}", 10) == []  # not kept
    assert search_flights(store.path, "ab", 10) == [flight]
    assert search_flights(store.path, "b", 10) == [flight]  # callsign prefix
    assert search_flights(store.path, "W1", 10) == []  # short: prefixes only
    await store.close()


async def test_open_flights_continue_after_a_restart_and_expire_with_retention(
    tmp_path: Path,
) -> None:
    store = await _store(tmp_path)
    table = AircraftTable(expire_secs=1e9)
    now = time.time()
    _feed(store, table, "393322", now - 100, callsign="AFR34ZG")
    _feed(store, table, "3c6dd1", now - 90000, callsign="OLD1")  # past a day
    await store.flush()
    await store.close()

    again = await _store(tmp_path)
    _feed(again, table, "393322", now - 50, callsign="AFR34ZG")
    await again.flush()
    assert _summary(again.path, "AFR34ZG") == [("AFR34ZG", 2, 50.0)]
    assert len(search_flights(again.path, "OLD1", 10)) == 1
    assert await again.prune(now) == 1
    assert search_flights(again.path, "OLD1", 10) == []
    await again.close()


async def test_slices_refuse_more_points_than_allowed_and_the_past_is_boxed(
    tmp_path: Path,
) -> None:
    store = await _store(tmp_path)
    table = AircraftTable(expire_secs=1e9)
    t0 = time.time() - 1000
    for i in range(10):
        _feed(store, table, "393322", t0 + i, latitude=49.0 + i / 100)
    _feed(store, table, "abcdef", t0 + 5, latitude=-33.0, longitude=151.0)
    await store.flush()
    assert len(slice_points(store.path, "393322", t0, t0 + 9, 10)) == 10
    with pytest.raises(TooManyPoints):
        slice_points(store.path, "393322", t0, t0 + 9, 9)
    count, seen = picture_at(store.path, t0 + 4.5, 60, Box(50, 48, 3, 2))
    assert count == 1 and [s["latitude"] for s in seen] == [49.04]
    count, seen = picture_at(store.path, t0 + 7, 60, Box(50, 48, 3, 2))
    assert count == 2 and [s["lastseen"] for s in seen] == [t0 + 7]
    count, seen = picture_at(store.path, t0 + 7, 60, Box(-30, -40, -179, 150))  # antimeridian
    assert [s["icao24"] for s in seen] == ["abcdef"]
    await store.close()


def test_live_search_ranks_exact_prefix_substring_fuzzy() -> None:
    records = [
        {"icao24": "393322", "callsign": "AFR34ZG", "registration": "F-GKXA", "squawk": "1000"},
        {"icao24": "3c6dd1", "callsign": "AFR3", "registration": None, "squawk": "7700"},
        {"icao24": "4ca7b1", "callsign": "RYR3AF", "registration": "EI-AFR", "squawk": None},
        {"icao24": "abcdef", "callsign": "A1F2R3", "registration": None, "squawk": None},
        {"icao24": "123456", "callsign": None, "registration": None, "squawk": None},
    ]
    ranked = [r["icao24"] for r in search_live(records, "afr3", 10)]
    assert ranked == ["3c6dd1", "393322", "abcdef"]  # exact, prefix, fuzzy
    assert [r["icao24"] for r in search_live(records, "AFR", 10)][:3] == [
        "3c6dd1", "393322", "4ca7b1"
    ]  # fmt: skip
    assert search_live(records, "7700", 10)[0]["icao24"] == "3c6dd1"
    (fuzzy,) = search_live(records, "fgkxa", 10)  # without the dash: a fuzzy match
    assert fuzzy["icao24"] == "393322" and fuzzy["score"] < score_text("F-G", "F-GKXA")
    assert "score" not in records[0]  # copies, the live records stay as they are
    assert search_live(records, "F-GK", 10)[0]["icao24"] == "393322"
    assert search_live(records, "   ", 10) == []
    assert len(search_live(records, "a", 2)) == 2
    assert score_text("AFR", "AFR") > score_text("AFR", "AFR34ZG") > score_text("AFR", "XAFR")
    assert score_text("AFR", "XAFR") > score_text("AFR", "AXFR") > 0 == score_text("AFR", "RFA")


async def test_a_file_without_presence_gets_it_when_opened(tmp_path: Path) -> None:
    # A file of the previous version: points only. Its past must show on the map too.
    path = tmp_path / "old.sqlite"
    t0 = time.time() - 100
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE trajectory (icao24 TEXT NOT NULL, timestamp REAL NOT NULL, "
            "callsign TEXT, latitude REAL, longitude REAL)"
        )
        conn.executemany(
            "INSERT INTO trajectory VALUES (?, ?, 'AFR34ZG', 49.0, 2.5)",
            [("393322", t0 + i) for i in range(0, 120, 10)],
        )
    conn.close()
    store = FlightHistoryStore(path, retention_secs=86400)
    await store.open()
    count, seen = picture_at(path, t0 + 65, 60, None)
    assert count == 1 and seen[0]["lastseen"] == t0 + 60
    await store.close()


async def test_short_prefixes_follow_retention_and_are_rebuilt_for_older_files(
    tmp_path: Path,
) -> None:
    store = await _store(tmp_path)
    table = AircraftTable(expire_secs=1e9)
    now = time.time()
    _feed(store, table, "393322", now - 100, callsign="AFR34ZG", squawk="1000")
    _feed(store, table, "3c6dd1", now - 90000, callsign="OLD1")  # past a day
    await store.flush()
    assert [f["icao24"] for f in search_flights(store.path, "ol", 10)] == ["3c6dd1"]
    assert await store.prune(now) == 1
    assert search_flights(store.path, "ol", 10) == []
    await store.close()

    def prefix_rows() -> int:
        with sqlite3.connect(tmp_path / "h.sqlite") as conn:
            return int(conn.execute("SELECT count(*) FROM flight_prefixes").fetchone()[0])

    # Retention left only the live flight's prefixes: 3, 39, A, AF, 1, 10.
    assert prefix_rows() == 6
    # A file written before the prefix table existed (with the triggers of then) gets it
    # filled when opened, and its new flights get prefixes too.
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        conn.execute("DROP TABLE flight_prefixes")
        conn.execute("DROP TRIGGER flights_text_insert")
        conn.execute(
            "CREATE TRIGGER flights_text_insert AFTER INSERT ON flights BEGIN "
            "INSERT INTO flights_text (rowid, icao24, callsign, registration, squawks) "
            "VALUES (new.id, new.icao24, new.callsign, new.registration, new.squawks); END"
        )
    again = await _store(tmp_path)
    assert prefix_rows() == 6
    assert [f["callsign"] for f in search_flights(again.path, "10", 10)] == ["AFR34ZG"]
    _feed(again, table, "4ca123", now - 10, callsign="EIN5")
    await again.flush()
    assert [f["callsign"] for f in search_flights(again.path, "ei", 10)] == ["EIN5"]
    await again.close()
