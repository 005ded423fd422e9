"""Multi-row statements store exactly what executemany stores."""

from __future__ import annotations

import math
import sqlite3

import pytest

from tangram.entities.rows import MAX_CHUNK, RowsStatement, insert_rows, update_rows


def _table(conn: sqlite3.Connection, name: str) -> None:
    conn.execute(f"CREATE TABLE {name} (k TEXT PRIMARY KEY, a REAL, b INTEGER, c TEXT, d)")


def _rows(n: int) -> list[tuple[object, ...]]:
    kinds: list[object] = [None, 1.5, 7, "é ✈", b"\x00\x01", True, math.nan, 2**62, -0.0]
    return [
        (f"k{i}", i / 3, i, kinds[i % len(kinds)], kinds[(i + 3) % len(kinds)]) for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 5, MAX_CHUNK - 1, MAX_CHUNK, MAX_CHUNK + 1, 3000])
def test_inserts_equal_executemany(n: int) -> None:
    conn = sqlite3.connect(":memory:")
    _table(conn, "plain")
    _table(conn, "batch")
    rows = _rows(n)
    conn.executemany("INSERT INTO plain VALUES (?, ?, ?, ?, ?)", rows)
    assert insert_rows("batch", ("k", "a", "b", "c", "d")).run(conn, rows) == n
    query = "SELECT k, a, b, c, d, typeof(a), typeof(c), typeof(d) FROM {} ORDER BY rowid"
    assert (
        conn.execute(query.format("batch")).fetchall()
        == conn.execute(query.format("plain")).fetchall()
    )


def test_wide_rows_stay_within_the_parameter_limit() -> None:
    conn = sqlite3.connect(":memory:")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)  # 33 rows of 3 per statement
    conn.execute("CREATE TABLE t (a, b, c)")
    rows = [(i, i, i) for i in range(500)]
    assert insert_rows("t", ("a", "b", "c")).run(conn, rows) == 500
    assert conn.execute("SELECT count(*), sum(a) FROM t").fetchone() == (500, sum(range(500)))


def test_or_ignore_and_updates_count_the_rows_changed() -> None:
    conn = sqlite3.connect(":memory:")
    _table(conn, "t")
    insert = insert_rows("t", ("k", "b"), or_ignore=True)
    assert insert.run(conn, [("x", 1), ("y", 2)]) == 2
    assert insert.run(conn, [("x", 9), ("z", 3)]) == 1  # x was there: ignored
    update = update_rows("t", ("a", "b"), key="k")
    # "w" does not exist: 2 of 3 rows changed (the caller's "purged meanwhile" test)
    assert update.run(conn, [(0.5, 10, "x"), (1.5, 20, "z"), (2.5, 30, "w")]) == 2
    assert conn.execute("SELECT k, a, b FROM t ORDER BY k").fetchall() == [
        ("x", 0.5, 10),
        ("y", None, 2),
        ("z", 1.5, 20),
    ]
    # the same through executemany (SQLite older than 3.33 has no UPDATE ... FROM)
    per_row = RowsStatement(update.per_row, update.width)
    assert per_row.run(conn, [(4.5, 40, "y"), (0.0, 0, "w")]) == 1
    assert conn.execute("SELECT a, b FROM t WHERE k = 'y'").fetchone() == (4.5, 40)
