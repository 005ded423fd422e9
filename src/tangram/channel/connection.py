"""One client connection: HTTP (h11) until it upgrades, then a WebSocket.

This module is the connection's lifecycle: admission (``max_connections``), the
switch from the HTTP phase (:mod:`.handshake`) to the WebSocket side
(:mod:`.websocket`, itself built on the sending side, :mod:`.output`), the worker's
inbound budget, internal errors, and the end of the socket. The handshake is
validated by websockets' sans-I/O ``ServerProtocol`` (no extensions, so no
permessage-deflate).
Everything the gateway needs from a connection is synchronous, so a joined socket
costs no task: broadcasts are queued by the hub and written once per Redis batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol, cast

from .handshake import HttpPhase, Upgrade, accept, busy_response, error_response
from .http import HttpResponse, OriginPolicy
from .inbound import MessageReader
from .limits import InboundBudget, LogThrottle
from .output import CLOSE_SLOW
from .phoenix import Session
from .websocket import CLOSE_VERSION, WebSocketHost, WebSocketSide

__all__ = ["CLOSE_IDLE", "CLOSE_SHUTDOWN", "CLOSE_SLOW", "CLOSE_VERSION", "Connection", "Host"]

log = logging.getLogger(__name__)

#: Close codes (any server-initiated close makes phoenix.js reconnect).
CLOSE_IDLE = 4009
CLOSE_SHUTDOWN = 1001
CLOSE_INTERNAL = 1011
#: "Try again later": the worker holds [channel] max_pending_bytes of inbound data.
CLOSE_BUSY = 1013


class Host(WebSocketHost, Protocol):
    """What a connection needs from its gateway (:class:`tangram.channel.server.Gateway`).

    Connections depend on this, not on the gateway, so that the gateway's parts can
    import this module without a cycle."""

    @property
    def connections(self) -> set[Connection]: ...
    @property
    def origins(self) -> OriginPolicy: ...
    @property
    def inbound(self) -> InboundBudget: ...
    @property
    def throttle(self) -> LogThrottle: ...
    def new_session(self, user_token: str | None) -> Session: ...
    def answer_http(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> HttpResponse: ...


class Connection(WebSocketSide):
    gw: Host

    def __init__(self, gateway: Host) -> None:
        super().__init__(gateway)
        self.http: HttpPhase | None = None
        self.last_seen = time.monotonic()
        self._held = 0  # inbound bytes charged to the worker's budget

    # -- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but implement it.
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        gw = self.gw
        if len(gw.connections) >= gw.config.max_connections:
            self._refuse(transport)
            return
        limit = gw.config.max_buffer_bytes
        transport.set_write_buffer_limits(high=limit, low=limit // 2)
        self.http = HttpPhase(transport, gw.answer_http)
        gw.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.last_seen = time.monotonic()
        try:
            if self.ws is not None:
                self._ws_data(data)
            elif self.http is not None:
                upgrade = self.http.feed(data)
                if upgrade is not None:
                    self._upgrade(upgrade)
            self._account()
        except Exception:
            # A bug: end this socket properly (its leaves are published), nobody else's.
            log.exception("closing a connection after an internal error")
            self.close(CLOSE_INTERNAL, "internal error")
            self._close_transport()

    def connection_lost(self, exc: Exception | None) -> None:
        self.gw.connections.discard(self)
        self._disarm_abort()
        if not self.closing:
            self.closing = True
            self._end_session("disconnect")
        # Give back what this socket held, to the budget and to the allocator.
        self._backlog.clear()
        if self.ws is not None:
            self.ws.clear()
        self.gw.inbound.resize(self._held, 0)
        self._held = 0

    # -- HTTP and the upgrade ---------------------------------------------------------

    def _upgrade(self, upgrade: Upgrade) -> None:
        http, transport, gw = self.http, self.transport, self.gw
        assert http is not None and transport is not None
        accepted = accept(upgrade, http, transport, gw.origins, gw.throttle)
        if accepted is None:
            return
        self.http = None
        self.ws = MessageReader(gw.config.max_frame_bytes)
        self.session = gw.new_session(accepted.user_token)
        gw.stats["websockets_accepted"] += 1
        vsn = accepted.vsn
        if vsn.split(".")[0] != "2":
            self.close(CLOSE_VERSION, f"unsupported vsn {vsn[:20]!r}; this server speaks 2.x")
            return
        if upgrade.rest:
            self._ws_data(upgrade.rest)

    def _refuse(self, transport: asyncio.Transport) -> None:
        """Over [channel] max_connections: a 503, then close, before reading anything."""
        gw = self.gw
        self.closing = True
        gw.stats["refused_connections"] += 1
        gw.throttle.warning(
            "max_connections",
            "refusing connections: %d are open, the bound set by [channel] max_connections;"
            " raise it (mind the open-files limit) or add workers",
            len(gw.connections),
        )
        transport.write(busy_response())
        transport.close()

    def close_http(self, status: int | None = None, message: str = "") -> None:
        """End a connection that never became a WebSocket: with a JSON error response
        when ``status`` is given, else at once."""
        self.closing = True
        http, self.http = self.http, None
        transport = self.transport
        if status is None or http is None or transport is None:
            self._close_transport(abort=True)
            return
        # Answer, then half-close: a peer still sending would get a reset (and lose
        # the answer) if we closed at once; what it sends now is ignored, and the
        # connection is dropped after the close grace.
        transport.write(error_response(status, message))
        if transport.can_write_eof():
            transport.write_eof()
        self._arm_abort()

    # -- bounds -----------------------------------------------------------------------

    def _account(self) -> None:
        """Charge what this socket holds to the worker's inbound budget; over it, close."""
        ws = self.ws
        if ws is not None:
            held = ws.held + self._backlog.held
        elif self.http is not None:
            held = self.http.held
        else:
            held = 0
        before = self._held
        if held == before:
            return
        self._held = held
        if not self.gw.inbound.resize(before, held) and not self.closing:
            gw = self.gw
            gw.stats["busy_closes"] += 1
            gw.throttle.warning(
                "max_pending_bytes",
                "closing a socket (%d): this worker holds %d bytes of incomplete inbound"
                " data, over [channel] max_pending_bytes = %d",
                CLOSE_BUSY,
                gw.inbound.used,
                gw.inbound.limit,
            )
            if self.ws is None:
                self.close_http()
            else:
                self.close(CLOSE_BUSY, "server busy: too much incomplete inbound data; retry")
                self._close_transport()
