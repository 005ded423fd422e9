"""Keeps the jet1090 benchmark honest: its measured browser must really be streamed to.

The staleness columns read ``nan`` while the benchmark announced its browser with a
``bound-box`` on the shared ``system`` topic, which the streaming clients ignore since
the gateway hardening (nobody vouches for a ``connectionId`` there). This replays what
the benchmark publishes, through a real Redis, into the plugin's streaming clients.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import orjson
import redis.asyncio as aioredis
from tangram_jet1090.streaming import StreamingClients, frame_channel

from tangram.entities import CONTROL_PATTERN
from tangram.testing import start_redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jet1090_bench import CLIENT, watch_everything

RECORD = {"icao24": "393322", "latitude": 49.0, "longitude": 2.5, "lastseen": 1.0}


async def _clients_after(publish: str) -> StreamingClients:
    clients = StreamingClients()
    with start_redis() as server:
        redis = aioredis.Redis.from_url(server.url)
        pubsub = redis.pubsub()
        await pubsub.psubscribe(CONTROL_PATTERN)
        await pubsub.get_message(timeout=5)  # the psubscribe confirmation
        if publish == "bench":
            await watch_everything(redis, CLIENT, 0)
        else:  # what the Beast mode did before
            box = {"connectionId": CLIENT, "northEastLat": 90, "northEastLng": 180,
                   "southWestLat": -90, "southWestLng": -180}  # fmt: skip
            await redis.publish("from:system:bound-box", orjson.dumps(box))
        await redis.publish("from:streaming-end:phx_join", b"{}")  # marks the end
        while True:
            item = await pubsub.get_message(timeout=5)
            assert item is not None, "the benchmark's messages never arrived"
            if item["type"] != "pmessage":
                continue
            if item["channel"] == b"from:streaming-end:phx_join":
                break
            clients.handle(item["channel"].decode(), item["data"], time.monotonic())
        await pubsub.aclose()
        await redis.aclose()
    return clients


def test_the_benchmarks_browser_gets_frames() -> None:
    clients = asyncio.run(_clients_after("bench"))
    ((channel, body),) = clients.frames([RECORD], 1)
    assert channel == frame_channel(CLIENT)
    assert orjson.loads(body)["aircraft"] == [RECORD]


def test_a_box_on_the_system_topic_registers_nobody() -> None:
    assert asyncio.run(_clients_after("system")).frames([RECORD], 1) == []
