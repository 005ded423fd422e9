"""End to end inside one process: replay -> Redis -> runtime -> frames on Redis."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio
import redis.exceptions
from tangram_jet1090.feed import FeedReader
from tangram_jet1090.history import HistoryStore
from tangram_jet1090.replay import replay

PARIS = {"northEastLat": 50.0, "northEastLng": 3.5, "southWestLat": 48.0, "southWestLng": 1.5}
ELSEWHERE = {"northEastLat": 42.0, "northEastLng": 0.0, "southWestLat": 40.0, "southWestLng": -5.0}


async def _collect(pubsub: Any, frames: dict[str, list[tuple[float, Any]]]) -> None:
    async for message in pubsub.listen():
        if message["type"] == "message":
            client = message["channel"].decode().split(":")[1].removeprefix("streaming-")
            frames.setdefault(client, []).append((time.monotonic(), orjson.loads(message["data"])))


async def test_replayed_flight_is_streamed_per_viewport(start_runtime: Any, afr_slice: Any) -> None:
    # replayed 60x faster, so keep every point (the default thins to one per second)
    running = await start_runtime(stream_interval_secs=1.0, history_sample_secs=0)
    redis = running.redis
    # take-off from CDG and climb out: 10 minutes of flight, replayed 60 times faster
    recording: Path = afr_slice(900, 1500)
    pubsub = redis.pubsub()
    await pubsub.subscribe(
        "to:streaming-paris:new-jet1090-data", "to:streaming-away:new-jet1090-data"
    )
    frames: dict[str, list[tuple[float, Any]]] = {}
    collector = asyncio.create_task(_collect(pubsub, frames))
    for cid, box in (("paris", PARIS), ("away", ELSEWHERE)):
        await redis.publish(f"from:streaming-{cid}:join-streaming", b"{}")
        await redis.publish(f"from:streaming-{cid}:bound-box", orjson.dumps(box))

    stats = await replay(redis, recording, "jet1090", speed=60)
    assert stats.published > 5000
    await asyncio.sleep(1.5)

    paris = [frame for _, frame in frames["paris"] if frame["aircraft"]]
    assert paris, "the aircraft never showed up in the Paris box"
    seen = [a for frame in paris for a in frame["aircraft"]]
    assert {a["icao24"] for a in seen} == {"393322"}
    assert seen[-1]["callsign"] == "AFR34ZG"
    assert all(48 <= a["latitude"] <= 50 and 1.5 <= a["longitude"] <= 3.5 for a in seen)
    assert seen[-1]["altitude"] > seen[0]["altitude"]  # it climbs
    # outside its box, yet counted
    away = [frame for _, frame in frames["away"]]
    assert away and all(f["aircraft"] == [] for f in away)
    assert away[-1]["count"] == 1
    # about one frame per second
    times = [t for t, _ in frames["paris"]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 8 and 0.9 <= statistics.median(gaps) <= 1.1

    # history: the take-off is stored, time-sorted, and survives a restart of the store
    await running.runtime.history.flush()
    track = await running.runtime.history.trajectory("393322")
    assert len(track) > 100
    stamps = [p["timestamp"] for p in track]
    assert stamps == sorted(stamps)
    assert track[-1]["altitude"] > 10000 and track[-1]["callsign"] == "AFR34ZG"
    reopened = HistoryStore(running.runtime.history.path, retention_secs=3600)
    await reopened.open()
    assert await reopened.trajectory("393322") == track
    await reopened.close()

    # a browser that disconnects (gateway lifecycle event, no leave-streaming) is dropped
    await redis.publish(
        "from:streaming-paris:phx_leave",
        orjson.dumps({"id": "paris", "topic": "streaming-paris", "reason": "disconnect"}),
    )
    await asyncio.sleep(0.3)
    before = len(frames["paris"]), len(frames["away"])
    await asyncio.sleep(2.5)
    assert len(frames["paris"]) == before[0]
    assert len(frames["away"]) >= before[1] + 2
    collector.cancel()
    await pubsub.aclose()


async def test_bad_messages_are_counted_and_skipped(start_runtime: Any) -> None:
    running = await start_runtime()
    redis = running.redis
    for payload in (
        b"garbage",
        b"[]",
        b'{"df":"17","icao24":"nothex"}',
        b'{"df":"99","icao24":"393322"}',
        b'{"timestamp":1.5,"df":"17","icao24":"393322","bds":"08","callsign":"AFR34ZG"}',
    ):
        await redis.publish("jet1090", payload)

    async def settled() -> None:
        while running.runtime.stats.received < 5:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(settled(), timeout=5)
    stats = running.runtime.stats
    assert (stats.malformed, stats.unknown, stats.applied) == (3, 1, 1)
    assert "393322" in stats.last_error or "99" in (stats.last_error or "")
    record = running.runtime.table.get("393322")
    assert record is not None and record["callsign"] == "AFR34ZG"


async def test_feed_survives_a_redis_restart(start_runtime: Any, redis_server: Any) -> None:
    running = await start_runtime()
    runtime = running.runtime

    async def applied(n: int) -> None:
        while runtime.stats.applied < n:
            await asyncio.sleep(0.05)

    await running.redis.publish("jet1090", b'{"df":"4","icao24":"393322","altitude":100}')
    await running.redis.publish("from:streaming-tab:join-streaming", b"{}")
    await asyncio.wait_for(applied(1), timeout=5)
    await asyncio.to_thread(redis_server.restart, 0.5)
    frames_at_restart = runtime.stats.frames_sent
    # the reader reconnects and subscribes again by itself
    await asyncio.wait_for(runtime.feed.subscribed.wait(), timeout=15)
    message = b'{"df":"4","icao24":"393322","altitude":200}'
    try:
        await running.redis.publish("jet1090", message)
    except redis.exceptions.ConnectionError:  # the test's own connection was cut too
        await running.redis.publish("jet1090", message)
    await asyncio.wait_for(applied(2), timeout=5)
    assert runtime.table.get("393322")["altitude"] == 200
    assert runtime.feed.reconnects == 1

    # the streaming loop skipped the ticks Redis was away and carries on
    async def streamed() -> None:
        while runtime.stats.frames_sent < frames_at_restart + 2:
            await asyncio.sleep(0.1)

    await asyncio.wait_for(streamed(), timeout=5)


async def test_feed_reader_authenticates_with_the_url_password(redis_server: Any) -> None:
    admin = redis.asyncio.Redis.from_url(redis_server.url)
    await admin.config_set("requirepass", "s3cret")
    url = redis_server.url.replace("redis://", "redis://:s3cret@")
    got: list[bytes] = []
    good = FeedReader("t", url, ["feed"], [], lambda _c, d: got.append(d), lambda *_: None)
    bad = FeedReader(
        "t", url.replace("s3cret", "wrong"), ["feed"], [], lambda *_: None, lambda *_: None
    )
    tasks = [asyncio.create_task(good.run()), asyncio.create_task(bad.run())]
    await asyncio.wait_for(good.subscribed.wait(), timeout=5)
    publisher = redis.asyncio.Redis.from_url(url)
    await publisher.publish("feed", b"hello")
    for _ in range(100):
        if got:
            break
        await asyncio.sleep(0.02)
    assert got == [b"hello"]
    assert not bad.subscribed.is_set()  # refused, retried in the background, no crash
    for task in tasks:
        task.cancel()
    await publisher.aclose()
    await admin.aclose()
