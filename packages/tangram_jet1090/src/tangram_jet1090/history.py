"""Trajectory history in SQLite: survives restarts, needs no Redis module.

The ingest path only appends tuples to a list (cheap, no I/O); ``flush()`` writes
them in one transaction from a single worker thread, so the event loop never waits
on the disk. WAL mode lets ``GET /jet1090/data/{icao24}`` read while a batch is being
written. Points are thinned to one per aircraft per ``sample_secs``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .aircraft import HISTORY_COLUMNS

__all__ = ["COLUMNS", "HistoryStore"]

log = logging.getLogger(__name__)

#: Points waiting for the writer beyond which new ones are dropped (about 100 MB).
MAX_PENDING = 500_000

#: Stored per point, after ``icao24`` and ``timestamp`` (derived from the state vector).
COLUMNS = tuple(name for name, _ in HISTORY_COLUMNS)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS trajectory (
    icao24 TEXT NOT NULL,
    timestamp REAL NOT NULL,
    {", ".join(f"{name} {sql}" for name, sql in HISTORY_COLUMNS)}
);
CREATE INDEX IF NOT EXISTS trajectory_icao24_ts ON trajectory (icao24, timestamp);
CREATE INDEX IF NOT EXISTS trajectory_ts ON trajectory (timestamp);
"""
_INSERT = (
    f"INSERT INTO trajectory (icao24, timestamp, {', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 2))})"
)


class HistoryStore:
    """Append points from the ingest path; query one aircraft's recent trajectory."""

    def __init__(self, path: Path, retention_secs: float, sample_secs: float = 1.0) -> None:
        self.path = path
        self.retention_secs = retention_secs
        self.sample_secs = sample_secs
        self.pending: list[tuple[Any, ...]] = []
        self.written = 0
        self.dropped = 0
        self._last_point: dict[str, float] = {}
        # One writer thread owns the write connection (sqlite3 objects are not
        # thread-safe); reads use short-lived connections of their own.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jet1090-history")
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a power cut may lose the last batch, never corrupt the file.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        conn.commit()
        self._conn = conn

    def observe(self, record: dict[str, Any]) -> None:
        """Called for every message carrying a position (on the event loop)."""
        icao24, ts = record["icao24"], record["lastseen"]
        last = self._last_point.get(icao24)
        if last is not None and ts - last < self.sample_secs and ts >= last:
            return
        self._last_point[icao24] = ts
        if len(self.pending) >= MAX_PENDING:
            # The disk cannot keep up: lose points rather than memory.
            self.dropped += 1
            return
        self.pending.append((icao24, ts, *[record[c] for c in COLUMNS]))

    async def flush(self) -> int:
        """Write the pending points in one transaction; returns how many."""
        batch, self.pending = self.pending, []
        if batch:
            await self._run(self._insert, batch)
            self.written += len(batch)
        return len(batch)

    def _insert(self, batch: list[tuple[Any, ...]]) -> None:
        assert self._conn is not None, "open() first"
        with self._conn:
            self._conn.executemany(_INSERT, batch)

    async def prune(self, now: float | None = None) -> int:
        """Delete points older than the retention window; returns how many."""
        limit = (time.time() if now is None else now) - self.retention_secs
        stale = [icao for icao, ts in self._last_point.items() if ts < limit]
        for icao in stale:
            del self._last_point[icao]
        deleted: int = await self._run(self._delete_before, limit)
        return deleted

    def _delete_before(self, limit: float) -> int:
        assert self._conn is not None, "open() first"
        with self._conn:
            cursor = self._conn.execute("DELETE FROM trajectory WHERE timestamp < ?", (limit,))
            return cursor.rowcount

    async def trajectory(self, icao24: str, since: float | None = None) -> list[dict[str, Any]]:
        """Points of one aircraft within the retention window, oldest first."""
        limit = time.time() - self.retention_secs
        if since is not None:
            limit = max(limit, since)
        return await asyncio.to_thread(self._select, icao24.lower(), limit)

    def _select(self, icao24: str, limit: float) -> list[dict[str, Any]]:
        conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT * FROM trajectory WHERE icao24 = ? AND timestamp >= ? ORDER BY timestamp",
                (icao24, limit),
            ).fetchall()
        finally:
            conn.close()
        return [dict(row) for row in rows]

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            if self._conn is not None:
                await self._run(self._conn.close)
                self._conn = None
            self._writer.shutdown(wait=True)

    async def _run(self, func: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, func, *args)
