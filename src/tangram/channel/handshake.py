"""The HTTP side of a connection, until it becomes a WebSocket (or closes).

h11 parses requests; plain ones (``POST /token`` and friends) are answered here,
keep-alive included. A WebSocket upgrade is handed back to the connection as an
:class:`Upgrade`, which the connection validates and completes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from .http import MAX_BODY_BYTES, HttpResponse

__all__ = ["HttpPhase", "Upgrade"]

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
        body = json.dumps({"error": message}).encode()
        head = (
            f"HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
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
