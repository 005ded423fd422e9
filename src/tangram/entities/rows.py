"""Many rows in a few SQLite statements, so that the history writer thread takes the
GIL back a few times per batch instead of once per row.

``executemany`` releases the GIL around each row's step and takes it back after. On a
busy server the event loop holds the GIL nearly all the time, and each take-back then
waits for the loop's switch interval (5 ms): a second of history (3000 points) took
9-11 s of wall time and 0.2-0.3 s of CPU next to a thread spinning in Python, against
about 20 ms alone, so the history fell behind exactly when traffic was heaviest. The
same rows as multi-row ``VALUES`` statements (up to 1024 rows each, within SQLite's
limit on parameters) step a few times per batch: 30-60 ms of wall time and 13-21 ms of
CPU next to the same busy thread, and about 27 ms alone (``benchmarks/rows_gil.py``).

Values are bound exactly as ``executemany`` binds them. Statements are made for
chunks of a power of two rows, so that sqlite3's statement cache keeps a handful.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

__all__ = ["RowsStatement", "insert_rows", "update_rows"]

#: Rows per statement at most (fewer when the row is wide: SQLite caps parameters).
MAX_CHUNK = 1024
#: ``UPDATE ... FROM`` (SQLite 3.33); older ones update row by row.
_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)


@dataclass(frozen=True)
class RowsStatement:
    """``head`` + ``VALUES (?, ...), (?, ...)`` + ``tail`` for chunks of rows of
    ``width`` values, or ``per_row`` through ``executemany`` when ``head`` is empty."""

    per_row: str
    width: int
    head: str = ""
    tail: str = ""

    def run(self, conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> int:
        """Run over ``rows``; returns the number of rows changed (not counting what
        triggers change)."""
        if not self.head:
            return conn.executemany(self.per_row, rows).rowcount
        limit = _max_parameters(conn) // self.width
        chunk = MAX_CHUNK
        while chunk > max(limit, 1):
            chunk //= 2
        changed, start = 0, 0
        while start < len(rows):
            while chunk > len(rows) - start:
                chunk //= 2
            values = list(chain.from_iterable(rows[start : start + chunk]))
            changed += conn.execute(self._sql(chunk), values).rowcount
            start += chunk
        return changed

    def _sql(self, rows: int) -> str:
        one = f"({', '.join('?' * self.width)})"
        return f"{self.head} VALUES {', '.join([one] * rows)}{self.tail}"


def _max_parameters(conn: sqlite3.Connection) -> int:
    """SQLite's cap on the parameters of one statement (32766 by default since 3.32;
    Python 3.10 cannot ask, so it takes the older default, 999)."""
    getlimit = getattr(conn, "getlimit", None)
    if getlimit is None:
        return 999
    limit: int = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[attr-defined]
    return limit


def insert_rows(table: str, columns: Sequence[str], or_ignore: bool = False) -> RowsStatement:
    """``INSERT`` of rows holding ``columns`` in this order."""
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    head = f"{verb} INTO {table} ({', '.join(columns)})"
    per_row = f"{head} VALUES ({', '.join('?' * len(columns))})"
    return RowsStatement(per_row, len(columns), head)


def update_rows(table: str, columns: Sequence[str], key: str) -> RowsStatement:
    """``UPDATE`` of ``columns`` by ``key``: rows are ``(*values, key)``; keys must be
    unique within a batch."""
    n = len(columns)
    per_row = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE {key} = ?"
    if not _UPDATE_FROM:
        return RowsStatement(per_row, n + 1)
    # A VALUES subquery names its columns column1, column2, ...; the statement opens
    # with UPDATE so that sqlite3 reports its rowcount.
    sets = ", ".join(f"{c} = batch.column{i + 1}" for i, c in enumerate(columns))
    return RowsStatement(
        per_row,
        n + 1,
        head=f"UPDATE {table} SET {sets} FROM (",
        tail=f") AS batch WHERE {table}.{key} = batch.column{n + 1}",
    )
