"""Who gets which aircraft: boxes, antimeridian, selection, lifecycle events, identity."""

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


def _box(n: float, e: float, s: float, w: float, **extra: object) -> bytes:
    payload = {"northEastLat": n, "northEastLng": e, "southWestLat": s, "southWestLng": w}
    return orjson.dumps({**payload, **extra})


def _event(cid: str, ref: str, reason: str | None = None) -> bytes:
    """A gateway lifecycle payload for membership ``ref`` of ``streaming-<cid>``."""
    payload = {"id": cid, "topic": f"streaming-{cid}", "phx_ref": ref}
    return orjson.dumps(payload if reason is None else {**payload, "reason": reason})


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
    clients.handle("from:streaming-paris:bound-box", _box(50, 4, 48, 1), now=0)
    clients.handle("from:streaming-pacific:bound-box", _box(20, -170, 0, 170), now=0)
    clients.handle(
        "from:streaming-london:bound-box",
        _box(52, 0.5, 51, -1, selectedEntities=[{"id": "aaaaaa", "typeName": "x"}]),
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
    for cid in ("c1", "c2", "c3"):
        clients.handle(f"from:streaming-{cid}:phx_join", _event(cid, f"{cid}.1"), now=0)
    # no box yet: everything with a position
    assert _icaos(_frames(clients, table)["to:streaming-c1:new-jet1090-data"]) == {
        "aaaaaa",
        "bbbbbb",
        "cccccc",
    }
    # a rejoin on the same socket: the old membership is replaced, the new one joins
    clients.handle("from:streaming-c1:phx_leave", _event("c1", "c1.1", "replaced"), now=1)
    clients.handle("from:streaming-c1:phx_join", _event("c1", "c1.2"), now=1)
    assert "c1" in clients.clients
    clients.handle("from:streaming-c1:phx_leave", _event("c1", "c1.2", "disconnect"), now=1)
    clients.handle("from:streaming-c2:phx_leave", _event("c2", "c2.1", "timeout"), now=1)
    clients.handle("from:streaming-c3:leave-streaming", b"{}", now=1)
    assert len(clients) == 0 and _frames(clients, table) == {}
    # phoenix.js re-joins after a reconnect without a new join-streaming
    clients.handle("from:streaming-c1:phx_join", _event("c1", "c1.3"), now=2)
    assert set(clients.clients) == {"c1"}


def test_a_leave_of_a_replaced_membership_is_ignored() -> None:
    """The browser re-joined through another gateway process; the reaper's leave for its
    dead process's membership comes after: the browser must keep its stream."""
    clients = StreamingClients()
    clients.handle("from:streaming-c1:phx_join", _event("c1", "dead.7"), now=0)
    clients.handle("from:streaming-c1:bound-box", _box(50, 4, 48, 1), now=0)
    clients.handle("from:streaming-c1:phx_join", _event("c1", "alive.1"), now=1)
    clients.handle("from:streaming-c1:phx_leave", _event("c1", "dead.7", "disconnect"), now=2)
    assert set(clients.clients) == {"c1"}
    assert clients.clients["c1"].box is not None
    # ... and when the leave comes first, the new join brings it back with its box
    clients.handle("from:streaming-c2:phx_join", _event("c2", "dead.8"), now=0)
    clients.handle("from:streaming-c2:bound-box", _box(50, 4, 48, 1), now=0)
    clients.handle("from:streaming-c2:phx_leave", _event("c2", "dead.8", "disconnect"), now=2)
    assert "c2" not in clients.clients
    clients.handle("from:streaming-c2:phx_join", _event("c2", "alive.2"), now=3)
    assert clients.clients["c2"].box is not None
    # the last membership ending stops it
    clients.handle("from:streaming-c1:phx_leave", _event("c1", "alive.1", "leave"), now=4)
    assert set(clients.clients) == {"c2"}


def test_nobody_acts_in_another_clients_name() -> None:
    """Only a client's private topic, which only it can join, speaks for it."""
    clients = StreamingClients()
    clients.handle("from:streaming-victim:phx_join", _event("victim", "g.1"), now=0)
    clients.handle("from:streaming-victim:bound-box", _box(50, 4, 48, 1), now=0)
    box = clients.clients["victim"].box
    # the upstream conventions on the shared system topic trust a payload field: ignored
    clients.handle("from:system:leave-streaming", b'{"connectionId":"victim"}', now=1)
    clients.handle("from:system:bound-box", _box(1, 1, 0, 0, connectionId="victim"), now=1)
    clients.handle("from:system:phx_leave", b'{"id":"victim","reason":"leave"}', now=1)
    for n in range(100):
        clients.handle("from:system:join-streaming", b'{"connectionId":"fake%d"}' % n, now=1)
    # a lifecycle payload whose id is not the topic's owner is not the gateway's
    clients.handle("from:streaming-victim:phx_leave", _event("other", "g.1", "leave"), now=1)
    assert set(clients.clients) == {"victim"} and clients.clients["victim"].box == box


def test_silent_clients_expire_and_garbage_is_ignored() -> None:
    clients = StreamingClients()
    clients.handle("from:streaming-old:bound-box", _box(1, 1, 0, 0), now=0)
    clients.handle("from:streaming-new:bound-box", _box(1, 1, 0, 0), now=250)
    clients.handle("from:streaming-new:bound-box", b"not json", now=250)
    clients.handle("from:streaming-x:bound-box", b'{"northEastLat":"a"}', now=250)
    clients.handle("from:streaming-:join-streaming", b"{}", now=250)
    assert clients.expire(now=301, timeout=300) == ["old"]
    assert set(clients.clients) == {"new"}
    # still joined (it pushes its keep-alive on its private topic): served again
    clients.handle("from:streaming-old:join-streaming", b"{}", now=302)
    assert set(clients.clients) == {"new", "old"}
