"""tangram.entities: the shared table, streaming clients and feed, sans I/O."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tangram.entities import (
    EntityFeed,
    EntityTable,
    HistoryStore,
    StreamingClients,
    TableFull,
)
from tangram.entities.streaming import MAX_SELECTED

FIELDS = ("id", "firstseen", "lastseen", "count", "latitude", "longitude")


def test_the_table_is_bounded_and_expires_by_reception_time() -> None:
    table = EntityTable("id", FIELDS, expire_secs=10, max_entities=2)
    table.update("a", 5.0, {"latitude": 1.0}, now=100)
    table.update("b", None, {}, now=105)
    with pytest.raises(TableFull):
        table.update("c", 1.0, {}, now=105)  # one over the bound
    assert table.refused == 1 and len(table) == 2
    table.update("a", 4.0, {"longitude": 2.0}, now=106)  # known keys still update
    record = table.get("a")
    assert record is not None
    assert (record["firstseen"], record["lastseen"], record["count"]) == (5.0, 5.0, 2)
    assert table.expire(now=115.5) == 1 and table.get("b") is None  # b: received at 105
    table.update("c", 1.0, {}, now=116)  # room again
    with pytest.raises(ValueError, match="bookkeeping"):
        EntityTable("id", ("id", "latitude"), expire_secs=1)


def test_feed_counts_refused_entities() -> None:
    feed = EntityFeed(
        EntityTable("id", FIELDS, expire_secs=10, max_entities=1),
        StreamingClients("new-x-data", key="id", list_name="x"),
    )
    assert feed.update("a", None, {"latitude": 1.0, "longitude": 2.0}) is not None
    assert feed.update("b", None, {"latitude": 1.0, "longitude": 2.0}) is None
    assert (feed.counters.applied, feed.counters.refused) == (1, 1)


def _box(**extra: object) -> bytes:
    box = {"northEastLat": 1, "northEastLng": 1, "southWestLat": 0, "southWestLng": 0}
    return orjson.dumps({**box, **extra})


def test_selection_is_per_type_parsed_and_bounded() -> None:
    def parse(value: object) -> int | None:
        return int(value) if str(value).isdigit() else None

    table = EntityTable("id", FIELDS, expire_secs=10)
    for key in (123, 456):  # both outside the box
        table.update(key, None, {"latitude": 50.0, "longitude": 5.0}, now=0)
    ships = StreamingClients(
        "new-ship-data", key="id", list_name="ship", type_name="ship", parse_id=parse
    )
    selected = [
        {"id": "123", "typeName": "ship"},
        {"id": "456", "typeName": "aircraft"},  # another plugin's entity
        {"id": "x", "typeName": "ship"},  # not an id of ours
    ]
    ships.handle("from:streaming-c:bound-box", _box(selectedEntities=selected), now=0)
    ((channel, body),) = ships.frames(list(table.records.values()), len(table))
    assert channel == "to:streaming-c:new-ship-data"
    assert [s["id"] for s in orjson.loads(body)["ship"]] == [123]
    many = [{"id": str(n), "typeName": "ship"} for n in range(MAX_SELECTED + 1)]
    ships.handle("from:streaming-c:bound-box", _box(selectedEntities=many), now=0)
    assert len(ships.clients["c"].selected) == MAX_SELECTED


async def test_history_hooks_keep_a_side_table_in_the_same_transactions(tmp_path: Path) -> None:
    """What a plugin with more tables than the trajectory (jet1090's flights) builds on."""

    class Named(HistoryStore):
        def on_open(self, conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE IF NOT EXISTS names (id TEXT, ts REAL, name TEXT)")

        point_extras = ("name",)  # queued for on_insert, not a trajectory column

        def on_insert(self, conn: sqlite3.Connection, batch: list[tuple[Any, ...]]) -> None:
            conn.executemany(
                "INSERT INTO names VALUES (?, ?, ?)", [(r[0], r[1], r[-1]) for r in batch]
            )

        def on_delete(self, conn: sqlite3.Connection, limit: float) -> None:
            conn.execute("DELETE FROM names WHERE ts < ?", (limit,))

    store = Named(tmp_path / "h.sqlite", ("id", "TEXT"), [("latitude", "REAL")], 600, 0)
    await store.open()
    table = EntityTable("id", (*FIELDS, "name"), expire_secs=10)
    now = time.time()
    for ts, name in ((now - 1000, "old"), (now, "new")):
        store.observe(table.update("a", ts, {"latitude": 1.0, "name": name}, now))
    assert await store.flush() == 2
    assert [p["latitude"] for p in await store.trajectory("a")] == [1.0]  # within retention
    assert await store.prune() == 1
    await store.close()
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        assert conn.execute("SELECT name FROM names").fetchall() == [("new",)]
    conn.close()


async def test_history_stores_empty_columns_as_null(tmp_path: Path) -> None:
    """None goes through the adapter registered for it (a shortcut): still SQL NULL."""
    store = HistoryStore(
        tmp_path / "h.sqlite", ("id", "TEXT"), [("latitude", "REAL"), ("longitude", None)], 600
    )
    await store.open()
    table = EntityTable("id", FIELDS, expire_secs=10)
    store.observe(table.update("a", time.time(), {"latitude": 1.5}, time.time()))
    assert await store.flush() == 1
    await store.close()
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        row = conn.execute("SELECT typeof(latitude), typeof(longitude) FROM trajectory")
        assert row.fetchall() == [("real", "null")]
        assert conn.execute("SELECT ?, typeof(?)", (None, None)).fetchone() == (None, "null")
    conn.close()


def test_recordings_are_read_plain_or_gzipped_and_a_missing_one_names_the_fix(
    tmp_path: Path,
) -> None:
    import gzip

    from tangram.entities.recording import open_recording
    from tangram.errors import TangramError

    class Missing(TangramError):
        pass

    plain, packed = tmp_path / "a.txt", tmp_path / "a.txt.gz"
    plain.write_bytes(b"line 1\nline 2\n")
    packed.write_bytes(gzip.compress(b"line 1\nline 2\n"))
    for path in (plain, packed):
        with open_recording(path, Missing, "unused") as lines:
            assert list(lines) == [b"line 1\n", b"line 2\n"]
    with pytest.raises(Missing, match=r"nope\.txt: log not found; expected lines"):
        open_recording(tmp_path / "nope.txt", Missing, "log not found; expected lines")
