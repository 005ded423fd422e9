"""tangram.redis.Subscriber against a real Redis, including a Redis restart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from tangram.redis import Subscriber, backoff_delays
from tangram.testing import RedisServer


@dataclass
class Seen:
    messages: list[tuple[str, str, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class Recorder(Subscriber[Seen]):
    async def message_handler(self, event: str, payload: str, pattern: str, state: Seen) -> None:
        if payload == "boom":
            raise ValueError("handler failure must not stop the subscriber")
        state.messages.append((event, payload, pattern))
        state.arrived.set()


async def publish_until_seen(
    url: str, channel: str, payload: str, seen: Seen, timeout: float = 15.0
) -> None:
    """Publish repeatedly until the subscriber has it (it may still be reconnecting)."""
    client = aioredis.Redis.from_url(url)
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while not any(p == payload for _, p, _ in seen.messages):
            assert asyncio.get_running_loop().time() < deadline, f"{payload!r} never arrived"
            try:
                await client.publish(channel, payload)
            except (aioredis.ConnectionError, OSError):
                pass
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()


def test_backoff_is_capped() -> None:
    delays = backoff_delays(0.1, 5.0)
    assert delays[0] == 0.1 and delays[-1] == 5.0 and delays == sorted(delays)


async def test_receives_decoded_text_with_pattern(redis_server: RedisServer) -> None:
    sub = Recorder("rec", redis_server.url, ["from:system:*", "other"], Seen())
    await sub.subscribe()
    assert sub.is_active()
    client = aioredis.Redis.from_url(redis_server.url)
    await client.publish("from:system:cmd", "héllo".encode())
    await client.publish("other", "x")
    await client.publish("unrelated", "y")
    await asyncio.wait_for(sub.state.arrived.wait(), 5)
    await asyncio.sleep(0.2)
    assert sub.state.messages == [
        ("from:system:cmd", "héllo", "from:system:*"),
        ("other", "x", "other"),
    ]
    await client.aclose()
    await sub.cleanup()
    assert not sub.is_active()


async def test_handler_errors_are_contained(redis_server: RedisServer) -> None:
    sub = Recorder("rec", redis_server.url, ["c"], Seen())
    await sub.subscribe()
    client = aioredis.Redis.from_url(redis_server.url)
    await client.publish("c", "boom")
    await client.publish("c", "after")
    await asyncio.wait_for(sub.state.arrived.wait(), 5)
    assert sub.state.messages == [("c", "after", "c")] and sub.is_active()
    await client.aclose()
    await sub.cleanup()


async def test_survives_a_redis_restart(redis_server: RedisServer) -> None:
    sub = Recorder("rec", redis_server.url, ["news:*"], Seen())
    await sub.subscribe()
    await publish_until_seen(redis_server.url, "news:a", "before", sub.state)
    await asyncio.to_thread(redis_server.restart, 0.5)
    await publish_until_seen(redis_server.url, "news:b", "after", sub.state)
    assert [p for _, p, _ in sub.state.messages][-1] == "after"
    assert sub.is_active()
    await sub.cleanup()


async def test_subscribe_returns_while_redis_is_down(redis_server: RedisServer) -> None:
    url = redis_server.url
    redis_server.stop()
    sub = Recorder("late", url, ["x"], Seen())
    await sub.subscribe()  # logs a warning after its start-up wait, keeps trying
    assert sub.is_active()
    await asyncio.to_thread(redis_server.start)
    await publish_until_seen(url, "x", "finally", sub.state)
    await sub.cleanup()
