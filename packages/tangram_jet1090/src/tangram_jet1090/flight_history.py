"""The history store with its derived tables: flights and presence.

A subclass of :class:`HistoryStore` that keeps, in its writer thread, the tables the
history queries need (flights.py): it fills the shared store's hooks (open, extras,
insert, delete), so the store itself stays as it is.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .flights import BACKFILL_PREFIXES, FlightIndex, backfill_presence
from .flights import SCHEMA as FLIGHTS_SCHEMA
from .history import COLUMNS, HistoryStore

__all__ = ["FlightHistoryStore"]

# Positions in a pending tuple ``(icao24, timestamp, *COLUMNS, registration)``.
_CALLSIGN = 2 + COLUMNS.index("callsign")
_SQUAWK = 2 + COLUMNS.index("squawk")


class FlightHistoryStore(HistoryStore):
    """The trajectory history, plus flights (for search) and presence (for the past),
    kept through the shared store's hooks, in the same transactions as the points."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flights = FlightIndex()

    def on_open(self, conn: sqlite3.Connection) -> None:
        def missing(table: str) -> bool:
            query = "SELECT 1 FROM sqlite_master WHERE name = ?"
            return conn.execute(query, (table,)).fetchone() is None

        no_presence, no_prefixes = missing("presence"), missing("flight_prefixes")
        if no_prefixes:  # its triggers predate the prefixes: make them anew
            for trigger in ("insert", "delete", "update"):
                conn.execute(f"DROP TRIGGER IF EXISTS flights_text_{trigger}")
        conn.executescript(FLIGHTS_SCHEMA)
        # A file of an earlier version: fill the tables it did not have yet.
        if no_presence:
            backfill_presence(conn)
        if no_prefixes:
            conn.executescript(BACKFILL_PREFIXES)
        self._flights.load(conn)

    #: The registration rides along for the flights table (not stored per point).
    point_extras = ("registration",)

    def on_insert(self, conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
        self._flights.add(conn, [(r[0], r[1], r[_CALLSIGN], r[_SQUAWK], r[-1]) for r in batch])

    def on_delete(self, conn: sqlite3.Connection, limit: float) -> None:
        self._flights.delete_before(conn, limit)
