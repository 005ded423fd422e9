"""One encoding per tick: whole-picture frames as they are, partial ones cut out."""

from __future__ import annotations

import orjson

from tangram.entities import StreamingClients
from tangram.entities.encoding import TickEncoding

TRICKY = ['},{"icao24":', 'a"b', "x}", "\\", None]
BOX = {"northEastLat": 50, "northEastLng": 10, "southWestLat": 40, "southWestLng": 0}


def _records(n: int) -> list[dict[str, object]]:
    return [
        {"icao24": f"{i:06x}", "callsign": TRICKY[i % len(TRICKY)], "latitude": 30.0 + i,
         "longitude": 5.0, "count": i}
        for i in range(n)
    ]  # fmt: skip


def test_each_record_cut_out_of_the_whole_is_its_own_encoding() -> None:
    for n in (0, 1, 2, 7, 40):
        records = _records(n)
        encoding = TickEncoding(records, "icao24")
        assert encoding.whole == orjson.dumps(records)
        assert all(encoding.each(r) == orjson.dumps(r) for r in records)
        outside = {"icao24": "zzzzzz", "latitude": None}
        assert encoding.each(outside) == orjson.dumps(outside)


def test_nested_objects_that_look_like_boundaries_fall_back_to_one_by_one() -> None:
    records = [
        {"icao24": "a", "n": [{"a": 1}, {"icao24": 2}]},
        {"icao24": "b", "n": 1},
        {"other_first": 1, "icao24": "c"},
    ]
    encoding = TickEncoding(records, "icao24")
    assert all(encoding.each(r) == orjson.dumps(r) for r in records)


def test_frames_whole_partial_and_selected() -> None:
    clients = StreamingClients("data", "icao24", "aircraft")
    clients.join("all", 0.0, "r1")
    clients.join("part", 0.0, "r2")
    clients.bound_box("part", {**BOX, "selectedEntities": [{"id": "000000"}]}, 0.0)
    records = _records(30)
    records[0]["latitude"] = None  # selected, not located
    frames = dict(clients.frames(records, 30))
    whole = orjson.loads(frames["to:streaming-all:data"])
    assert whole == {"count": 30, "aircraft": records[1:]}
    part = orjson.loads(frames["to:streaming-part:data"])
    inside = [r for r in records[1:] if 40 <= r["latitude"] <= 50]  # type: ignore[operator]
    assert part == {"count": 30, "aircraft": [*inside, records[0]]}
