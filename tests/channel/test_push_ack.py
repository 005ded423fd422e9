"""A push is acknowledged only once Redis accepted it (issue 8, item 13)."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from tangram.testing import RedisServer

from .conftest import GatewayFactory, Phx, http_base, mint, ws_url

OK = {"status": "ok", "response": {}}
UNAVAILABLE = {"status": "error", "response": {"reason": "unavailable"}}


async def test_push_into_a_dying_redis_is_not_acknowledged_ok(
    redis_server: RedisServer, gateway_factory: GatewayFactory
) -> None:
    gateway = await gateway_factory()
    async with connect(ws_url(gateway)) as ws:
        client = Phx(ws)
        await client.join("room", await mint(http_base(gateway), "room", "alice"))
        await client.send(["1", "p1", "room", "move", {"x": 1}])
        assert (await client.expect("phx_reply"))[4] == OK

        # Redis freezes, then dies: the gateway's link is still up when the push leaves,
        # but Redis never answers it.
        assert redis_server.process is not None
        os.kill(redis_server.process.pid, signal.SIGSTOP)
        await client.send(["1", "p2", "room", "move", {"x": 2}])
        await client.send(["1", "p3", "room", "move", {"x": 3}])
        await asyncio.sleep(0.2)  # the pushes are written to the frozen Redis
        os.kill(redis_server.process.pid, signal.SIGKILL)
        replies = [await client.expect("phx_reply"), await client.expect("phx_reply")]
        assert [(r[1], r[4]) for r in replies] == [("p2", UNAVAILABLE), ("p3", UNAVAILABLE)]

        # Back up: pushes are published and acknowledged again.
        await asyncio.to_thread(redis_server.start)
        watcher = aioredis.Redis.from_url(redis_server.url)
        pubsub = watcher.pubsub()
        await pubsub.subscribe("from:room:move")
        try:
            for attempt in range(100):
                await client.send(["1", f"q{attempt}", "room", "move", {"x": attempt}])
                if (await client.expect("phx_reply"))[4] == OK:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("pushes never acknowledged after Redis came back")
            data = []
            for _ in range(50):
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                if message is not None:
                    data.append(json.loads(message["data"]))
                    break
            assert data == [{"x": attempt}]
        finally:
            await pubsub.aclose()
            await watcher.aclose()
