"""The streaming tick: expire, then publish each client's frame; and the 1 Hz loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .streaming import StreamingClients
from .table import EntityTable

__all__ = ["publish_frames", "run_every"]

log = logging.getLogger(__name__)


async def publish_frames(
    redis_client: aioredis.Redis,
    table: EntityTable,
    clients: StreamingClients,
    client_timeout: float,
) -> tuple[int, int]:
    """One tick: drop stale entities and silent clients, publish every client's frame
    in one pipeline. Returns ``(entities expired, frames published)``."""
    expired = table.expire(time.time())
    clients.expire(time.monotonic(), client_timeout)
    frames = clients.frames(table.records.values(), len(table))
    if frames:
        pipe = redis_client.pipeline(transaction=False)
        for channel, body in frames:
            pipe.publish(channel, body)
        await pipe.execute()
    return expired, len(frames)


async def run_every(interval: float, step: Callable[[], Awaitable[object]], what: str) -> None:
    """Call ``step`` every ``interval`` seconds, forever, on a fixed schedule.

    Redis errors skip ticks (the client reconnects by itself) instead of crashing the
    service; a tick that overruns is not caught up (the next one starts at once)."""
    next_tick = time.monotonic()
    failing = False
    while True:
        try:
            await step()
            if failing:
                log.info("%s again", what)
            failing = False
        except (RedisError, OSError) as exc:
            if not failing:
                log.warning("cannot publish %s (%s); retrying every tick", what, exc)
            failing = True
        next_tick += interval
        delay = next_tick - time.monotonic()
        if delay < 0:  # fell behind (huge picture?): do not try to catch up
            next_tick, delay = time.monotonic(), 0
        await asyncio.sleep(delay)
