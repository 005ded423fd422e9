"""Flights and presence: what the history writer derives from points, for queries.

A flight ends at a gap of ``FLIGHT_GAP_SECS`` or more between two points, or when the
callsign changes (a point without a callsign continues the current flight, and the
first callsign seen names it). Searching points for this at query time would scan the
whole store; instead the writer thread updates one ``flights`` row per open flight
with every batch, and a trigram full-text index (SQLite FTS5, kept in sync by
triggers) makes substring search over a million flights an index look-up.

``presence`` records which aircraft had points in each minute: the picture at a past
instant starts from it (a few rows per aircraft) instead of grouping every point of
the look-back window (one per aircraft per second).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tangram.entities.rows import insert_rows, update_rows

__all__ = [
    "BACKFILL_PREFIXES",
    "FLIGHT_GAP_SECS",
    "MAX_SQUAWKS",
    "SCHEMA",
    "FlightIndex",
    "OpenFlight",
    "backfill_presence",
    "delete_before",
    "flight_row",
]

#: A gap this long between two points of one aircraft starts a new flight.
FLIGHT_GAP_SECS = 1800.0
#: Distinct squawks remembered per flight (searchable); later ones are not recorded.
MAX_SQUAWKS = 8

_TEXT = "icao24, callsign, registration, squawks"
_OLD = "old.id, old.icao24, old.callsign, old.registration, old.squawks"
_NEW = "new.id, new.icao24, new.callsign, new.registration, new.squawks"


def _prefix_terms(row: str) -> list[str]:
    """SQL for the 1- and 2-character prefixes of a flight's searchable words: icao24,
    callsign, registration and each of the up to MAX_SQUAWKS squawks (4-character codes
    joined by single spaces)."""
    terms = [
        f"substr({row}{c}, 1, {n})" for c in ("icao24", "callsign", "registration") for n in (1, 2)
    ]
    terms += [f"substr({row}squawks, {5 * i + 1}, {n})" for i in range(MAX_SQUAWKS) for n in (1, 2)]
    return terms


def _prefix_insert() -> str:
    union = " UNION ALL ".join(f"SELECT {t} AS p" for t in _prefix_terms("new."))
    return (
        "INSERT OR IGNORE INTO flight_prefixes (id, prefix) SELECT new.id, upper(p) "
        f"FROM ({union}) WHERE p IS NOT NULL AND p <> ''"
    )


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS flights (
    id INTEGER PRIMARY KEY,
    icao24 TEXT NOT NULL,
    callsign TEXT,
    registration TEXT,
    squawks TEXT NOT NULL DEFAULT '',
    start REAL NOT NULL,
    stop REAL NOT NULL,
    count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS flights_stop ON flights (stop);
-- Every batch moves each open flight's stop, so each index holding it is rewritten for
-- every point: no query reads flights by icao24 (search goes through flights_text),
-- so files of earlier versions lose that index.
DROP INDEX IF EXISTS flights_icao24;
CREATE VIRTUAL TABLE IF NOT EXISTS flights_text USING fts5(
    {_TEXT}, content='flights', content_rowid='id', tokenize='trigram'
);
-- Queries of one or two characters match prefixes, which a trigram index cannot
-- serve: this table holds each flight's short prefixes (upper case), so that such a
-- search is one index range read newest first, however rare the prefix.
CREATE TABLE IF NOT EXISTS flight_prefixes (
    id INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    PRIMARY KEY (id, prefix)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS flight_prefixes_prefix ON flight_prefixes (prefix, id);
CREATE TABLE IF NOT EXISTS presence (
    minute INTEGER NOT NULL,
    icao24 TEXT NOT NULL,
    PRIMARY KEY (minute, icao24)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS flights_text_insert AFTER INSERT ON flights BEGIN
    INSERT INTO flights_text (rowid, {_TEXT}) VALUES ({_NEW});
    {_prefix_insert()};
END;
CREATE TRIGGER IF NOT EXISTS flights_text_delete AFTER DELETE ON flights BEGIN
    INSERT INTO flights_text (flights_text, rowid, {_TEXT}) VALUES ('delete', {_OLD});
    DELETE FROM flight_prefixes WHERE id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS flights_text_update
AFTER UPDATE OF {_TEXT} ON flights BEGIN
    INSERT INTO flights_text (flights_text, rowid, {_TEXT}) VALUES ('delete', {_OLD});
    INSERT INTO flights_text (rowid, {_TEXT}) VALUES ({_NEW});
    DELETE FROM flight_prefixes WHERE id = old.id;
    {_prefix_insert()};
END;
"""

