"""Redis outages, slow clients and idle sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tangram.channel.connection import CLOSE_IDLE, CLOSE_SLOW
from tangram.channel.tokens import SECRET_KEY
from tangram.testing import RedisServer

from .conftest import GatewayFactory, Phx, Watcher, http_base, mint, ws_url

OK = {"status": "ok", "response": {}}


async def publish_until_received(client: Phx, url: str, channel: str, event: str) -> float:
    """Publish on a fresh connection every 100 ms until ``client`` gets one; the time taken."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < 15:
        try:
            publisher = aioredis.Redis.from_url(url)
            await publisher.publish(channel, b'{"probe":true}')
            await publisher.aclose()
        except (ConnectionError, OSError):
            pass
        try:
            await client.expect(event, timeout=0.1)
            return loop.time() - start
        except asyncio.TimeoutError:
            continue
    raise AssertionError(f"nothing received on {channel} within 15 s")


async def test_redis_restart_mid_session(
    redis_server: RedisServer, gateway_factory: GatewayFactory
) -> None:
    gateway = await gateway_factory()
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as ws:
        client = Phx(ws)
        await client.join("room", await mint(base, "room", "alice"))
        await client.join("system", await mint(base, "system", "alice"))
        await client.expect("presence_state", "system")

        await asyncio.to_thread(redis_server.stop)
        # The socket stays up; heartbeats still work; a push gets an error reply.
        await client.send([None, "h1", "phoenix", "heartbeat", {}])
        assert (await client.expect("phx_reply"))[4] == OK
        await asyncio.sleep(0.3)
        await client.send(["1", "p1", "room", "move", {"x": 1}])
        reply = await client.expect("phx_reply")
        assert reply[1] == "p1"
        assert reply[4] == {"status": "error", "response": {"reason": "unavailable"}}

        await asyncio.to_thread(redis_server.start)
        # Delivery resumes on every subscription, without any client action.
        await publish_until_received(client, redis_server.url, "to:room:after", "after")
        await publish_until_received(client, redis_server.url, "to:system:after", "after")
        await client.send(["1", "p2", "room", "move", {"x": 2}])
        assert (await client.expect("phx_reply"))[4] == OK

        # The shared secret and this gateway's presence entries are restored.
        redis = aioredis.Redis.from_url(redis_server.url)
        try:
            assert await redis.get(SECRET_KEY) is not None
        finally:
            await redis.aclose()
        async with connect(ws_url(gateway)) as ws2:
            bob = Phx(ws2)
            await bob.join("room", await mint(base, "room", "bob"))
            state = (await bob.expect("presence_state"))[4]
            assert sorted(state) == ["alice", "bob"]


