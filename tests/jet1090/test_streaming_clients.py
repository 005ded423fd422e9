"""Who gets which aircraft: boxes, antimeridian, selection, lifecycle events."""

from __future__ import annotations

import orjson
from tangram_jet1090.aircraft import AircraftTable
from tangram_jet1090.streaming import StreamingClients


def _table() -> AircraftTable:
    table = AircraftTable(expire_secs=20)
    for icao, lat, lon in [("aaaaaa", 48.9, 2.4), ("bbbbbb", 51.5, -0.1), ("cccccc", 10, 179.5)]:
        table.update(icao, 1.0, {"latitude": lat, "longitude": lon}, now=1.0)
    table.update("dddddd", 1.0, {"altitude": 3000}, now=1.0)  # no position yet
    return table


def _box(cid: str, n: float, e: float, s: float, w: float, **extra: object) -> bytes:
    payload = {
        "connectionId": cid,
        "northEastLat": n,
        "northEastLng": e,
        "southWestLat": s,
        "southWestLng": w,
        **extra,
    }
    return orjson.dumps(payload)


def _frames(clients: StreamingClients, table: AircraftTable) -> dict[str, dict[str, object]]:
    return {
        channel: orjson.loads(body)
        for channel, body in clients.frames(table.records.values(), len(table))
    }


def _icaos(frame: dict[str, object]) -> set[str]:
    aircraft = frame["aircraft"]
    assert isinstance(aircraft, list)
    return {a["icao24"] for a in aircraft}


def test_box_selection_and_antimeridian() -> None:
    table, clients = _table(), StreamingClients()
    clients.handle("from:system:bound-box", _box("paris", 50, 4, 48, 1), now=0)
    clients.handle("from:system:bound-box", _box("pacific", 20, -170, 0, 170), now=0)
    clients.handle(
        "from:system:bound-box",
        _box("london", 52, 0.5, 51, -1, selectedEntities=[{"id": "aaaaaa", "typeName": "x"}]),
        now=0,
    )
    frames = _frames(clients, table)
    paris = frames["to:streaming-paris:new-jet1090-data"]
    assert paris["count"] == 4 and _icaos(paris) == {"aaaaaa"}
    assert _icaos(frames["to:streaming-pacific:new-jet1090-data"]) == {"cccccc"}
    # the selected aircraft is kept although it is outside the London box
    assert _icaos(frames["to:streaming-london:new-jet1090-data"]) == {"bbbbbb", "aaaaaa"}


def test_lifecycle_events_end_and_resume_streaming() -> None:
    table, clients = _table(), StreamingClients()
    clients.handle("from:system:join-streaming", b'{"connectionId":"c1"}', now=0)
    clients.handle("from:system:join-streaming", b'{"connectionId":"c2"}', now=0)
    clients.handle("from:system:join-streaming", b'{"connectionId":"c3"}', now=0)
    # no box yet: everything with a position
    assert _icaos(_frames(clients, table)["to:streaming-c1:new-jet1090-data"]) == {
        "aaaaaa",
        "bbbbbb",
        "cccccc",
    }
    clients.handle("from:streaming-c1:phx_leave", b'{"id":"c1","reason":"replaced"}', now=1)
    assert "c1" in clients.clients
    clients.handle("from:streaming-c1:phx_leave", b'{"id":"c1","reason":"disconnect"}', now=1)
    clients.handle("from:system:phx_leave", b'{"id":"c2","topic":"system","reason":"timeout"}', 1)
    clients.handle("from:system:leave-streaming", b'{"connectionId":"c3"}', now=1)
    assert len(clients) == 0 and _frames(clients, table) == {}
    # phoenix.js re-joins after a reconnect without a new join-streaming
    clients.handle("from:streaming-c1:phx_join", b'{"id":"c1","topic":"streaming-c1"}', now=2)
    assert set(clients.clients) == {"c1"}
    # unknown ids joining streaming topics are not streamed to
    clients.handle("from:streaming-zz:phx_join", b'{"id":"zz"}', now=2)
    assert set(clients.clients) == {"c1"}


def test_silent_clients_expire_and_garbage_is_ignored() -> None:
    clients = StreamingClients()
    clients.handle("from:system:bound-box", _box("old", 1, 1, 0, 0), now=0)
    clients.handle("from:system:bound-box", _box("new", 1, 1, 0, 0), now=250)
    clients.handle("from:system:bound-box", b"not json", now=250)
    clients.handle("from:system:bound-box", b'{"connectionId":"x","northEastLat":"a"}', now=250)
    assert clients.expire(now=301, timeout=300) == ["old"]
    assert set(clients.clients) == {"new"}
