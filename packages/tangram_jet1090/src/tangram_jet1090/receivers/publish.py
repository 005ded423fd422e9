"""``publish_decoded``: decoded messages go out on the jet1090 Redis channel.

Other tools (and this plugin's own feed reader, which then applies them) see the same
JSON as from jet1090. Messages are queued by the ingest path and published in one
pipeline per wake-up; a Redis outage drops them (counted) rather than piling up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["MAX_PENDING", "Publisher"]

log = logging.getLogger(__name__)

#: Messages waiting to be published beyond which new ones are dropped.
MAX_PENDING = 200_000


class Publisher:
    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.pending: list[bytes] = []
        self.published = 0
        self.dropped = 0
        self._wake = asyncio.Event()

    def __call__(self, message: dict[str, Any]) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.dropped += 1
            return
        self.pending.append(orjson.dumps(message))
        self._wake.set()

    async def run(self, redis_client: aioredis.Redis) -> None:
        failing = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self.pending = self.pending, []
            pipe = redis_client.pipeline(transaction=False)
            for body in batch:
                pipe.publish(self.channel, body)
            try:
                await pipe.execute()
            except (RedisError, OSError) as exc:
                self.dropped += len(batch)
                if not failing:
                    log.warning("publish_decoded: cannot publish (%s); dropping messages", exc)
                failing = True
                await asyncio.sleep(1)
                continue
            if failing:
                log.info("publish_decoded: publishing again")
            failing = False
            self.published += len(batch)
