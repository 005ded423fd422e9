"""Who is watching which part of the map, and what each of them gets every tick.

Each browser has a private topic, ``streaming-<id>``, that only the owner of client id
``<id>`` can join (the channel gateway checks the join token). Everything about one
browser arrives there, so the id is the topic's and never a payload field that anyone
could fill in with someone else's id:

- the gateway's lifecycle events ``from:streaming-<id>:phx_join`` / ``phx_leave``
  (``{"id", "topic", "phx_ref"[, "reason"]}``): a client exists while one of its
  memberships (told apart by ``phx_ref``) is joined, and a leave of a membership that
  was already replaced (the reaper's late leave after a reconnect) changes nothing;
- the browser's own pushes ``join-streaming`` (start, and keep-alive),
  ``leave-streaming`` (stop) and ``bound-box`` (view and selection). Only a joined
  member can push on a topic, so a push is as good as a join.

Announcements on the shared ``system`` topic name a ``connectionId`` that nobody
vouches for, so they are ignored. All handlers are synchronous (they run inside a feed
reader's batch loop). Every entity plugin keeps its own ``StreamingClients`` fed by the
same topics, so aircraft and ships stream side by side to one browser.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson

from .encoding import TickEncoding

__all__ = [
    "CONTROL_PATTERN",
    "MAX_SELECTED",
    "PRIVATE_PREFIX",
    "BoundingBox",
    "StreamClient",
    "StreamingClients",
    "lower_id",
]

log = logging.getLogger(__name__)

#: The browsers' private topics, ``streaming-<client id>``.
PRIVATE_PREFIX = "streaming-"
#: What to PSUBSCRIBE to: each browser's pushes and the gateway's lifecycle events.
CONTROL_PATTERN = "from:streaming-*"
#: Boxes of departed clients kept so that a browser re-joining after a reconnect
#: (phoenix.js re-joins by itself, without a new join-streaming) is served again.
_DEPARTED_MEMORY = 1024
#: Selected entities kept per client (the rest of a longer list is ignored).
MAX_SELECTED = 64


@dataclass(frozen=True)
class BoundingBox:
    north: float
    east: float
    south: float
    west: float

    def contains(self, lat: float, lon: float) -> bool:
        if not self.south <= lat <= self.north:
            return False
        if self.west <= self.east:
            return self.west <= lon <= self.east
        # The box crosses the antimeridian: west is 170, east is -170.
        return lon >= self.west or lon <= self.east

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> BoundingBox:
        values = []
        for key in ("northEastLat", "northEastLng", "southWestLat", "southWestLng"):
            value = payload.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"bound-box {key}={value!r} is not a number")
            if not math.isfinite(value):
                raise ValueError(f"bound-box {key}={value!r} is not finite")
            values.append(float(value))
        north, east, south, west = values
        if north < south:
            north, south = south, north
        # Zoomed far out, map libraries report longitudes beyond +-180.
        if east - west >= 360:
            west, east = -180.0, 180.0
        else:
            west, east = _wrap(west), _wrap(east)
        return cls(north=north, east=east, south=south, west=west)


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0 if not -180 <= lon <= 180 else lon


def lower_id(value: object) -> Hashable | None:
    """The default entity id of ``selectedEntities``: a lower-case string."""
    return str(value).lower()


@dataclass
class StreamClient:
    id: str
    last_activity: float
    box: BoundingBox | None = None
    selected: frozenset[Hashable] = field(default_factory=frozenset)
    #: ``phx_ref`` of each joined membership of ``streaming-<id>`` (one per socket
    #: joined; a socket holds at most one), as told by the gateway's lifecycle events.
    memberships: set[str] = field(default_factory=set)


class StreamingClients:
    """The browsers to stream one kind of entity to, fed by ``from:streaming-<id>:*``.

    Frames go to ``to:streaming-<id>:<event>`` as ``{"count": n, <list_name>: [...]}``
    with the records inside the client's box, plus its selected ones (matched on the
    records' ``key`` field; ``parse_id`` turns a ``selectedEntities`` id into a key, or
    None to ignore it; with ``type_name``, only entries of that ``typeName`` count).
    """

    def __init__(
        self,
        event: str,
        key: str,
        list_name: str,
        *,
        type_name: str | None = None,
        parse_id: Callable[[object], Hashable | None] = lower_id,
    ) -> None:
        self.event = event
        self.key = key
        self.list_name = list_name
        self.type_name = type_name
        self.parse_id = parse_id
        self.clients: dict[str, StreamClient] = {}
        self._departed: OrderedDict[str, StreamClient] = OrderedDict()

    def __len__(self) -> int:
        return len(self.clients)

    def frame_channel(self, connection_id: str) -> str:
        """Redis channel of the frames for one browser."""
        return f"to:{PRIVATE_PREFIX}{connection_id}:{self.event}"

    def handle(self, channel: str, payload: bytes, now: float) -> None:
        """Dispatch one ``from:<topic>:<event>`` message."""
        topic, _, event = channel.removeprefix("from:").rpartition(":")
        client_id = topic.removeprefix(PRIVATE_PREFIX)
        if client_id == topic or not client_id:
            return  # not a private topic: nobody vouches for the ids it names
        try:
            data = orjson.loads(payload) if payload else {}
        except orjson.JSONDecodeError:
            log.debug("ignoring non-JSON %s payload %r", channel, payload[:80])
            return
        if type(data) is not dict:
            return
        if event == "phx_join":
            if data.get("id") == client_id:
                self.join(client_id, now, _text(data.get("phx_ref")) or None)
        elif event == "phx_leave":
            if data.get("id") == client_id:
                self.leave(client_id, _text(data.get("phx_ref")) or None)
        elif event == "join-streaming":
            self.join(client_id, now)
        elif event == "leave-streaming":
            self.stop(client_id)
        elif event == "bound-box":
            self.bound_box(client_id, data, now)

    def join(self, client_id: str, now: float, membership: str | None = None) -> StreamClient:
        """Serve ``client_id`` (again); ``membership`` is the phx_ref of a new join."""
        client = self.clients.get(client_id) or self._departed.pop(client_id, None)
        if client is None:
            client = StreamClient(id=client_id, last_activity=now)
        if client_id not in self.clients:
            log.info("streaming %s to %s", self.list_name, client_id)
            self.clients[client_id] = client
        client.last_activity = now
        if membership is not None:
            client.memberships.add(membership)
        return client

    def leave(self, client_id: str, membership: str | None) -> None:
        """One membership of ``streaming-<id>`` ended; stop once none is left.

        A leave naming a membership we do not hold, while we hold others, is stale:
        the reaper announcing a dead gateway's entry after the browser already
        re-joined elsewhere. A leave without ``phx_ref`` (a gateway that predates it)
        ends the client."""
        client = self.clients.get(client_id)
        if client is None:
            return
        if membership is None:
            client.memberships.clear()
        elif membership in client.memberships:
            client.memberships.discard(membership)
        elif client.memberships:
            log.debug("ignoring a stale leave of %s (membership %s)", client_id, membership)
            return
        if not client.memberships:
            self.stop(client_id)

    def stop(self, client_id: str) -> None:
        client = self.clients.pop(client_id, None)
        if client is not None:
            log.info("stopped streaming %s to %s", self.list_name, client_id)
            client.memberships.clear()
            self._departed[client_id] = client
            while len(self._departed) > _DEPARTED_MEMORY:
                self._departed.popitem(last=False)

    def bound_box(self, client_id: str, data: dict[str, Any], now: float) -> None:
        try:
            box = BoundingBox.from_payload(data)
        except ValueError as exc:
            log.debug("ignoring bound-box from %s: %s", client_id, exc)
            return
        client = self.join(client_id, now)
        client.box = box
        selected = data.get("selectedEntities") or []
        if type(selected) is list:
            client.selected = frozenset(self._selection(selected[:MAX_SELECTED]))

    def _selection(self, items: list[Any]) -> list[Hashable]:
        keys = []
        for item in items:
            if type(item) is not dict or item.get("id") is None:
                continue
            if self.type_name is not None and item.get("typeName") != self.type_name:
                continue
            key = self.parse_id(item["id"])
            if key is not None:
                keys.append(key)
        return keys

    def expire(self, now: float, timeout: float) -> list[str]:
        """Drop clients silent for ``timeout`` seconds (lost leave events)."""
        gone = [cid for cid, c in self.clients.items() if now - c.last_activity > timeout]
        for client_id in gone:
            self.stop(client_id)
        return gone

    def frames(self, records: Collection[dict[str, Any]], count: int) -> list[tuple[str, bytes]]:
        """One encoded ``{"count", <list_name>}`` frame per client.

        The located records are encoded once per tick, in one call
        (:class:`TickEncoding`); a client seeing all of them gets those bytes as they
        are, the others frames spliced from each record's bytes cut out of them.
        """
        if not self.clients:
            return []
        key = self.key
        located = [r for r in records if r["latitude"] is not None]
        encoding = TickEncoding(located, key)
        head = b'{"count":%d,"%s":' % (count, self.list_name.encode())
        out = []
        for client in self.clients.values():
            box = client.box
            if box is None:  # no viewport yet: everything
                visible = located
            else:
                contains = box.contains
                visible = [r for r in located if contains(r["latitude"], r["longitude"])]
            extra: list[dict[str, Any]] = []
            if client.selected:
                wanted = client.selected - {r[key] for r in visible}
                if wanted:
                    extra = [r for r in records if r[key] in wanted]
            if len(visible) == len(located) and not extra:  # the whole picture
                body = head + encoding.whole + b"}"
            else:
                each = encoding.each
                body = head + b"[" + b",".join([each(r) for r in visible + extra]) + b"]}"
            out.append((self.frame_channel(client.id), body))
        return out


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
