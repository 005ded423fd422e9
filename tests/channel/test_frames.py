"""Client frames against a real gateway over a raw socket: what no client library
would send (unmasked frames, reserved bits, unknown opcodes), pings inside fragmented
messages, many frames in one TCP write, and the close handshake."""

from __future__ import annotations

import asyncio
import struct

import pytest

from .conftest import GatewayFactory, client_frame, raw_websocket, read_close, until

HEARTBEAT = b'[null,"%d","phoenix","heartbeat",{}]'


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next server frame: (opcode, payload)."""
    head = await asyncio.wait_for(reader.readexactly(2), 5)
    size = head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", await reader.readexactly(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", await reader.readexactly(8))[0]
    return head[0] & 0x0F, await reader.readexactly(size)


async def test_many_frames_in_one_write_all_answered_in_order(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = await gateway_factory()
    reader, writer = await raw_websocket(gateway)
    writer.write(b"".join(client_frame(HEARTBEAT % i) for i in range(50)))
    for i in range(50):
        opcode, body = await read_frame(reader)
        assert opcode == 0x1 and body.startswith(b'[null,"%d","phoenix","phx_reply"' % i)
    writer.close()


async def test_ping_inside_a_fragmented_message_is_answered_first(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = await gateway_factory()
    reader, writer = await raw_websocket(gateway)
    text = HEARTBEAT % 7
    data = (
        client_frame(text[:10], fin=False)
        + client_frame(b"are you there", 0x9)
        + client_frame(text[10:], 0x0)
    )
    for i in range(len(data)):  # byte by byte: every split point of every header
        writer.write(data[i : i + 1])
        await writer.drain()
    assert await read_frame(reader) == (0xA, b"are you there")
    opcode, body = await read_frame(reader)
    assert opcode == 0x1 and body.startswith(b'[null,"7","phoenix","phx_reply"')
    await until(lambda: gateway.inbound.used == 0, "nothing held")
    writer.close()


@pytest.mark.parametrize(
    "frame",
    [
        b"\x81\x05Hello",  # RFC 6455 5.7's unmasked "Hello": client frames must be masked
        b"\xc1\x81\0\0\0\0x",  # RSV1: no extension was agreed
        b"\x83\x81\0\0\0\0x",  # opcode 3 is reserved
        b"\x89\xfe\x00\x7e\0\0\0\0" + b"x" * 126,  # a ping over 125 bytes
        b"\x80\x81\0\0\0\0x",  # a continuation without a message
    ],
)
async def test_protocol_errors_close_1002_and_end_tcp(
    gateway_factory: GatewayFactory, frame: bytes
) -> None:
    gateway = await gateway_factory()
    reader, writer = await raw_websocket(gateway)
    writer.write(frame)
    assert await read_close(reader) == 1002
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    await until(lambda: not gateway.connections, "socket gone")


async def test_client_close_is_echoed_then_tcp_ends(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory()
    reader, writer = await raw_websocket(gateway)
    writer.write(client_frame(b"\x03\xe8bye", 0x8) + client_frame(HEARTBEAT % 1))
    # The close is echoed, and the heartbeat after it is ignored (RFC 6455 1.4).
    assert await read_frame(reader) == (0x8, b"\x03\xe8bye")
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_close_with_a_reserved_code_closes_1002(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory()
    reader, writer = await raw_websocket(gateway)
    writer.write(client_frame(b"\x03\xee", 0x8))  # 1006 is never sent on the wire
    assert await read_close(reader) == 1002
    writer.close()
