"""Worker-wide bounds against a real gateway and a real Redis (hardening issue 8):
handshake time, connection count, memory of incomplete inbound data."""

from __future__ import annotations

import asyncio
import logging

import pytest
from websockets.asyncio.client import connect

from tangram.channel.limits import InboundBudget, LogThrottle

from .conftest import (
    GatewayFactory,
    Phx,
    client_frame,
    http_base,
    mint,
    raw_websocket,
    read_close,
    until,
    ws_url,
)


async def test_slow_handshake_is_closed_408(
    gateway_factory: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Finding 8: a handshake fed one byte at a time (each well inside the idle
    timeout) used to be kept forever; it now has handshake_timeout_secs in all."""
    gateway = await gateway_factory(handshake_timeout_secs=0.5)
    request = b"GET /websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: y" * 1000
    slow = [await asyncio.open_connection("127.0.0.1", gateway.port) for _ in range(3)]
    answers = []
    for reader, writer in slow:

        async def dribble(writer: asyncio.StreamWriter = writer) -> None:
            for byte in request:
                writer.write(bytes((byte,)))
                await asyncio.sleep(0.05)

        feeding = asyncio.create_task(dribble())
        try:
            answers.append(await asyncio.wait_for(reader.read(), 10))  # up to EOF
        finally:
            feeding.cancel()
            writer.close()
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"request not complete within 0.5 s" in answer
    assert gateway.stats["handshake_timeouts"] == 3
    lines = [r for r in caplog.records if "handshake_timeout_secs" in r.getMessage()]
    assert len(lines) == 1  # one line for the flood, not one per connection
    # A complete handshake is unaffected, and so is the WebSocket after it.
    async with connect(ws_url(gateway), compression=None) as ws:
        await asyncio.sleep(1.0)  # two handshake timeouts
        await Phx(ws).send([None, "1", "phoenix", "heartbeat", {}])
        assert (await Phx(ws).recv())[4]["status"] == "ok"


async def test_connections_over_the_bound_get_503(
    gateway_factory: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Finding 8: the number of connections per worker is bounded."""
    gateway = await gateway_factory(max_connections=3)
    held = [await raw_websocket(gateway) for _ in range(3)]
    for _ in range(5):
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503 ") and b"too many connections" in answer
    assert gateway.stats["refused_connections"] == 5
    lines = [r for r in caplog.records if "max_connections" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    _, writer = held.pop()
    writer.close()
    await until(lambda: len(gateway.connections) == 2, "one connection freed")
    token = await mint(http_base(gateway), "t")  # a third connection is served again
    assert token
    for _, writer in held:
        writer.close()


async def test_incomplete_frames_are_bounded_per_worker_and_given_back(
    gateway_factory: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Finding 9: sockets each holding an incomplete 1 MiB - 1 frame used to add
    memory without bound; the worker's total is bounded by max_pending_bytes, the
    socket that would pass it is closed 1013, and closing gives everything back."""
    gateway = await gateway_factory(max_pending_bytes=300_000)
    chunk = b"x" * 100_000
    sockets = []
    for i in range(3):
        reader, writer = await raw_websocket(gateway)
        writer.write(client_frame(chunk, 0x2, length=1024 * 1024 - 1))
        sockets.append((reader, writer))
        await until(lambda n=i + 1: gateway.inbound.used >= n * 100_000, f"{i + 1} chunks held")
    assert gateway.inbound.used == 300_000  # exactly at the bound: all kept
    reader, writer = await raw_websocket(gateway)
    writer.write(client_frame(chunk[:1], 0x2, length=1024 * 1024 - 1))  # 1 byte over
    assert await read_close(reader) == 1013
    assert await asyncio.wait_for(reader.read(), 5) == b""  # and the TCP connection ends
    writer.close()
    assert gateway.stats["busy_closes"] == 1
    assert [r for r in caplog.records if "max_pending_bytes" in r.getMessage()]
    # The others are untouched; once they go, the worker holds nothing.
    for _, writer in sockets:
        writer.close()
    await until(lambda: not gateway.connections, "every socket gone")
    assert gateway.inbound.used == 0


async def test_fragmented_and_backlogged_bytes_count_too(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory(max_pending_bytes=150_000)
    reader, writer = await raw_websocket(gateway)
    writer.write(client_frame(b"[" + b" " * 99_999, fin=False))  # a first fragment
    await until(lambda: gateway.inbound.used == 100_000, "the fragment held")
    writer.write(client_frame(b" " * 60_000, 0x0, fin=False))  # the message would pass
    assert await read_close(reader) == 1013
    writer.close()
    await until(lambda: gateway.inbound.used == 0, "released")


async def test_a_fragmented_message_within_bounds_is_delivered(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = await gateway_factory(max_pending_bytes=150_000)
    reader, writer = await raw_websocket(gateway)
    text = b'[null,"1","phoenix","heartbeat",{"pad":"' + b" " * 100_000 + b'"}]'
    writer.write(client_frame(text[:60_000], fin=False) + client_frame(text[60_000:], 0x0))
    head = await asyncio.wait_for(reader.readexactly(2), 5)
    body = await reader.readexactly(head[1] & 0x7F)
    assert b'"phx_reply"' in body and b'"ok"' in body
    assert gateway.inbound.used == 0
    writer.close()


def test_budget_and_throttle_sans_io() -> None:
    budget = InboundBudget(10)
    assert budget.resize(0, 10) and budget.used == 10
    assert not budget.resize(0, 1) and budget.used == 11  # over: refused, but counted
    assert budget.resize(1, 0) and budget.resize(10, 4) and budget.used == 4
    now = [0.0]
    logger = logging.getLogger("test.throttle")
    throttle = LogThrottle(logger, interval=10, clock=lambda: now[0])
    assert throttle.warning("k", "one")
    assert not throttle.warning("k", "two")
    assert throttle.warning("other", "three")  # keys are independent
    now[0] = 10.0
    assert throttle.warning("k", "four")
