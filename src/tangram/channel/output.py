"""The sending side of a connection: writes, backpressure, and ending the transport.

Split from the reading side because it is the part other code drives: the hub queues
broadcast frames and flushes them once per Redis batch, joins send their replies,
housekeeping re-checks slow clients. It knows nothing of HTTP or Phoenix: what to do
when a client is too slow is :meth:`OutputSide.close`, which the WebSocket layer
(:mod:`.websocket`) implements.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Protocol

from ..config import ChannelConfig
from .wire import OP_TEXT, ws_frame

__all__ = ["CLOSE_GRACE_SECS", "CLOSE_SLOW", "OutputHost", "OutputSide"]

# The name the slow-client warning always had, so that log filters keep working.
log = logging.getLogger("tangram.channel.connection")

#: A client that does not drain its buffer (any server-initiated close makes phoenix.js
#: reconnect).
CLOSE_SLOW = 4008
#: After our close frame, how long the peer has to complete the close handshake.
CLOSE_GRACE_SECS = 5.0


class OutputHost(Protocol):
    """What the sending side needs from its gateway."""

    @property
    def config(self) -> ChannelConfig: ...
    @property
    def stats(self) -> collections.Counter[str]: ...
    @property
    def slow_grace_secs(self) -> float: ...


class OutputSide(asyncio.Protocol):
    """A transport's write side, with the slow-client policy of [channel] max_buffer_bytes."""

    gw: OutputHost

    def __init__(self, gateway: OutputHost) -> None:
        self.transport: asyncio.Transport | None = None
        #: Set once the connection ends (or starts ending): nothing more is sent.
        self.closing = False
        self.over_since: float | None = None  # when the write buffer went over the limit
        self.written = 0  # bytes handed to the transport, to measure what the peer drains
        self._drained_mark = 0
        self._outbox: list[bytes] = []
        self._abort_timer: asyncio.TimerHandle | None = None
        self.gw = gateway

    def close(self, code: int, reason: str, leave_reason: str = "disconnect") -> None:
        """Server-initiated close (implemented by the WebSocket layer)."""
        raise NotImplementedError

    # -- asyncio.Protocol -------------------------------------------------------------

    def pause_writing(self) -> None:
        # The write buffer passed [channel] max_buffer_bytes: start a drain window.
        self.over_since = time.monotonic()
        self._drained_mark = self._drained()
        self.check_slow()

    def resume_writing(self) -> None:
        self.over_since = None

    # -- writing ----------------------------------------------------------------------

    def _write(self, frame: bytes) -> None:
        if self.transport is not None:
            self.transport.write(frame)
            self.written += len(frame)

    def send_text(self, text: bytes) -> None:
        if not self.closing and self.transport is not None:
            frame = ws_frame(OP_TEXT, text)
            self.transport.write(frame)
            self.written += len(frame)
            if self.over_since is not None:
                self.check_slow()

    def queue(self, frame: bytes) -> bool:
        """Queue ``frame`` until :meth:`flush`; True when the queue was empty."""
        outbox = self._outbox
        outbox.append(frame)
        return len(outbox) == 1

    def flush(self) -> None:
        """Write what :meth:`queue` gathered, in one write."""
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

    # -- backpressure -----------------------------------------------------------------

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
        host = self.gw
        size = self.transport.get_write_buffer_size()
        limit = host.config.max_buffer_bytes
        if size <= limit:
            return
        stalled = False
        if time.monotonic() - self.over_since > host.slow_grace_secs:
            drained = self._drained()
            stalled = drained - self._drained_mark < limit
            self.over_since, self._drained_mark = time.monotonic(), drained
        if stalled or size > 8 * limit:
            host.stats["slow_closes"] += 1
            log.warning(
                "closing a slow client: %d bytes waiting (limit %d, %s)",
                size,
                limit,
                "not reading" if stalled else "over 8 x the limit",
            )
            self.close(CLOSE_SLOW, "slow client: outgoing buffer limit exceeded", "slow")

    # -- ending the transport -----------------------------------------------------------

    def _arm_abort(self) -> None:
        """Drop the transport after the close grace, whatever the peer does meanwhile."""
        if self._abort_timer is None and self.transport is not None:
            loop = asyncio.get_running_loop()
            self._abort_timer = loop.call_later(CLOSE_GRACE_SECS, self._close_transport, True)

    def _disarm_abort(self) -> None:
        if self._abort_timer is not None:
            self._abort_timer.cancel()

    def _close_transport(self, abort: bool = False) -> None:
        transport = self.transport
        if transport is None or transport.is_closing() and not abort:
            return
        if abort:
            transport.abort()
        else:
            transport.close()
