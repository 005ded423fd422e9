"""The "Entity plugins" example of docs/plugins.md, verbatim, in a real tangram serve:
a balloon published on Redis shows up in a browser's frame and in its trajectory."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import redis.asyncio as aioredis

from tangram.testing import RedisServer, TangramProcess, wait_for_subscribers

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
WAIT = 20.0


def _example() -> str:
    section = GUIDE.read_text().split("## Entity plugins", 1)[1]
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


async def test_the_guides_balloon_plugin_streams_and_keeps_history(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    (site / "balloons").mkdir(parents=True)
    (site / "balloons" / "__init__.py").write_text(_example())
    info = site / "balloons-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: balloons\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[tangram.plugins]\nballoons = balloons:plugin\n")
    served = tangram_server(
        f'[core]\nredis_url = "{redis_server.url}"\nplugins = ["balloons"]\n',
        env={"PYTHONPATH": str(site)},
    )
    # the plugin's feed: "balloons" and the browsers' from:streaming-* (Subscriber
    # subscribes to both as patterns)
    await asyncio.to_thread(wait_for_subscribers, redis_server.url, patterns=2)
    redis = aioredis.Redis.from_url(redis_server.url)
    pubsub = redis.pubsub()
    try:
        # a browser's private topic: the gateway's join, then its box
        frames = "to:streaming-b1:new-balloon-data"
        await pubsub.subscribe(frames)
        await redis.publish(
            "from:streaming-b1:phx_join", orjson.dumps({"id": "b1", "phx_ref": "r1"})
        )
        box = {"northEastLat": 49, "northEastLng": 3, "southWestLat": 48, "southWestLng": 1}
        await redis.publish("from:streaming-b1:bound-box", orjson.dumps(box))
        deadline = time.monotonic() + WAIT
        frame = None
        while frame is None or not frame["balloon"]:
            assert time.monotonic() < deadline, (frame, served.log())
            await redis.publish(
                "balloons", orjson.dumps({"serial": "S1234", "lat": 48.7, "lon": 2.1, "alt": 2e4})
            )
            await redis.publish("balloons", b"not json")
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.5)
            if message is not None:
                frame = orjson.loads(message["data"])
        assert frame["count"] == 1 and frame["balloon"][0]["serial"] == "S1234"
        async with httpx.AsyncClient(base_url=served.url, timeout=WAIT) as http:
            track = (await http.get("/balloons/data/S1234")).json()
        assert track and track[0]["latitude"] == 48.7
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await redis.aclose()