async def test_slow_client_is_closed_fast_client_gets_everything(
    gateway_factory: GatewayFactory, redis_client: aioredis.Redis, watcher: Watcher
) -> None:
    gateway = await gateway_factory(max_buffer_bytes=256 * 1024)
    base = http_base(gateway)
    count, size = 600, 16 * 1024
    async with connect(ws_url(gateway), max_size=None) as fast_ws, \
            connect(ws_url(gateway), max_size=None, max_queue=1) as slow_ws:  # fmt: skip
        fast, slow = Phx(fast_ws), Phx(slow_ws)
        await fast.join("firehose", await mint(base, "firehose", "fast"))
        await slow.join("firehose", await mint(base, "firehose", "slow"))
        await slow.expect("presence_state")
        # From here on the slow client reads nothing, while the fast one reads all along.

        async def read_all() -> list[int]:
            received: list[int] = []
            while len(received) < count:
                frame = await fast.recv(timeout=10)
                if frame[3] == "data":
                    received.append(frame[4]["n"])
            return received

        reader = asyncio.create_task(read_all())
        filler = "x" * size
        for n in range(count):
            await redis_client.publish("to:firehose:data", json.dumps({"n": n, "f": filler}))
        assert await reader == list(range(count))  # all of them, in order

        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await slow.recv_raw(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_SLOW
    assert gateway.stats["slow_closes"] == 1
    await watcher.collect(lambda s: any(b'"slow"' in d for n, d in s if "phx_leave" in n))
    (leave,) = [json.loads(d) for d in watcher.on("from:firehose:phx_leave")]
    assert leave == {
        "id": "slow",
        "topic": "firehose",
        "phx_ref": leave["phx_ref"],
        "reason": "slow",
    }


async def test_idle_socket_is_closed(gateway_factory: GatewayFactory, watcher: Watcher) -> None:
    gateway = await gateway_factory(heartbeat_timeout_secs=1.0)
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as idle_ws, connect(ws_url(gateway)) as live_ws:
        idle, live = Phx(idle_ws), Phx(live_ws)
        await idle.join("room", await mint(base, "room", "idle"))
        await live.join("room", await mint(base, "room", "live"))
        # The live client heartbeats every 0.25 s; the idle one sends nothing.
        with pytest.raises(ConnectionClosed) as closed:
            for n in range(16):
                await live.send([None, f"h{n}", "phoenix", "heartbeat", {}])
                assert (await live.expect("phx_reply"))[1] == f"h{n}"
                with contextlib.suppress(asyncio.TimeoutError):
                    await idle.recv_raw(timeout=0.25)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_IDLE
        assert n >= 3  # it was open for about the timeout
        await live.send([None, "last", "phoenix", "heartbeat", {}])
        assert (await live.expect("phx_reply"))[1] == "last"
    await watcher.collect(lambda s: any(b'"timeout"' in d for _, d in s))
    (leave,) = [json.loads(d) for d in watcher.on("from:room:phx_leave") if b"idle" in d]
    assert leave["reason"] == "timeout"


async def test_join_while_redis_is_down_gets_an_error_then_works(
    redis_server: RedisServer, gateway_factory: GatewayFactory
) -> None:
    gateway = await gateway_factory()
    gateway.join_timeout_secs = 0.5
    token = await mint(http_base(gateway), "late")
    async with connect(ws_url(gateway)) as ws:
        client = Phx(ws)
        await asyncio.to_thread(redis_server.stop)
        await client.send(["1", "1", "late", "phx_join", {"token": token}])
        # Sent while the join waits: answered after it, in order.
        await client.send([None, "2", "phoenix", "heartbeat", {}])
        reply = await client.recv()
        assert reply[:4] == ["1", "1", "late", "phx_reply"]
        assert reply[4] == {"status": "error", "response": {"reason": "unavailable"}}
        assert (await client.recv())[:2] == [None, "2"]
        await asyncio.to_thread(redis_server.start)
        gateway.join_timeout_secs = 5.0
        assert (await client.join("late", token))[4] == OK


async def test_burst_reaches_every_reading_client(
    gateway_factory: GatewayFactory, redis_client: aioredis.Redis
) -> None:
    gateway = await gateway_factory(max_buffer_bytes=64 * 1024)
    base, count = http_base(gateway), 10_000
    sockets = [await connect(ws_url(gateway)) for _ in range(4)]
    try:
        clients = [Phx(ws) for ws in sockets]
        for n, phx in enumerate(clients):
            await phx.join("burst", await mint(base, "burst", f"c{n}"))

        async def read_all(phx: Phx) -> list[int]:
            seen: list[int] = []
            while len(seen) < count:
                frame = await phx.recv(timeout=20)
                if frame[3] == "n":
                    seen.append(frame[4])
            return seen

        readers = [asyncio.create_task(read_all(phx)) for phx in clients]
        pipe = redis_client.pipeline(transaction=False)
        for n in range(count):  # as fast as Redis takes them
            pipe.publish("to:burst:n", str(n))
        await pipe.execute()
        for seen in await asyncio.gather(*readers):
            assert seen == list(range(count))
        assert gateway.stats["slow_closes"] == 0
    finally:
        for ws in sockets:
            await ws.close()
