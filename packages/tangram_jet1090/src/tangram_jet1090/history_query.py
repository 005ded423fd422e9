"""Read-only queries over the history file: flight search, slices, the past, the range.

Each query opens its own short-lived read-only connection (WAL: it never waits for the
writer) and is meant to run in a worker thread. Limits on what a client may ask for
are checked by the HTTP layer (api_history.py); these functions take them as given.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .aircraft import FIELDS
from .flights import flight_row

__all__ = [
    "Box",
    "TooManyPoints",
    "open_readonly",
    "picture_at",
    "search_flights",
    "slice_points",
    "stored_range",
]

#: Below this many characters a trigram index cannot help: prefixes only.
_TRIGRAM = 3


class TooManyPoints(Exception):
    """A slice holds more points than the caller allows."""


@dataclass(frozen=True)
class Box:
    north: float
    south: float
    east: float
    west: float

    def contains(self, lat: float | None, lon: float | None) -> bool:
        if lat is None or lon is None or not self.south <= lat <= self.north:
            return False
        if self.west <= self.east:
            return self.west <= lon <= self.east
        return lon >= self.west or lon <= self.east  # crosses the antimeridian


@contextmanager
def open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        yield conn
    finally:
        conn.close()


def search_flights(path: Path, q: str, limit: int) -> list[dict[str, Any]]:
    """Flights whose icao24, callsign, registration or a squawk contains ``q``
    (case-insensitive), newest first (by start)."""
    with open_readonly(path) as conn:
        if len(q) >= _TRIGRAM:
            phrase = '"' + q.replace('"', '""') + '"'
            # FTS5 walks its doclists in rowid (= start) order, so LIMIT stops early.
            rows = conn.execute(
                "SELECT f.* FROM flights_text JOIN flights f ON f.id = flights_text.rowid "
                "WHERE flights_text MATCH ? ORDER BY flights_text.rowid DESC LIMIT ?",
                (phrase, limit),
            ).fetchall()
        else:
            # Short queries match prefixes, kept upper case in their own index.
            rows = conn.execute(
                "SELECT f.* FROM flight_prefixes AS p JOIN flights AS f ON f.id = p.id "
                "WHERE p.prefix = ? ORDER BY p.id DESC LIMIT ?",
                (q.upper(), limit),
            ).fetchall()
    return [flight_row(row) for row in rows]


def slice_points(
    path: Path, icao24: str, start: float, stop: float, max_points: int
) -> list[dict[str, Any]]:
    """One aircraft's points with ``start <= timestamp <= stop``, in time order."""
    with open_readonly(path) as conn:
        conn.row_factory = None
        cursor = conn.execute(
            "SELECT * FROM trajectory WHERE icao24 = ? AND timestamp BETWEEN ? AND ? "
            "ORDER BY timestamp LIMIT ?",
            (icao24.lower(), start, stop, max_points + 1),
        )
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    if len(rows) > max_points:
        raise TooManyPoints(max_points)
    return [dict(zip(names, row, strict=True)) for row in rows]


def picture_at(
    path: Path, t: float, lookback: float, box: Box | None
) -> tuple[int, list[dict[str, Any]]]:
    """Every aircraft's latest point in ``(t - lookback, t]`` as a state vector:
    ``(aircraft in the window, those inside the box)``."""
    since = t - lookback
    with open_readonly(path) as conn:
        conn.row_factory = None  # plain tuples: 10,000 rows convert much faster
        # The aircraft present in the minutes of the window, then each one's latest
        # point through the (icao24, timestamp) index: a few index seeks per aircraft,
        # however many points the window holds.
        cursor = conn.execute(
            "SELECT t.* FROM (SELECT DISTINCT icao24 FROM presence "
            "WHERE minute BETWEEN ? AND ?) AS p JOIN trajectory AS t ON t.rowid = ("
            "SELECT rowid FROM trajectory WHERE icao24 = p.icao24 AND timestamp > ? "
            "AND timestamp <= ? ORDER BY timestamp DESC LIMIT 1)",
            (math.floor(since / 60), math.floor(t / 60), since, t),
        )
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    lat, lon = names.index("latitude"), names.index("longitude")
    template = dict.fromkeys(FIELDS)
    picture = []
    for row in rows:
        if box is not None and not box.contains(row[lat], row[lon]):
            continue
        state = template.copy()
        state.update(zip(names, row, strict=True))
        state["lastseen"] = state.pop("timestamp")
        picture.append(state)
    return len(rows), picture


def stored_range(path: Path) -> dict[str, Any]:
    """The oldest and newest stored points (None when empty) and the number of flights."""
    with open_readonly(path) as conn:
        # Separate sub-queries: MIN and MAX together would not use the index.
        start, stop, flights = conn.execute(
            "SELECT (SELECT MIN(timestamp) FROM trajectory), "
            "(SELECT MAX(timestamp) FROM trajectory), (SELECT COUNT(*) FROM flights)"
        ).fetchone()
    return {"start": start, "stop": stop, "flights": flights}
