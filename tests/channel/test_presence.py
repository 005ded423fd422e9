"""Presence with several clients and several gateway processes on one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from tangram.channel import ChannelProcess
from tangram.config import TangramConfig
from tangram.testing import RedisServer

from .conftest import GatewayFactory, Phx, Watcher, http_base, mint, ws_url


def ids(state: dict[str, Any]) -> list[str]:
    return sorted(state)


async def until_diff(client: Phx, key: str, side: str, timeout: float = 8.0) -> Any:
    """The next presence_diff whose ``side`` (joins/leaves) names ``key``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        diff = await client.expect("presence_diff", timeout=max(0.01, deadline - loop.time()))
        if key in diff[4][side]:
            return diff[4]


async def test_two_clients_one_gateway(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory()
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as ws_a, connect(ws_url(gateway)) as ws_b:
        alice, bob = Phx(ws_a), Phx(ws_b)
        await alice.join("room", await mint(base, "room", "alice"))
        assert ids((await alice.expect("presence_state"))[4]) == ["alice"]
        await bob.join("room", await mint(base, "room", "bob"))
        state = (await bob.expect("presence_state"))[4]
        assert ids(state) == ["alice", "bob"]
        diff = await until_diff(alice, "bob", "joins")
        assert diff["leaves"] == {}
        assert diff["joins"]["bob"]["metas"] == state["bob"]["metas"]
        await bob.send(["1", "2", "room", "phx_leave", {}])
        diff = await until_diff(alice, "bob", "leaves")
        assert diff["joins"] == {} and diff["leaves"]["bob"]["metas"] == state["bob"]["metas"]


async def test_two_gateways_share_routing_presence_and_tokens(
    gateway_factory: GatewayFactory, redis_client: aioredis.Redis
) -> None:
    one, two = await gateway_factory(), await gateway_factory()
    async with connect(ws_url(one)) as ws_a, connect(ws_url(two)) as ws_b:
        alice, bob = Phx(ws_a), Phx(ws_b)
        # Tokens minted by one instance are accepted by the other (shared secret).
        await alice.join("room", await mint(http_base(two), "room", "alice"))
        await alice.expect("presence_state")
        await bob.join("room", await mint(http_base(one), "room", "bob"))
        assert ids((await bob.expect("presence_state"))[4]) == ["alice", "bob"]
        await until_diff(alice, "bob", "joins")
        await redis_client.publish("to:room:news", b'{"n":1}')
        for client in (alice, bob):
            assert (await client.expect("news"))[4] == {"n": 1}


@contextlib.asynccontextmanager
async def victim_beside_witness(
    victim_gateway: ChannelProcess, survivor: Any
) -> AsyncIterator[tuple[Phx, Phx]]:
    """ "victim" joined "room" on ``victim_gateway``, "witness" on ``survivor``; yields once
    the witness has seen the victim join."""
    async with connect(f"ws://127.0.0.1:{victim_gateway.port}/websocket?vsn=2.0.0") as ws_v, \
            connect(ws_url(survivor)) as ws_s:  # fmt: skip
        victim, witness = Phx(ws_v), Phx(ws_s)
        await witness.join("room", await mint(http_base(survivor), "room", "witness"))
        await witness.expect("presence_state")
        await victim.join("room", await mint(http_base(survivor), "room", "victim"))
        await until_diff(witness, "victim", "joins")
        yield victim, witness


async def test_killed_instance_entries_vanish(
    redis_server: RedisServer, gateway_factory: GatewayFactory, watcher: Watcher
) -> None:
    survivor = await gateway_factory()
    config = TangramConfig()
    config.channel.port = 0
    # A short liveness TTL keeps the test quick (the default is 10 s).
    doomed = ChannelProcess(config, redis_server.url, presence_ttl=2.0)
    await doomed.start()
    try:
        async with victim_beside_witness(doomed, survivor) as (victim, witness):
            os.kill(doomed.processes[0].pid, signal.SIGKILL)
            diff = await until_diff(witness, "victim", "leaves", timeout=10)
            assert diff["joins"] == {}
            # A new joiner's state no longer lists it.
            async with connect(ws_url(survivor)) as ws_n:
                newcomer = Phx(ws_n)
                await newcomer.join("room", await mint(http_base(survivor), "room", "new"))
                assert ids((await newcomer.expect("presence_state"))[4]) == ["new", "witness"]
        await watcher.collect(lambda s: any(b'"victim"' in d and "phx_leave" in n for n, d in s))
        (leave,) = [json.loads(d) for d in watcher.on("from:room:phx_leave") if b"victim" in d]
        assert leave["reason"] == "disconnect"
    finally:
        await doomed.stop()


async def test_stalled_instance_restores_its_presence(
    redis_server: RedisServer, gateway_factory: GatewayFactory, watcher: Watcher
) -> None:
    """A gateway paused past its liveness TTL is reaped by the survivors; once it runs
    again its clients (still connected) must come back in everyone's presence."""
    survivor = await gateway_factory()
    config = TangramConfig()
    config.channel.port = 0
    stalled = ChannelProcess(config, redis_server.url, presence_ttl=1.5)
    await stalled.start()
    pid = stalled.processes[0].pid
    try:
        async with victim_beside_witness(stalled, survivor) as (victim, witness):
            os.kill(pid, signal.SIGSTOP)
            try:
                await until_diff(witness, "victim", "leaves", timeout=10)  # reaped
            finally:
                os.kill(pid, signal.SIGCONT)
            back = await until_diff(witness, "victim", "joins", timeout=10)
            assert back["leaves"] == {}
            async with connect(ws_url(survivor)) as ws_n:
                newcomer = Phx(ws_n)
                await newcomer.join("room", await mint(http_base(survivor), "room", "new"))
                state = (await newcomer.expect("presence_state"))[4]
                assert ids(state) == ["new", "victim", "witness"]
            # The victim's socket survived the pause and still receives.
            await redis_client_publish(redis_server.url, "to:room:news", b'{"n":1}')
            assert (await victim.expect("news"))[4] == {"n": 1}
        # Plugins saw the reap's leave, then the join again.
        await watcher.collect(
            lambda s: sum(b'"victim"' in d and n == "from:room:phx_join" for n, d in s) >= 2
        )
        events = [n for n, d in watcher.seen if b'"victim"' in d and n.startswith("from:")]
        assert events == ["from:room:phx_join", "from:room:phx_leave", "from:room:phx_join"]
    finally:
        await stalled.stop()


async def redis_client_publish(url: str, channel: str, payload: bytes) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        await client.publish(channel, payload)
    finally:
        await client.aclose()


async def test_admin_members_span_instances(
    gateway_factory: GatewayFactory, watcher: Watcher
) -> None:
    one, two = await gateway_factory(), await gateway_factory()

    def admin(event: str, client_id: str) -> dict[str, Any] | None:
        for data in watcher.on(f"to:admin:{event}"):
            payload: dict[str, Any] = json.loads(data)
            if payload["id"] == client_id:
                return payload
        return None

    async with connect(ws_url(one)) as ws_a, connect(ws_url(two)) as ws_b:
        alice, bob = Phx(ws_a), Phx(ws_b)
        await alice.join("room", await mint(http_base(one), "room", "alice"))
        await alice.expect("presence_state")
        await bob.join("room", await mint(http_base(two), "room", "bob"))
        await bob.expect("presence_state")
        await watcher.collect(lambda _: admin("channel.join", "bob") is not None)
        joined = admin("channel.join", "bob")
        assert joined is not None and joined["members"] == ["alice", "bob"]
        await bob.send(["1", "2", "room", "phx_leave", {}])
        await watcher.collect(lambda _: admin("channel.leave", "bob") is not None)
        left = admin("channel.leave", "bob")
        assert left is not None and left["members"] == ["alice"]
