"""The HTTP side of a connection, until it becomes a WebSocket (or closes).

h11 parses requests; plain ones (``POST /token`` and friends) are answered here,
keep-alive included. A WebSocket upgrade is handed back as an :class:`Upgrade`;
:func:`accept` validates it (path, origin, the handshake itself) and answers it, so
that the connection only has to switch to its WebSocket side. Everything a client can
be told over HTTP is here, the 503 of a full gateway (:func:`busy_response`) included.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import h11
from websockets.datastructures import Headers
from websockets.http11 import Request
from websockets.server import ServerProtocol

from .http import MAX_BODY_BYTES, HttpResponse, OriginPolicy
from .limits import LogThrottle

__all__ = ["Accepted", "HttpPhase", "Upgrade", "accept", "busy_response", "error_response"]

#: ``(method, path, lower-case headers, body) -> response``
Handler = Callable[[str, str, dict[str, str], bytes], HttpResponse]


@dataclass(frozen=True)
class Upgrade:
    """A complete ``Upgrade: websocket`` request and the bytes that followed it."""

    target: str
    headers: list[tuple[str, str]]
    rest: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class HttpPhase:
    """Feeds bytes to h11 and answers requests on ``transport``."""

    def __init__(self, transport: asyncio.Transport, handler: Handler) -> None:
        self.transport = transport
        self.handler = handler
        self.h11 = h11.Connection(h11.SERVER)
        self._request: h11.Request | None = None
        self._body = bytearray()
        #: When the request in progress began: the connection, or the last answer.
        self.started = time.monotonic()

    def feed(self, data: bytes) -> Upgrade | None:
        """Process ``data``; an :class:`Upgrade` when a WebSocket handshake arrived."""
        conn = self.h11
        conn.receive_data(data)
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                self.fail(exc.error_status_hint, f"bad HTTP request: {exc}")
                return None
            if event is h11.NEED_DATA:
                return None
            if isinstance(event, h11.Request):
                self._request, self._body = event, bytearray()
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > MAX_BODY_BYTES:
                    self.fail(413, f"request body over {MAX_BODY_BYTES} bytes")
                    return None
            elif isinstance(event, h11.EndOfMessage):
                if not self._is_upgrade():
                    self._answer()
                    if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                        self.transport.close()  # Connection: close, HTTP/1.0, or an error
                        return None
                    conn.start_next_cycle()
                    self.started = time.monotonic()
            elif event is h11.PAUSED:
                # h11 pauses after a request proposing a protocol switch.
                req = self._request
                if req is None or not self._is_upgrade():
                    self.transport.close()
                    return None
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in req.headers]
                return Upgrade(req.target.decode("latin-1"), headers, conn.trailing_data[0])
            elif isinstance(event, h11.ConnectionClosed):
                self.transport.close()
                return None

    @property
    def held(self) -> int:
        """Bytes held for the request in progress (its unparsed head, its body)."""
        return len(self.h11.trailing_data[0]) + len(self._body)

    def fail(self, status: int, message: str) -> None:
        """A JSON error, then close (used where h11's state cannot send any more)."""
        self.transport.write(error_response(status, message))
        self.transport.close()

    def _is_upgrade(self) -> bool:
        req = self._request
        return req is not None and any(
            name == b"upgrade" and value.lower() == b"websocket" for name, value in req.headers
        )

    def _answer(self) -> None:
        req = self._request
        assert req is not None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in req.headers}
        path = urlsplit(req.target.decode("latin-1")).path
        response = self.handler(req.method.decode("latin-1"), path, headers, bytes(self._body))
        out_headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        try:
            out = self.h11.send(h11.Response(status_code=response.status, headers=out_headers))
            out = (out or b"") + (self.h11.send(h11.Data(data=response.body)) or b"")
            out += self.h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            self.transport.close()
            return
        self.transport.write(out)


def error_response(status: int, message: str) -> bytes:
    """A complete ``Connection: close`` response with the JSON body ``{"error": ...}``."""
    body = json.dumps({"error": message}).encode()
    head = (
        f"HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


class Accepted(NamedTuple):
    """A WebSocket handshake that was answered 101: what its URL asked for."""

    user_token: str | None
    vsn: str


def accept(
    upgrade: Upgrade,
    http: HttpPhase,
    transport: asyncio.Transport,
    origins: OriginPolicy,
    throttle: LogThrottle,
) -> Accepted | None:
    """Answer ``upgrade``: 101 and the URL's parameters, or None when it was refused
    (wrong path, origin not allowed, a bad handshake), its answer written."""
    url = urlsplit(upgrade.target)
    if url.path != "/websocket":
        http.fail(404, f"no WebSocket at {url.path!r}; use /websocket")
        return None
    origin = upgrade.header("origin")
    if not origins.allows(origin):
        throttle.warning(
            "origin", "refused a WebSocket from origin %r (not in the allow-list)", origin
        )
        http.fail(403, f"origin {origin!r} is not allowed; add it to [channel] allowed_origins")
        return None
    # websockets validates the handshake and computes Sec-WebSocket-Accept; no
    # extensions are offered, so permessage-deflate stays off.
    response = ServerProtocol().accept(Request(upgrade.target, Headers(upgrade.headers)))
    transport.write(response.serialize())
    if response.status_code != 101:
        transport.close()
        return None
    query = parse_qs(url.query)
    return Accepted(query.get("userToken", [None])[0], query.get("vsn", ["2.0.0"])[0])


def busy_response() -> bytes:
    """The 503 of a gateway process at [channel] max_connections."""
    body = b'{"error":"too many connections to this gateway process; retry later"}'
    return (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
