"""One client connection: HTTP (h11) until it upgrades, then a WebSocket.

The handshake is validated by websockets' sans-I/O ``ServerProtocol`` (no extensions,
so no permessage-deflate); after it, inbound frames are read by
:class:`~tangram.channel.inbound.MessageReader` and the Phoenix logic is
:class:`~tangram.channel.phoenix.Session`.
Everything the gateway needs from a connection is synchronous, so a joined socket
costs no task: broadcasts are queued by the hub and written once per Redis batch.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request
from websockets.server import ServerProtocol

from ..config import ChannelConfig
from .backlog import Backlog
from .handshake import HttpPhase, Upgrade, error_response
from .http import HttpResponse, OriginPolicy
from .inbound import (
    CLOSE_TOO_BIG,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    Control,
    Message,
    MessageReader,
    Violation,
    close_payload,
)
from .limits import InboundBudget, LogThrottle
from .phoenix import Action, Close, Join, Leave, Membership, Publish, Send, Session
from .wire import OP_TEXT, ws_frame

__all__ = ["CLOSE_IDLE", "CLOSE_SHUTDOWN", "CLOSE_SLOW", "CLOSE_VERSION", "Connection", "Host"]

log = logging.getLogger(__name__)

#: Close codes (any server-initiated close makes phoenix.js reconnect).
CLOSE_SLOW = 4008
CLOSE_IDLE = 4009
#: Policy violation: unsupported vsn, or flooding while a join is pending.
CLOSE_VERSION = 1008
CLOSE_SHUTDOWN = 1001
CLOSE_INTERNAL = 1011
#: "Try again later": the worker holds [channel] max_pending_bytes of inbound data.
CLOSE_BUSY = 1013
#: Bytes a socket may send while one of its joins waits for Redis, in max_frame_bytes.
BACKLOG_FRAMES = 4
#: After our close frame, how long the peer has to complete the close handshake.
CLOSE_GRACE_SECS = 5.0


class Host(Protocol):
    """What a connection needs from its gateway (:class:`tangram.channel.server.Gateway`).

    Connections depend on this, not on the gateway, so that the gateway's parts can
    import this module without a cycle."""

    @property
    def config(self) -> ChannelConfig: ...
    @property
    def stats(self) -> collections.Counter[str]: ...
    @property
    def connections(self) -> set[Connection]: ...
    @property
    def origins(self) -> OriginPolicy: ...
    @property
    def slow_grace_secs(self) -> float: ...
    @property
    def inbound(self) -> InboundBudget: ...
    @property
    def throttle(self) -> LogThrottle: ...
    def new_session(self, user_token: str | None) -> Session: ...
    def answer_http(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> HttpResponse: ...
    def publish(self, channel: str, payload: bytes) -> bool: ...
    def publish_then(self, action: Publish, done: Callable[[Publish, object], None]) -> bool: ...
    def reply_later(self, conn: Connection, frame: bytes) -> None: ...
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...
    async def join(self, conn: Connection, action: Join) -> None: ...
    def leave(self, conn: Connection, m: Membership, reason: str) -> None: ...


class Connection(asyncio.Protocol):
    def __init__(self, gateway: Host) -> None:
        self.gw = gateway
        self.transport: asyncio.Transport | None = None
        self.http: HttpPhase | None = None
        #: The WebSocket's frame reader, once the handshake is done.
        self.ws: MessageReader | None = None
        self.close_sent: int | None = None  # the close code we sent
        self.session: Session | None = None
        #: Memberships that took effect (kept by the gateway's joins): whatever happens
        #: to the session's own view, these are ended when the socket ends.
        self.memberships: dict[str, Membership] = {}  # by phx_ref
        self.last_seen = time.monotonic()
        self.over_since: float | None = None  # when the write buffer went over the limit
        self.written = 0  # bytes handed to the transport, to measure what the peer drains
        self._drained_mark = 0
        self.closing = False
        self._outbox: list[bytes] = []
        self._backlog = Backlog(BACKLOG_FRAMES * gateway.config.max_frame_bytes)
        self._abort_timer: asyncio.TimerHandle | None = None
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
        if self._abort_timer is not None:
            self._abort_timer.cancel()
        if not self.closing:
            self.closing = True
            self._end_session("disconnect")
        # Give back what this socket held, to the budget and to the allocator.
        self._backlog.clear()
        if self.ws is not None:
            self.ws.clear()
        self.gw.inbound.resize(self._held, 0)
        self._held = 0

    def pause_writing(self) -> None:
        # The write buffer passed [channel] max_buffer_bytes: start a drain window.
        self.over_since = time.monotonic()
        self._drained_mark = self._drained()
        self.check_slow()

    def resume_writing(self) -> None:
        self.over_since = None

    # -- HTTP and the upgrade ---------------------------------------------------------

    def _upgrade(self, upgrade: Upgrade) -> None:
        http, transport = self.http, self.transport
        assert http is not None and transport is not None
        url = urlsplit(upgrade.target)
        if url.path != "/websocket":
            http.fail(404, f"no WebSocket at {url.path!r}; use /websocket")
            return
        origin = upgrade.header("origin")
        if not self.gw.origins.allows(origin):
            self.gw.throttle.warning(
                "origin", "refused a WebSocket from origin %r (not in the allow-list)", origin
            )
            http.fail(403, f"origin {origin!r} is not allowed; add it to [channel] allowed_origins")
            return
        # websockets validates the handshake and computes Sec-WebSocket-Accept; no
        # extensions are offered, so permessage-deflate stays off.
        response = ServerProtocol().accept(Request(upgrade.target, Headers(upgrade.headers)))
        transport.write(response.serialize())
        if response.status_code != 101:
            transport.close()
            return
        self.http = None
        self.ws = MessageReader(self.gw.config.max_frame_bytes)
        query = parse_qs(url.query)
        user_token = query.get("userToken", [None])[0]
        vsn = query.get("vsn", ["2.0.0"])[0]
        self.session = self.gw.new_session(user_token)
        self.gw.stats["websockets_accepted"] += 1
        if vsn.split(".")[0] != "2":
            self.close(CLOSE_VERSION, f"unsupported vsn {vsn[:20]!r}; this server speaks 2.x")
            return
        if upgrade.rest:
            self._ws_data(upgrade.rest)

    # -- WebSocket --------------------------------------------------------------------

    def _ws_data(self, data: bytes) -> None:
        ws = self.ws
        assert ws is not None
        handle = self._message
        # Every frame of this read at once: pushes made here reach Redis in one write
        # (resp.Link) and their acks leave in one write per socket (reply_later).
        for event in ws.feed(data):
            if type(event) is Message:
                handle(event)
            elif type(event) is Control:
                self._control(event)
            else:  # a Violation, always the last event: close with its code
                violation = cast(Violation, event)
                self.close(violation.code, violation.reason, _leave_reason(violation.code))
                self._close_transport()

    def _control(self, frame: Control) -> None:
        if frame.opcode == OP_PING:
            if self.close_sent is None:
                self._write(ws_frame(OP_PONG, frame.data))
        elif frame.opcode == OP_CLOSE:
            # Echo the peer's close (unless ours went first), then end TCP: a server
            # closes the connection once both close frames are out (RFC 6455 7.1.1).
            if self.close_sent is None:
                self.close_sent = frame.code
                self._write(ws_frame(OP_CLOSE, frame.data))
            if not self.closing:
                self.closing = True
                self._end_session(_leave_reason(frame.code))
            self._close_transport()
        # A pong needs no answer.

    def _write(self, frame: bytes) -> None:
        if self.transport is not None:
            self.transport.write(frame)
            self.written += len(frame)

    def _message(self, message: Message) -> None:
        if self.closing:
            return
        backlog = self._backlog
        if backlog.waiting:
            if not backlog.hold(message):
                self.close(CLOSE_VERSION, "too many frames while a join waits for Redis")
            return
        session = self.session
        assert session is not None
        if message.text:
            try:
                text = message.data.decode("utf-8")
            except UnicodeDecodeError:
                self.close(1007, "text frame is not valid UTF-8")
                return
            self._run(session.receive_text(text))
        else:
            self._run(session.receive_binary(message.data))

    def _run(self, actions: list[Action]) -> None:
        gw = self.gw
        for action in actions:
            if type(action) is Publish:  # the hot path first
                # Acknowledged once Redis answered the PUBLISH (still pipelined).
                if action.ref is None:
                    gw.publish(action.channel, action.payload)
                elif not gw.publish_then(action, self._published):
                    answer = action.unavailable()
                    if answer is not None:
                        self.send_text(answer)
            elif isinstance(action, Send):
                self.send_text(action.text)
            elif isinstance(action, Leave):
                gw.leave(self, action.membership, action.reason)
            elif isinstance(action, Join):
                self._backlog.waiting = True
                gw.spawn(self._join(action))
            elif isinstance(action, Close):
                self.close(action.code, action.reason)

    def _published(self, action: Publish, reply: object) -> None:
        # PUBLISH answers with a count; an error reply or a lost link took nothing.
        answer = action.ok() if type(reply) is int else action.unavailable()
        if answer is not None and not self.closing:
            # Queued: the acks of one Redis reply batch go out in one write per socket.
            self.gw.reply_later(self, ws_frame(OP_TEXT, answer))

    async def _join(self, action: Join) -> None:
        try:
            await self.gw.join(self, action)
        finally:
            self._backlog.waiting = False
        backlog = self._backlog
        while not self.closing and (message := backlog.next()) is not None:
            self._message(message)
        self._account()

    # -- bounds -----------------------------------------------------------------------

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
        body = b'{"error":"too many connections to this gateway process; retry later"}'
        transport.write(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        transport.close()

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

    # -- output -----------------------------------------------------------------------

    def send_text(self, text: bytes) -> None:
        if not self.closing and self.transport is not None:
            frame = ws_frame(OP_TEXT, text)
            self.transport.write(frame)
            self.written += len(frame)
            if self.over_since is not None:
                self.check_slow()

    def queue(self, frame: bytes) -> bool:
        outbox = self._outbox
        outbox.append(frame)
        return len(outbox) == 1

    def flush(self) -> None:
        outbox = self._outbox
        if not outbox or self.closing or self.transport is None:
            outbox.clear()
            return
        self._outbox = []
        data = outbox[0] if len(outbox) == 1 else b"".join(outbox)
        self.transport.write(data)
        self.written += len(data)
        if self.over_since is not None:
            self.check_slow()

    def _drained(self) -> int:
        """Bytes the peer has taken so far (written minus still buffered)."""
        assert self.transport is not None
        return self.written - self.transport.get_write_buffer_size()

    def check_slow(self) -> None:
        """The slow-client policy, checked while the buffer is over max_buffer_bytes.

        Closed with 4008: a peer that took less than max_buffer_bytes during a whole
        grace window (it stopped reading), or whose buffer passes 8 x max_buffer_bytes
        (the memory bound). A peer that reads, but lags behind a burst, keeps
        receiving everything."""
        if self.closing or self.over_since is None or self.transport is None:
            return
        size = self.transport.get_write_buffer_size()
        limit = self.gw.config.max_buffer_bytes
        if size <= limit:
            return
        stalled = False
        if time.monotonic() - self.over_since > self.gw.slow_grace_secs:
            drained = self._drained()
            stalled = drained - self._drained_mark < limit
            self.over_since, self._drained_mark = time.monotonic(), drained
        if stalled or size > 8 * limit:
            self.gw.stats["slow_closes"] += 1
            log.warning(
                "closing a slow client: %d bytes waiting (limit %d, %s)",
                size,
                limit,
                "not reading" if stalled else "over 8 x the limit",
            )
            self.close(CLOSE_SLOW, "slow client: outgoing buffer limit exceeded", "slow")

    def close(self, code: int, reason: str, leave_reason: str = "disconnect") -> None:
        """Server-initiated close: end memberships now, send the close frame."""
        if self.closing:
            return
        self.closing = True
        self._outbox.clear()
        self._backlog.clear()
        self._end_session(leave_reason)
        if self.ws is not None and self.close_sent is None:
            self.close_sent = code
            self._write(ws_frame(OP_CLOSE, close_payload(code, reason)))
        self._arm_abort()

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

    def _end_session(self, reason: str) -> None:
        if self.session is not None:
            for action in self.session.close(reason):
                if isinstance(action, Leave):
                    self.gw.leave(self, action.membership, action.reason)
        # Any membership whose Leave an internal error prevented: no ghost survives.
        for m in list(self.memberships.values()):
            self.gw.leave(self, m, reason)

    def _arm_abort(self) -> None:
        if self._abort_timer is None and self.transport is not None:
            loop = asyncio.get_running_loop()
            self._abort_timer = loop.call_later(CLOSE_GRACE_SECS, self._close_transport, True)

    def _close_transport(self, abort: bool = False) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() and not abort:
            return
        if abort:
            transport.abort()
        else:
            transport.close()


def _leave_reason(code: int) -> str:
    """The reason plugins see in ``phx_leave`` when a socket closes with ``code``."""
    return "oversize" if code == CLOSE_TOO_BIG else "disconnect"
