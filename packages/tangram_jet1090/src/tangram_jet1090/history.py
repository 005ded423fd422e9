"""Trajectory history in SQLite: survives restarts, needs no Redis module.

The ingest path only appends tuples to a list (cheap, no I/O); ``flush()`` writes
them in one transaction from a single worker thread, so the event loop never waits
on the disk. WAL mode lets ``GET /jet1090/data/{icao24}`` read while a batch is being
written. Points are thinned to one per aircraft per ``sample_secs``. The machinery is
the shared :mod:`tangram.entities.history`; this module names the aircraft's columns.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

from tangram.entities.history import HistoryStore as _Store

from .aircraft import HISTORY_COLUMNS

__all__ = ["COLUMNS", "HistoryStore"]

#: Points waiting for the writer beyond which new ones are dropped (about 100 MB).
MAX_PENDING = 500_000

#: Stored per point, after ``icao24`` and ``timestamp`` (derived from the state vector).
COLUMNS = tuple(name for name, _ in HISTORY_COLUMNS)


class HistoryStore(_Store):
    """Append points from the ingest path; query one aircraft's recent trajectory
    (the shared :class:`tangram.entities.HistoryStore`, keyed by ``icao24``)."""

    def __init__(self, path: Path, retention_secs: float, sample_secs: float = 1.0) -> None:
        super().__init__(
            path,
            key=("icao24", "TEXT"),
            columns=HISTORY_COLUMNS,
            retention_secs=retention_secs,
            sample_secs=sample_secs,
            max_pending=MAX_PENDING,
            name="jet1090-history",
        )

    async def trajectory(
        self, icao24: Hashable, since: float | None = None
    ) -> list[dict[str, Any]]:
        """Points of one aircraft within the retention window, oldest first."""
        return await super().trajectory(str(icao24).lower(), since)
