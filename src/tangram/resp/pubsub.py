"""Redis pub/sub on one self-healing connection, with synchronous message callbacks.

``redis.asyncio`` awaits once per message, which costs more than handling the
message itself at 10-20k messages/s. Here every message of a socket read (often
hundreds) goes to a plain callback in one go, and ``on_batch_end`` runs after the
batch (the gateway writes each client's queued frames then, once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import hiredis

from ..redis_url import RedisAddress
from .link import Link

__all__ = ["MessageHandler", "PatternHandler", "PubSubClient"]

log = logging.getLogger(__name__)

#: ``on_message(channel, data)`` for SUBSCRIBE channels.
MessageHandler = Callable[[bytes, bytes], None]
#: ``on_pmessage(pattern, channel, data)`` for PSUBSCRIBE patterns.
PatternHandler = Callable[[bytes, bytes, bytes], None]


def _ignore(*_: bytes) -> None:
    pass


class PubSubClient(Link):
    """Channel and pattern subscriptions, kept across reconnections.

    ``subscribe``/``psubscribe`` return a future resolved once Redis confirmed the
    subscription; after a reconnection every subscription is made again and
    :attr:`subscribed` is set once all are confirmed."""

    def __init__(
        self,
        url: str | RedisAddress,
        on_pmessage: PatternHandler | None = None,
        on_batch_end: Callable[[], None] | None = None,
        *,
        on_message: MessageHandler | None = None,
        name: str = "redis-pubsub",
    ) -> None:
        super().__init__(url, name)
        self._on_pmessage = on_pmessage or _ignore
        self._on_message = on_message or _ignore
        self._flush = on_batch_end
        self.patterns: set[bytes] = set()
        self.channels: set[bytes] = set()
        #: Set while every subscription is confirmed on the current connection.
        self.subscribed = asyncio.Event()
        # (kind, name) -> confirmation; kind is b"psubscribe" or b"subscribe".
        self._confirm: dict[tuple[bytes, bytes], asyncio.Future[None]] = {}
        self._unconfirmed: set[tuple[bytes, bytes]] = set()

    def psubscribe(self, pattern: bytes) -> asyncio.Future[None]:
        """Subscribe a pattern (now, or on reconnection); resolves once confirmed."""
        return self._add(b"psubscribe", self.patterns, pattern)

    def subscribe(self, channel: bytes) -> asyncio.Future[None]:
        """Subscribe a channel (now, or on reconnection); resolves once confirmed."""
        return self._add(b"subscribe", self.channels, channel)

    def punsubscribe(self, pattern: bytes) -> None:
        self.patterns.discard(pattern)
        future = self._confirm.pop((b"psubscribe", pattern), None)
        if future is not None and not future.done():
            future.cancel()
        self._unconfirmed.discard((b"psubscribe", pattern))
        if self.up:
            self.write("PUNSUBSCRIBE", pattern)
        self._check_all_confirmed()

    def _add(self, kind: bytes, names: set[bytes], name: bytes) -> asyncio.Future[None]:
        key = (kind, name)
        future = self._confirm.get(key)
        if name in names and future is not None:
            return future
        names.add(name)
        future = asyncio.get_running_loop().create_future()
        self._confirm[key] = future
        self._unconfirmed.add(key)
        self.subscribed.clear()
        if self.up:
            self.write(kind.upper(), name)
        return future

    def on_reply(self, item: Any) -> None:
        self._probe_pending = False
        if type(item) is not list:
            if isinstance(item, hiredis.ReplyError):
                log.error("%s: Redis refused a subscription command: %s", self.name, item)
            return  # a PONG before any subscription
        kind = item[0]
        if kind == b"message":
            self._on_message(item[1], item[2])
        elif kind == b"pmessage":
            self._on_pmessage(item[1], item[2], item[3])
        elif kind == b"psubscribe" or kind == b"subscribe":
            key = (kind, item[1])
            future = self._confirm.get(key)
            if future is not None and not future.done():
                future.set_result(None)
                self._unconfirmed.discard(key)
                self._check_all_confirmed()

    def _check_all_confirmed(self) -> None:
        if self.up and not self._unconfirmed:
            self.subscribed.set()

    def on_batch_end(self) -> None:
        if self._flush is not None:
            self._flush()

    def on_connected(self) -> None:
        if self.channels:
            self.write("SUBSCRIBE", *sorted(self.channels))
        if self.patterns:
            self.write("PSUBSCRIBE", *sorted(self.patterns))
        self._check_all_confirmed()

    def on_disconnected(self) -> None:
        # Subscriptions are re-made on reconnection; callers wait for the new confirmation.
        self.subscribed.clear()
        loop = asyncio.get_running_loop()
        for key, future in list(self._confirm.items()):
            if future.done():
                self._confirm[key] = loop.create_future()
        self._unconfirmed = set(self._confirm)
