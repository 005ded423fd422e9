"""Trajectory history in SQLite: survives restarts, needs no Redis module.

The ingest path only appends tuples to a list (cheap, no I/O); ``flush()`` writes
them in one transaction from a single worker thread, so the event loop never waits
on the disk. WAL mode lets trajectory reads run while a batch is being written.
Points are thinned to one per entity per ``sample_secs``. One table, ``trajectory``:
the key column, ``timestamp`` and the plugin's columns.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import Any

from .rows import insert_rows

__all__ = ["DEFAULT_MAX_PENDING", "HistoryStore"]

log = logging.getLogger(__name__)

#: Points waiting for the writer beyond which new ones are dropped (about 100 MB).
DEFAULT_MAX_PENDING = 500_000
_FLUSH_SECS = 1.0
_PRUNE_SECS = 60.0


def _null(value: None) -> None:
    return None


# sqlite3 binds exact int, float and str at once but sends any other parameter, None
# included, through its adapter protocol, which for None formats and then discards an
# AttributeError per value (a state vector has many empty columns: that was a third of
# the writer's CPU). An adapter registered for None is found first; None still binds as
# NULL. This is process-wide and changes no value, for every sqlite3 user.
sqlite3.register_adapter(type(None), _null)


class HistoryStore:
    """Append points from the ingest path; query one entity's recent trajectory.

    ``key`` is ``(name, SQLite type)`` of the key column (``("icao24", "TEXT")``);
    ``columns`` the ``(name, SQLite type)`` stored per point, read from the record
    (a type of None is an untyped column).
    """

    #: Record fields queued after a point's columns for :meth:`on_insert`, not stored
    #: in ``trajectory`` (a hook for subclasses).
    point_extras: tuple[str, ...] = ()

    def __init__(
        self,
        path: Path,
        key: tuple[str, str],
        columns: Sequence[tuple[str, str | None]],
        retention_secs: float,
        sample_secs: float = 1.0,
        max_pending: int = DEFAULT_MAX_PENDING,
        name: str = "history",
    ) -> None:
        self.path = path
        self.key_name, key_sql = key
        self.columns = tuple(name for name, _ in columns)
        self.retention_secs = retention_secs
        self.sample_secs = sample_secs
        self.max_pending = max_pending
        self.pending: list[tuple[Any, ...]] = []
        self.written = 0
        self.dropped = 0
        self._last_point: dict[Hashable, float] = {}
        # One C call builds a pending row from the record (a comprehension over the
        # columns cost three times as much, for every kept point).
        row_fields = (self.key_name, "lastseen", *self.columns, *self.point_extras)
        self._row: Callable[[dict[str, Any]], tuple[Any, ...]] = itemgetter(*row_fields)
        self._schema = f"""
CREATE TABLE IF NOT EXISTS trajectory (
    {self.key_name} {key_sql} NOT NULL,
    timestamp REAL NOT NULL,
    {", ".join(f"{name} {sql or ''}".strip() for name, sql in columns)}
);
CREATE INDEX IF NOT EXISTS trajectory_{self.key_name}_ts ON trajectory ({self.key_name}, timestamp);
CREATE INDEX IF NOT EXISTS trajectory_ts ON trajectory (timestamp);
"""
        # One statement per batch, not per row (see rows.py: the GIL).
        self._insert = insert_rows("trajectory", (self.key_name, "timestamp", *self.columns))
        # One writer thread owns the write connection (sqlite3 objects are not
        # thread-safe); reads use short-lived connections of their own.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a power cut may lose the last batch, never corrupt the file.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(self._schema)
        self.on_open(conn)
        conn.commit()
        self._conn = conn

    # -- hooks for a plugin's own tables next to the trajectory (all on the writer thread,
    # inside the same transaction as the points) -----------------------------------------

    def on_open(self, conn: sqlite3.Connection) -> None:
        """After the trajectory schema, before the first commit: create/upgrade more."""

    def on_insert(self, conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
        """After a batch of points ``(key, timestamp, *columns, *extras)`` is inserted."""

    def on_delete(self, conn: sqlite3.Connection, limit: float) -> None:
        """After the points older than ``limit`` were deleted."""

    def observe(self, record: dict[str, Any]) -> None:
        """Called for every message carrying a position (on the event loop)."""
        key, ts = record[self.key_name], record["lastseen"]
        last = self._last_point.get(key)
        if last is not None and ts - last < self.sample_secs and ts >= last:
            return
        self._last_point[key] = ts
        if len(self.pending) >= self.max_pending:
            # The disk cannot keep up: lose points rather than memory.
            self.dropped += 1
            return
        self.pending.append(self._row(record))

    async def flush(self) -> int:
        """Write the pending points in one transaction; returns how many."""
        batch, self.pending = self.pending, []
        if batch:
            await self._run(self._write, batch)
            self.written += len(batch)
        return len(batch)

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        assert self._conn is not None, "open() first"
        width = len(self.columns) + 2
        rows = batch if len(batch[0]) == width else [row[:width] for row in batch]
        with self._conn:
            self._insert.run(self._conn, rows)
            self.on_insert(self._conn, batch)

    async def prune(self, now: float | None = None) -> int:
        """Delete points older than the retention window; returns how many."""
        limit = (time.time() if now is None else now) - self.retention_secs
        stale = [key for key, ts in self._last_point.items() if ts < limit]
        for key in stale:
            del self._last_point[key]
        deleted: int = await self._run(self._delete_before, limit)
        return deleted

    def _delete_before(self, limit: float) -> int:
        assert self._conn is not None, "open() first"
        with self._conn:
            cursor = self._conn.execute("DELETE FROM trajectory WHERE timestamp < ?", (limit,))
            self.on_delete(self._conn, limit)
            return cursor.rowcount

    async def trajectory(self, key: Hashable, since: float | None = None) -> list[dict[str, Any]]:
        """Points of one entity within the retention window, oldest first."""
        limit = time.time() - self.retention_secs
        if since is not None:
            limit = max(limit, since)
        return await asyncio.to_thread(self._select, key, limit)

    def connect_readonly(self) -> sqlite3.Connection:
        """A short-lived read connection (any thread); the caller closes it."""
        conn = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        return conn

    def _select(self, key: Hashable, limit: float) -> list[dict[str, Any]]:
        conn = self.connect_readonly()
        try:
            rows = conn.execute(
                f"SELECT * FROM trajectory WHERE {self.key_name} = ? AND timestamp >= ? "
                "ORDER BY timestamp",
                (key, limit),
            ).fetchall()
        finally:
            conn.close()
        return [dict(row) for row in rows]

    async def maintain(self) -> None:
        """Forever: write pending points every second, prune every minute."""
        last_prune = 0.0
        while True:
            await asyncio.sleep(_FLUSH_SECS)
            await self.flush()
            if time.monotonic() - last_prune > _PRUNE_SECS:
                last_prune = time.monotonic()
                await self.prune()

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
