"""Hostile clients against a real gateway and a real Redis (hardening issue 8)."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from tangram.channel.server import Gateway

from .conftest import client_frame, http_base, mint, raw_websocket, until

BASE_PATTERNS = {b"to:system:*", b"to:admin:*"}


async def test_join_then_reset_releases_the_pattern(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    """Finding 1: a join followed at once by a disconnect, before Redis confirmed the
    topic's pattern, must not leave ``to:<topic>:*`` subscribed."""
    star = await mint(http_base(gateway), "*")
    baseline = await redis_client.execute_command("PUBSUB", "NUMPAT")
    for i in range(60):
        _, writer = await raw_websocket(gateway)
        join = ["1", "1", f"leak:{i}", "phx_join", {"token": star}]
        writer.write(client_frame(json.dumps(join).encode()))
        if i % 2:
            writer.transport.abort()  # RST
        else:
            writer.close()  # FIN
    await until(lambda: not gateway.connections, "every socket gone")
    await until(lambda: gateway.hub.pubsub.patterns == BASE_PATTERNS, "only permanent patterns")
    assert not gateway.hub.topics

    async def numpat_back() -> bool:
        return bool(await redis_client.execute_command("PUBSUB", "NUMPAT") == baseline)

    await until(numpat_back, f"PUBSUB NUMPAT back to {baseline}")
