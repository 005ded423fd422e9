"""The RESP packer: hiredis' C packer, the Python fallback and the PUBLISH fast path
write the same bytes."""

from __future__ import annotations

import asyncio
from typing import Any

import hiredis
import pytest

from tangram.resp.commands import MAX_PUBLISH_HEADS, CommandClient, publish_head
from tangram.resp.link import pack
from tangram.testing import RedisServer


@pytest.mark.parametrize(
    "args",
    [
        ("PUBLISH", "from:t:in", b'{"a":1}'),
        ("SET", "k", "1", "PX", 3000),
        ("HSET", "tangram:presence:système", "r1", b"\x00\xff"),
        ("X", 0.1, -3, ""),
    ],
)
def test_c_packer_matches_python(args: tuple[Any, ...]) -> None:
    assert hiredis.pack_command(args) == pack(args)


@pytest.mark.parametrize(
    ("channel", "payload"),
    [("from:t:in", b'{"a":1}'), ("from:système:é", b""), ("from:x:y", b"\x00\r\n" * 50)],
)
def test_publish_head_matches_the_packer(channel: str, payload: bytes) -> None:
    # CommandClient.publish_then sends the head, then the payload as a bulk string.
    packed = b"%s$%d\r\n%s\r\n" % (publish_head(channel), len(payload), payload)
    assert packed == hiredis.pack_command(("PUBLISH", channel, payload))


async def test_publish_then_on_a_real_redis_and_its_bounded_heads(
    redis_server: RedisServer,
) -> None:
    client = CommandClient(redis_server.url)
    client.start()
    try:
        assert await client.wait_up(10)
        replies: list[tuple[int, object]] = []
        done = asyncio.get_running_loop().create_future()

        def answered(i: int, reply: object) -> None:
            replies.append((i, reply))
            if len(replies) == MAX_PUBLISH_HEADS + 5:
                done.set_result(None)

        for i in range(MAX_PUBLISH_HEADS + 5):
            assert client.publish_then(answered, i, f"from:t{i}:in", b"%d" % i)
            assert len(client._publish_heads) <= MAX_PUBLISH_HEADS
        await asyncio.wait_for(done, 10)
        # In order, and each a count of receivers (nobody subscribed: 0).
        assert replies == [(i, 0) for i in range(MAX_PUBLISH_HEADS + 5)]
        assert len(client._publish_heads) == 5  # forgotten at once past the bound
    finally:
        await client.stop()