#: The prefixes of every flight, for a file written before flight_prefixes existed.
BACKFILL_PREFIXES = ";\n".join(
    f"INSERT OR IGNORE INTO flight_prefixes (id, prefix) SELECT id, upper({t}) "
    f"FROM flights WHERE {t} <> ''"
    for t in _prefix_terms("")
)

_INSERT = (
    "INSERT INTO flights (icao24, callsign, registration, squawks, start, stop, count) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# Only these columns change with every point; leaving the text columns out of the SET
# clause keeps the full-text triggers quiet.
_TOUCH = "UPDATE flights SET start = ?, stop = ?, count = ? WHERE id = ?"
# The same two, one statement per batch (thousands of rows a second; see
# tangram.entities.rows: the writer thread and the GIL).
_TOUCH_ROWS = update_rows("flights", ("start", "stop", "count"), key="id")
_PRESENT_ROWS = insert_rows("presence", ("minute", "icao24"), or_ignore=True)
_RETEXT = "UPDATE flights SET callsign = ?, registration = ?, squawks = ? WHERE id = ?"


@dataclass
class OpenFlight:
    id: int
    icao24: str
    callsign: str | None
    registration: str | None
    squawks: list[str]
    start: float
    stop: float
    count: int
    text_changed: bool = field(default=False, compare=False)
    #: ``count`` as last written, and the first timestamp of the batch being written.
    saved_count: int = field(default=0, compare=False)
    batch_start: float = field(default=0.0, compare=False)


class FlightIndex:
    """The flights still open, per aircraft; used only by the history's writer thread."""

    def __init__(self, gap_secs: float = FLIGHT_GAP_SECS) -> None:
        self.gap_secs = gap_secs
        self.open: dict[str, OpenFlight] = {}
        #: The last minute written to ``presence``, per aircraft.
        self.minute: dict[str, int] = {}

    def load(self, conn: sqlite3.Connection) -> None:
        """Resume the flights that may continue (after a restart)."""
        rows = conn.execute(
            "SELECT id, icao24, callsign, registration, squawks, start, stop, count "
            "FROM flights WHERE stop >= (SELECT MAX(stop) FROM flights) - ? ORDER BY id",
            (self.gap_secs,),
        )
        for id_, icao24, callsign, registration, squawks, start, stop, count in rows:
            self.open[icao24] = OpenFlight(
                id_,
                icao24,
                callsign,
                registration,
                squawks.split(),
                start,
                stop,
                count,
                saved_count=count,
            )

    def add(
        self,
        conn: sqlite3.Connection,
        points: Iterable[tuple[str, float, str | None, str | None, str | None]],
    ) -> None:
        """Account for ``(icao24, timestamp, callsign, squawk, registration)`` points,
        inside the caller's transaction."""
        touched: dict[int, OpenFlight] = {}
        present: list[tuple[int, str]] = []
        for icao24, ts, callsign, squawk, registration in points:
            minute = int(ts // 60) if math.isfinite(ts) else 0
            if self.minute.get(icao24) != minute:
                self.minute[icao24] = minute
                present.append((minute, icao24))
            flight = self.open.get(icao24)
            if (
                flight is None
                or ts - flight.stop >= self.gap_secs
                or (callsign and flight.callsign and callsign != flight.callsign)
            ):
                flight = self._start(conn, icao24, ts, callsign, squawk, registration)
                self.open[icao24] = flight
            else:
                self._extend(flight, ts, callsign, squawk, registration)
            if flight.id not in touched:
                flight.batch_start = ts
                touched[flight.id] = flight
        rows = [(f.start, f.stop, f.count, f.id) for f in touched.values()]
        # One statement for every flight (thousands a second); only when some row was
        # missing (purged meanwhile) are they redone one by one to find which.
        if _TOUCH_ROWS.run(conn, rows) == len(rows):
            for flight in touched.values():
                flight.saved_count = flight.count
            touched_again: dict[int, OpenFlight] = {}
        else:
            touched_again = touched
        for flight in touched_again.values():
            if conn.execute(_TOUCH, (flight.start, flight.stop, flight.count, flight.id)).rowcount:
                flight.saved_count = flight.count
                continue
            # Purged meanwhile (`tangram jet1090 history purge` on a running server):
            # the flight goes on from this batch's points, under a new id.
            flight.count -= flight.saved_count
            flight.saved_count = flight.count
            flight.start = flight.batch_start
            renewed = self._start(
                conn, flight.icao24, flight.start, flight.callsign, None, flight.registration
            )
            flight.id, flight.text_changed = renewed.id, True
            conn.execute(_TOUCH, (flight.start, flight.stop, flight.count, flight.id))
        _PRESENT_ROWS.run(conn, present)
        changed = [f for f in touched.values() if f.text_changed]
        conn.executemany(
            _RETEXT, [(f.callsign, f.registration, " ".join(f.squawks), f.id) for f in changed]
        )
        for flight in changed:
            flight.text_changed = False

    def _start(
        self,
        conn: sqlite3.Connection,
        icao24: str,
        ts: float,
        callsign: str | None,
        squawk: str | None,
        registration: str | None,
    ) -> OpenFlight:
        squawks = [squawk] if squawk else []
        cursor = conn.execute(
            _INSERT, (icao24, callsign, registration, " ".join(squawks), ts, ts, 1)
        )
        assert cursor.lastrowid is not None
        return OpenFlight(cursor.lastrowid, icao24, callsign, registration, squawks, ts, ts, 1)

    @staticmethod
    def _extend(
        flight: OpenFlight,
        ts: float,
        callsign: str | None,
        squawk: str | None,
        registration: str | None,
    ) -> None:
        flight.count += 1
        # A late (out-of-order) point widens the flight but never splits it.
        flight.stop = max(flight.stop, ts)
        flight.start = min(flight.start, ts)
        if callsign and not flight.callsign:
            flight.callsign, flight.text_changed = callsign, True
        if registration and registration != flight.registration:
            flight.registration, flight.text_changed = registration, True
        if squawk and squawk not in flight.squawks and len(flight.squawks) < MAX_SQUAWKS:
            flight.squawks.append(squawk)
            flight.text_changed = True

    def delete_before(self, conn: sqlite3.Connection, limit: float) -> int:
        """Forget flights that ended before ``limit`` (retention); returns how many."""
        for icao24 in [i for i, f in self.open.items() if f.stop < limit]:
            del self.open[icao24]
        for icao24 in [i for i, m in self.minute.items() if (m + 1) * 60 <= limit]:
            del self.minute[icao24]
        return delete_before(conn, limit)


def delete_before(conn: sqlite3.Connection, limit: float) -> int:
    """Delete flights that ended, and minutes of presence that ended, before ``limit``;
    returns the number of flights deleted."""
    if math.isfinite(limit):  # minutes that ended by the limit (an index range)
        conn.execute("DELETE FROM presence WHERE minute < ?", (math.floor(limit / 60),))
    else:
        conn.execute("DELETE FROM presence")
    return conn.execute("DELETE FROM flights WHERE stop < ?", (limit,)).rowcount


def backfill_presence(conn: sqlite3.Connection) -> None:
    """Fill ``presence`` from the points of a file written by an earlier version."""
    conn.execute(
        "INSERT OR IGNORE INTO presence SELECT CAST(timestamp / 60 AS INTEGER), icao24 "
        "FROM trajectory WHERE timestamp >= 0"
    )


def flight_row(row: Any) -> dict[str, Any]:
    """A ``flights`` row as the search route returns it."""
    squawks = row["squawks"].split()
    return {
        "icao24": row["icao24"],
        "callsign": row["callsign"],
        "registration": row["registration"],
        "squawk": squawks[-1] if squawks else None,
        "start": row["start"],
        "stop": row["stop"],
        "count": row["count"],
    }
