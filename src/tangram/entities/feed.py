"""One kind of live entity, ready to run: table, streaming clients, history, loops.

A plugin builds an :class:`EntityFeed` in its lifespan, calls :meth:`EntityFeed.update`
for every decoded message, and runs :meth:`listen`, :meth:`stream_forever` and
:meth:`history_forever` as services. Everything else (boxes, selections, clients that
come and go with their connection, expiry, trajectories) is shared.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from ..redis import Subscriber
from .history import HistoryStore
from .streaming import CONTROL_PATTERN, StreamingClients
from .table import EntityTable, TableFull
from .ticks import publish_frames, run_every

__all__ = ["EntityFeed", "FeedCounters"]

log = logging.getLogger(__name__)

#: ``on_message(channel, payload)`` for the extra channels :meth:`EntityFeed.listen` reads.
ChannelHandler = Callable[[str, bytes], None]


@dataclass
class FeedCounters:
    applied: int = 0
    refused: int = 0
    expired: int = 0
    frames_sent: int = 0


class EntityFeed:
    """Entities of one kind: ``update`` them, stream them, keep their trajectories."""

    def __init__(
        self,
        table: EntityTable,
        clients: StreamingClients,
        history: HistoryStore | None = None,
        *,
        interval_secs: float = 1.0,
        client_timeout_secs: float = 300.0,
        position_field: str = "latitude",
    ) -> None:
        self.table = table
        self.clients = clients
        self.history = history
        self.interval_secs = interval_secs
        self.client_timeout_secs = client_timeout_secs
        self.position_field = position_field
        self.counters = FeedCounters()

    async def open(self) -> None:
        """Open the history database, if any (with :func:`runtime_lifespan`, at start-up)."""
        if self.history is not None:
            await self.history.open()

    async def close(self) -> None:
        if self.history is not None:
            await self.history.close()

    def update(
        self, key: Hashable, timestamp: float | None, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Apply one message; positions also go to the history. None: table full."""
        try:
            record = self.table.update(key, timestamp, fields, time.time())
        except TableFull:
            self.counters.refused += 1
            return None
        self.counters.applied += 1
        if self.history is not None and self.position_field in fields:
            self.history.observe(record)
        return record

    def control(self, channel: str, payload: bytes) -> None:
        """A message on ``from:streaming-*``: a browser's push or a lifecycle event."""
        self.clients.handle(channel, payload, time.monotonic())

    async def tick(self, redis_client: aioredis.Redis) -> int:
        expired, sent = await publish_frames(
            redis_client, self.table, self.clients, self.client_timeout_secs
        )
        self.counters.expired += expired
        self.counters.frames_sent += sent
        return sent

    async def stream_forever(self, redis_client: aioredis.Redis) -> None:
        """Every ``interval_secs``: expire, then send each client its frame."""
        await run_every(
            self.interval_secs, lambda: self.tick(redis_client), f"{self.clients.list_name} frames"
        )

    async def history_forever(self) -> None:
        if self.history is not None:
            await self.history.maintain()

    async def listen(
        self,
        redis_url: str,
        channels: Sequence[str] = (),
        on_message: ChannelHandler | None = None,
        subscribed: asyncio.Event | None = None,
    ) -> None:
        """Forever: the browsers' streaming topics, plus ``channels`` (exact Redis
        channel names) handed to ``on_message``. Reconnects by itself."""
        listener = _Listener(self, redis_url, list(channels), on_message)
        await listener.subscribe()
        if subscribed is not None:
            subscribed.set()
        try:
            await asyncio.Future()
        finally:
            await listener.cleanup()


class _Listener(Subscriber[None]):
    def __init__(
        self,
        feed: EntityFeed,
        redis_url: str,
        channels: list[str],
        on_message: ChannelHandler | None,
    ) -> None:
        # Channel names are used as patterns: refuse the ones that would match others.
        for name in channels:
            if any(c in name for c in "*?[]\\"):
                raise ValueError(f"channel {name!r} contains a pattern character (*?[]\\)")
        super().__init__(
            f"{feed.clients.list_name}-feed", redis_url, [CONTROL_PATTERN, *channels], None
        )
        self.feed = feed
        self.on_message = on_message

    async def message_handler(self, event: str, payload: str, pattern: str, state: None) -> None:
        if pattern == CONTROL_PATTERN:
            self.feed.control(event, payload.encode())
        elif self.on_message is not None:
            self.on_message(event, payload.encode())
