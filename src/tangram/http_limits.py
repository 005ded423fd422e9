"""Limits of the HTTP server on request heads: size and time.

uvicorn's httptools parser accepts a head of any size, and neither parser limits how long
a client may take to send one: one connection streaming an endless header held a CPU
and hundreds of MiB, and slowed every plugin service on the same event loop. tangram
therefore always uses h11 with:

- ``[server] max_header_bytes``: a request line plus headers larger than this gets
  ``431 Request Header Fields Too Large`` and the connection is closed, before the rest
  arrives (h11's incomplete-event limit, so the buffer never grows beyond it);
- ``[server] header_timeout_secs``: a connection that has not completed its request head
  this long after it opened (or after the first byte of the next request on a
  keep-alive connection) gets ``408 Request Timeout`` and is closed. An idle keep-alive
  connection is closed after uvicorn's ``timeout_keep_alive`` (5 s).

The work a client can cause before its request reaches the application is thereby
bounded per connection, in bytes and in time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["bounded_h11_protocol"]

_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 30\r\n\r\nrequest head not sent in time\n"
)


class _BoundedH11Protocol(H11Protocol):
    header_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is complete: the application's business now
        elif self._head_deadline is None and self.conn.trailing_data[0]:
            self._arm()  # the next request on a keep-alive connection has begun

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers every h11 parse error with 400; a head over the limit is 431.
        if len(self.conn.trailing_data[0]) > self.max_header_bytes:
            self._refuse(
                b"431 Request Header Fields Too Large",
                f"request head over {self.max_header_bytes} bytes\n".encode(),
            )
            return
        super().send_400_response(msg)

    def _refuse(self, status: bytes, body: bytes) -> None:
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def bounded_h11_protocol(max_header_bytes: int, header_timeout: float) -> type[asyncio.Protocol]:
    """The protocol class to pass as ``uvicorn.Config(http=...)``, together with
    ``h11_max_incomplete_event_size=max_header_bytes``."""
    return type(
        "BoundedH11Protocol",
        (_BoundedH11Protocol,),
        {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout},
    )
