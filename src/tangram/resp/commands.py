"""Pipelined Redis commands on one self-healing connection.

Commands are written in call order and Redis answers them in that order, so a
caller's commands (a socket's publishes) reach Redis in the order they were made,
without awaiting each one. Each reply goes to a future or a plain callback.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import hiredis

from ..redis_url import RedisAddress
from .link import Link, RedisDown

__all__ = ["MAX_PUBLISH_HEADS", "CommandClient", "ReplyCallback", "publish_head"]

log = logging.getLogger(__name__)

T = TypeVar("T")
#: ``callback(context, reply)``; ``reply`` is the decoded reply, a
#: ``hiredis.ReplyError`` when Redis refused the command, or a :class:`RedisDown`
#: when the connection was lost before the answer.
ReplyCallback = Callable[[T, Any], None]
#: Channels whose ``PUBLISH`` head (the command up to the payload) is kept in RESP:
#: the gateway publishes each push to ``from:<topic>:<event>``, a few names over and
#: over. Past this many, all are forgotten at once (the bound, not an LRU: cheap).
MAX_PUBLISH_HEADS = 1024


def publish_head(channel: str) -> bytes:
    """``PUBLISH channel`` in RESP, without the payload: a 3-element array's first two."""
    name = channel.encode()
    return b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n" % (len(name), name)


def _resolve(future: asyncio.Future[Any], reply: Any) -> None:
    if future.done():
        return
    if isinstance(reply, RedisDown):
        future.set_exception(reply)
    else:
        future.set_result(reply)


class CommandClient(Link):
    """Pipelined commands on one connection; replies are handed out in order."""

    def __init__(self, url: str | RedisAddress, name: str = "redis-commands") -> None:
        super().__init__(url, name)
        self._waiting: deque[tuple[Callable[[Any, Any], None], Any] | None] = deque()
        #: Called after each batch of replies (one read from the socket) has been
        #: handed out, and after the replies lost with a connection: where callers
        #: flush what the reply callbacks queued (one write per socket, not per reply).
        self.batch_listeners: list[Callable[[], None]] = []
        self._publish_heads: dict[str, bytes] = {}  # at most MAX_PUBLISH_HEADS

    def setup_commands(self) -> list[tuple[Any, ...]]:
        return [*super().setup_commands(), ("SELECT", self.address.db)]

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Send a command now (raises :class:`RedisDown`); the future gets the reply."""
        if not self.up:
            raise RedisDown(f"Redis at {self.where} is unreachable")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.write(*args)
        self._waiting.append((_resolve, future))
        return future

    def call_then(self, callback: ReplyCallback[T], context: T, *args: Any) -> bool:
        """Send a command; ``callback(context, reply)`` runs once it is answered or lost.

        False (and no callback) when Redis is down right now. No future, no task: the
        cheapest way to act on a reply, for hot paths."""
        if not self.up:
            return False
        self.write(*args)
        self._waiting.append((callback, context))
        return True

    def publish_then(
        self, callback: ReplyCallback[T], context: T, channel: str, payload: bytes
    ) -> bool:
        """``call_then(callback, context, "PUBLISH", channel, payload)``, for the hot
        path: the command is built in one step from its channel's remembered head."""
        if not self.up:
            return False
        heads = self._publish_heads
        head = heads.get(channel)
        if head is None:
            if len(heads) >= MAX_PUBLISH_HEADS:
                heads.clear()
            head = heads[channel] = publish_head(channel)
        # Link.write_packed, inlined: this runs once per client push.
        if self._transport is None:
            raise RedisDown(f"Redis at {self.where} is unreachable")
        pending = self._pending
        if not pending:
            asyncio.get_running_loop().call_soon(self._flush_writes)
        pending.append(b"%s$%d\r\n%s\r\n" % (head, len(payload), payload))
        self._waiting.append((callback, context))
        return True

    def send(self, *args: Any) -> bool:
        """Fire and forget (replies are discarded); False when Redis is down."""
        if not self.up:
            return False
        self.write(*args)
        self._waiting.append(None)
        return True

    async def execute(self, *args: Any) -> Any:
        """The reply of one command; Redis' error replies are raised."""
        reply = await self.call(*args)
        if isinstance(reply, hiredis.ReplyError):
            raise reply
        return reply

    def probe(self) -> None:
        self.send("PING")

    def on_reply(self, item: Any) -> None:
        # Any reply proves the link alive; replies come back in command order.
        self._probe_pending = False
        if self._waiting:
            waiter = self._waiting.popleft()
            if waiter is not None:
                waiter[0](waiter[1], item)

    def on_disconnected(self) -> None:
        lost = RedisDown(f"lost the connection to Redis at {self.where}")
        while self._waiting:
            waiter = self._waiting.popleft()
            if waiter is not None:
                try:
                    waiter[0](waiter[1], lost)
                except Exception:  # one failing callback must not strand the others
                    log.exception("%s: failed to handle a lost reply", self.name)
        self.on_batch_end()

    def on_batch_end(self) -> None:
        for listener in self.batch_listeners:
            try:
                listener()
            except Exception:  # one failing listener must not strand the others
                log.exception("%s: failed to handle the end of a reply batch", self.name)
