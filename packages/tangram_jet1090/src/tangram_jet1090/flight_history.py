"""The history store with its derived tables: flights and presence.

A subclass of :class:`HistoryStore` that keeps, in its writer thread, the tables the
history queries need (flights.py): it only extends the store's open, observe, write
and prune steps, so the store itself stays as it is.
"""

from __future__ import annotations

from typing import Any

from .flights import SCHEMA as FLIGHTS_SCHEMA
from .flights import FlightIndex, backfill_presence
from .history import COLUMNS, HistoryStore

__all__ = ["FlightHistoryStore"]

# Positions in a pending tuple ``(icao24, timestamp, *COLUMNS, registration)``.
_CALLSIGN = 2 + COLUMNS.index("callsign")
_SQUAWK = 2 + COLUMNS.index("squawk")


class FlightHistoryStore(HistoryStore):
    """The trajectory history, plus flights (for search) and presence (for the past)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flights = FlightIndex()

    def _open(self) -> None:
        super()._open()
        conn = self._conn
        assert conn is not None
        older = not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'presence'").fetchone()
        conn.executescript(FLIGHTS_SCHEMA)
        if older:  # a file of an earlier version: its points need their presence rows
            with conn:
                backfill_presence(conn)
        conn.commit()
        self._flights.load(conn)

    def observe(self, record: dict[str, Any]) -> None:
        before = len(self.pending)
        super().observe(record)
        if len(self.pending) > before:
            # The registration rides along for the flights table (not stored per point).
            self.pending[-1] = (*self.pending[-1], record["registration"])

    def _insert(self, batch: list[tuple[Any, ...]]) -> None:
        super()._insert([row[:-1] for row in batch])
        assert self._conn is not None
        with self._conn:
            self._flights.add(
                self._conn, [(r[0], r[1], r[_CALLSIGN], r[_SQUAWK], r[-1]) for r in batch]
            )

    def _delete_before(self, limit: float) -> int:
        deleted = super()._delete_before(limit)
        assert self._conn is not None
        with self._conn:
            self._flights.delete_before(self._conn, limit)
        return deleted
