"""The WebSocket side of a connection: frames in, Phoenix actions out, the close.

After the handshake, a socket's reads go through here: the frame reader
(:class:`~tangram.channel.inbound.MessageReader`) turns them into messages and
control frames, the Phoenix :class:`~tangram.channel.phoenix.Session` turns messages
into actions, and this layer carries the actions out through its gateway (publish,
join, leave, reply). It is the ingress hot path, kept apart from the HTTP phase and
the connection's lifecycle (:mod:`.connection`), and built on the sending side
(:mod:`.output`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol, cast

from ..resp import CommandClient
from .actions import Action, Close, Join, Leave, Membership, Publish, Send
from .backlog import Backlog
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
from .output import OutputHost, OutputSide
from .phoenix import Session
from .wire import OP_TEXT, ws_frame

__all__ = ["BACKLOG_FRAMES", "CLOSE_VERSION", "WebSocketHost", "WebSocketSide", "leave_reason"]

#: Policy violation: unsupported vsn, or flooding while a join is pending.
CLOSE_VERSION = 1008
#: Bytes a socket may send while one of its joins waits for Redis, in max_frame_bytes.
BACKLOG_FRAMES = 4


class WebSocketHost(OutputHost, Protocol):
    """What the WebSocket side needs from its gateway: Redis, joins and leaves.

    Pushes go straight to the gateway's command link (``commands``): the hot path
    makes no call that only forwards."""

    @property
    def commands(self) -> CommandClient: ...
    def flush_later(self, conn: WebSocketSide) -> None: ...
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...
    async def join(self, conn: WebSocketSide, action: Join) -> None: ...
    def leave(self, conn: WebSocketSide, m: Membership, reason: str) -> None: ...


class WebSocketSide(OutputSide):
    """A socket's WebSocket session: ``ws`` and ``session`` are set by the handshake."""

    gw: WebSocketHost

    def __init__(self, gateway: WebSocketHost) -> None:
        super().__init__(gateway)
        #: The WebSocket's frame reader, once the handshake is done.
        self.ws: MessageReader | None = None
        self.close_sent: int | None = None  # the close code we sent
        self.session: Session | None = None
        #: Memberships that took effect (kept by the gateway's joins): whatever happens
        #: to the session's own view, these are ended when the socket ends.
        self.memberships: dict[str, Membership] = {}  # by phx_ref
        self._backlog = Backlog(BACKLOG_FRAMES * gateway.config.max_frame_bytes)

    def _ws_data(self, data: bytes) -> None:
        ws = self.ws
        assert ws is not None
        handle = self._message
        # Every frame of this read at once: pushes made here reach Redis in one write
        # (resp.Link) and their acks leave in one write per socket (flush_later).
        for event in ws.feed(data):
            if type(event) is Message:
                handle(event)
            elif type(event) is Control:
                self._control(event)
            else:  # a Violation, always the last event: close with its code
                violation = cast(Violation, event)
                self.close(violation.code, violation.reason, leave_reason(violation.code))
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
                self._end_session(leave_reason(frame.code))
            self._close_transport()
        # A pong needs no answer.

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
            publish = session.receive_push(message.data)
            if publish is not None:  # the hot path: one push, acknowledged by Redis
                done = self._published
                if not self.gw.commands.publish_then(
                    done, publish, publish.channel, publish.payload
                ):
                    answer = publish.unavailable()
                    if answer is not None:
                        self.send_text(answer)
                return
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
                    gw.commands.send("PUBLISH", action.channel, action.payload)
                elif not gw.commands.publish_then(
                    self._published, action, action.channel, action.payload
                ):
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
        if self.closing:
            return
        frame = action.ack_frame
        if frame is None or type(reply) is not int:
            answer = action.ok() if type(reply) is int else action.unavailable()
            if answer is None:
                return
            frame = ws_frame(OP_TEXT, answer)
        # Queued: the acks of one Redis reply batch go out in one write per socket.
        outbox = self._outbox
        outbox.append(frame)
        if len(outbox) == 1:
            self.gw.flush_later(self)

    async def _join(self, action: Join) -> None:
        try:
            await self.gw.join(self, action)
        finally:
            self._backlog.waiting = False
        backlog = self._backlog
        while not self.closing and (message := backlog.next()) is not None:
            self._message(message)
        self._account()

    def _account(self) -> None:
        """Charge what this socket holds to its worker's budget (:mod:`.connection`)."""
        raise NotImplementedError

    # -- the end ----------------------------------------------------------------------

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

    def _end_session(self, reason: str) -> None:
        if self.session is not None:
            for action in self.session.close(reason):
                if isinstance(action, Leave):
                    self.gw.leave(self, action.membership, action.reason)
        # Any membership whose Leave an internal error prevented: no ghost survives.
        for m in list(self.memberships.values()):
            self.gw.leave(self, m, reason)


def leave_reason(code: int) -> str:
    """The reason plugins see in ``phx_leave`` when a socket closes with ``code``."""
    return "oversize" if code == CLOSE_TOO_BIG else "disconnect"
