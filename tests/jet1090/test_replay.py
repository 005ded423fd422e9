"""The replayer: timestamps shifted to now, spacing divided by speed, loops, errors."""

from __future__ import annotations

import asyncio
import gzip
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from tangram_jet1090.replay import ReplayError, replay

from tangram.testing import RedisServer


async def _next(pubsub: aioredis.client.PubSub, timeout: float = 3.0) -> dict[str, Any]:
    """The next published message (get_message returns None for subscribe replies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            data: dict[str, Any] = orjson.loads(message["data"])
            return data
    raise AssertionError("no message published")


def _recording(path: Path, stamps: list[float]) -> Path:
    lines = [
        orjson.dumps({"timestamp": ts, "df": "4", "icao24": "393322", "altitude": i})
        for i, ts in enumerate(stamps)
    ]
    # a blank line and a broken line are skipped, not fatal
    path.write_bytes(gzip.compress(b"\n".join([*lines[:1], b"", b"{oops", *lines[1:]]) + b"\n"))
    return path


async def test_timestamps_are_shifted_to_now_and_spacing_scaled(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    recording = _recording(tmp_path / "r.jsonl.gz", [1000.0, 1001.0, 1002.0])
    client = aioredis.Redis.from_url(redis_server.url)
    pubsub = client.pubsub()
    await pubsub.subscribe("feed")
    started = time.time()
    stats = await replay(client, recording, "feed", speed=2.0, loop=False)
    received: list[dict[str, Any]] = []
    while len(received) < 3:
        received.append(await _next(pubsub))
    assert stats.published == 3
    assert stats.skipped == 1 and stats.first_skipped == (3, "{oops")
    assert [m["altitude"] for m in received] == [0, 1, 2]
    stamps = [m["timestamp"] for m in received]
    assert abs(stamps[0] - started) < 0.2
    assert stamps[1] - stamps[0] == pytest.approx(0.5, abs=0.01)
    assert stamps[2] - stamps[0] == pytest.approx(1.0, abs=0.01)
    assert time.time() - started >= 0.95  # the spacing was really waited for
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await client.aclose()


async def test_loop_replays_again(redis_server: RedisServer, tmp_path: Path) -> None:
    recording = _recording(tmp_path / "r.jsonl.gz", [5.0, 5.1])
    client = aioredis.Redis.from_url(redis_server.url)
    task = asyncio.create_task(replay(client, recording, "feed", speed=1.0, loop=True))
    pubsub = client.pubsub()
    await pubsub.subscribe("feed")
    altitudes = [(await _next(pubsub))["altitude"] for _ in range(5)]
    assert altitudes in ([0, 1, 0, 1, 0], [1, 0, 1, 0, 1])
    task.cancel()
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await client.aclose()


async def test_missing_file_is_a_clear_error(redis_server: RedisServer, tmp_path: Path) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    with pytest.raises(ReplayError, match=r"missing\.jsonl: recording not found; expected"):
        await replay(client, tmp_path / "missing.jsonl", "feed")
    await client.aclose()


async def test_a_file_that_is_not_a_jet1090_recording_is_an_error(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    # e.g. the quickstart sample: one JSON array of state vectors, not one message per line
    wrong = tmp_path / "states.json.gz"
    wrong.write_bytes(gzip.compress(b'[{"timestamp": 1, "icao24": "abc"}]\n'))
    client = aioredis.Redis.from_url(redis_server.url)
    with pytest.raises(ReplayError) as info:
        await replay(client, wrong, "feed")
    message = str(info.value)
    assert "states.json.gz: no jet1090 message to replay (1 line(s) skipped" in message
    assert 'line 1: \'[{"timestamp": 1' in message
    assert 'numeric "timestamp"' in message
    await client.aclose()
