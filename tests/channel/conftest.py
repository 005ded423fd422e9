"""Fixtures for the gateway tests: in-process gateways on a private Redis, and a
minimal Phoenix v2 client over a real WebSocket."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect

from tangram.channel.server import Gateway
from tangram.config import TangramConfig
from tangram.testing import RedisServer

GatewayFactory = Callable[..., Awaitable[Gateway]]
#: ``[channel] admin_key`` of the test gateways: tests name their clients ("alice"),
#: which only a request holding the admin key may do (see tangram.channel.minting).
ADMIN_KEY = "admin-key-for-tests"


class Phx:
    """A raw Phoenix v2 client: literal frames in, parsed frames out."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ref = 0

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def send(self, frame: Any) -> None:
        await self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> Any:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        return json.loads(data) if isinstance(data, str) else data

    async def recv_raw(self, timeout: float = 5.0) -> str | bytes:
        return await asyncio.wait_for(self.ws.recv(), timeout)

    async def expect(self, event: str, topic: str | None = None, timeout: float = 5.0) -> Any:
        """The next frame with this event (and topic), skipping others."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if isinstance(frame, list) and frame[3] == event and topic in (None, frame[2]):
                return frame

    async def join(self, topic: str, token: str | None) -> Any:
        ref = self.next_ref()
        payload = {"token": token} if token is not None else {}
        await self.send([ref, ref, topic, "phx_join", payload])
        return await self.expect("phx_reply", topic)


async def mint(base: str, channel: str, client_id: str | None = None) -> str:
    """A token for ``channel``; naming ``client_id`` (or asking for ``*`` or ``admin``)
    uses :data:`ADMIN_KEY`."""
    body: dict[str, str] = {"channel": channel}
    headers: dict[str, str] = {}
    if client_id is not None:
        body["id"] = client_id
    if client_id is not None or channel in ("*", "admin"):
        headers["X-Tangram-Admin-Key"] = ADMIN_KEY
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base}/token", json=body, headers=headers)
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def http_base(gateway: Gateway) -> str:
    return f"http://127.0.0.1:{gateway.port}"


def ws_url(gateway: Gateway, query: str = "vsn=2.0.0") -> str:
    return f"ws://127.0.0.1:{gateway.port}/websocket?{query}"


async def until(
    condition: Callable[[], bool | Awaitable[bool]], what: str, timeout: float = 5.0
) -> None:
    """Wait for ``condition`` (sync or async) to hold; fail naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)


def client_frame(
    payload: bytes, opcode: int = 0x1, *, fin: bool = True, length: int | None = None
) -> bytes:
    """A masked client frame (all-zero mask, so the payload reads as is); ``length``
    may declare more bytes than ``payload`` holds, to leave a frame incomplete."""
    size = len(payload) if length is None else length
    first = (0x80 if fin else 0) | opcode
    if size < 126:
        head = bytes((first, 0x80 | size))
    elif size < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, size)
    return head + b"\0\0\0\0" + payload


async def raw_websocket(
    gateway: Gateway, query: str = "vsn=2.0.0"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand over TCP, for frames no client library would send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /websocket?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return reader, writer


async def read_close(reader: asyncio.StreamReader, timeout: float = 5.0) -> int:
    """Skip server frames up to a close frame; its close code."""
    while True:
        head = await asyncio.wait_for(reader.readexactly(2), timeout)
        size = head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", await reader.readexactly(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", await reader.readexactly(8))[0]
        body = await reader.readexactly(size)
        if head[0] & 0x0F == 0x8:
            code: int = struct.unpack("!H", body[:2])[0]
            return code


@pytest.fixture
async def gateway_factory(redis_server: RedisServer) -> AsyncIterator[GatewayFactory]:
    """``await gateway_factory(**channel_settings)``: a started in-process gateway."""
    started: list[Gateway] = []

    async def factory(**channel: Any) -> Gateway:
        config = TangramConfig()
        config.channel.port = 0
        config.channel.admin_key = ADMIN_KEY
        for key, value in channel.items():
            setattr(config.channel, key, value)
        gateway = Gateway(config, redis_server.url)
        await gateway.start()
        started.append(gateway)
        return gateway

    yield factory
    for gateway in started:
        await gateway.stop()


@pytest.fixture
async def gateway(gateway_factory: GatewayFactory) -> Gateway:
    return await gateway_factory()


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[Phx]:
    async with connect(ws_url(gateway), compression=None) as ws:
        yield Phx(ws)


class Watcher:
    """Everything published to ``from:*`` (what plugins see)."""

    def __init__(self, pubsub: Any) -> None:
        self.pubsub = pubsub
        self.seen: list[tuple[str, bytes]] = []

    async def collect(
        self, until: Callable[[list[tuple[str, bytes]]], bool], timeout: float = 5.0
    ) -> list[tuple[str, bytes]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not until(self.seen):
            if loop.time() > deadline:
                raise AssertionError(f"not seen within {timeout} s: {self.seen}")
            msg = await self.pubsub.get_message(timeout=0.1)
            if msg is not None and msg["type"] == "pmessage":
                self.seen.append((msg["channel"].decode(), msg["data"]))
        return self.seen

    def on(self, channel: str) -> list[bytes]:
        return [data for name, data in self.seen if name == channel]


@pytest.fixture
async def watcher(redis_client: aioredis.Redis) -> AsyncIterator[Watcher]:
    pubsub = redis_client.pubsub()
    await pubsub.psubscribe("from:*", "to:admin:*")
    await pubsub.get_message(timeout=1)
    await pubsub.get_message(timeout=1)
    yield Watcher(pubsub)
    await pubsub.aclose()  # type: ignore[no-untyped-call]
