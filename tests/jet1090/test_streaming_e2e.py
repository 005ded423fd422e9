"""A browser's view of the plugin: real ``tangram serve``, real gateway, real WebSocket.

The in-process tests (``test_live.py``) drive the runtime directly and fake the
gateway's lifecycle events; this one only speaks what a browser speaks (``POST
/token`` and Phoenix v2 frames over ``/websocket``), so it also proves that the
plugin and the gateway agree on topics, events and the disconnect signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tangram.channel import ChannelProcess
from tangram.config import TangramConfig
from tangram.testing import RedisServer, TangramProcess

ICAO24 = "393322"
PARIS = {"northEastLat": 50.0, "northEastLng": 3.5, "southWestLat": 48.0, "southWestLng": 1.5}
ELSEWHERE = {"northEastLat": 42.0, "northEastLng": 0.0, "southWestLat": 40.0, "southWestLng": -5.0}
EVENT = "new-jet1090-data"
#: Generous bounds for a loaded 2-core machine: they only cap how long a failure takes.
WAIT = 15.0


def _config(redis_url: str, tmp_path: Path, recording: Path) -> str:
    return f"""
[core]
redis_url = "{redis_url}"
plugins = ["tangram_jet1090"]

[channel]
enabled = true
port = {{channel_port}}

[plugins.tangram_jet1090]
history_path = "{tmp_path / "history.sqlite"}"
aircraft_db_cache = "{tmp_path / "none.sqb"}"
replay_file = "{recording}"
replay_speed = 20
replay_loop = true
"""


@dataclass
class Browser:
    """What phoenix.js does for the tangram frontend, frame by frame."""

    ws: ClientConnection
    connection_id: str
    frames: list[tuple[float, Any]] = field(default_factory=list)
    replies: dict[str, Any] = field(default_factory=dict)
    _ref: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _join_refs: dict[str, str] = field(default_factory=dict)
    _waiters: dict[str, asyncio.Future[Any]] = field(default_factory=dict)

    async def read_forever(self) -> None:
        with contextlib.suppress(ConnectionClosed):  # a killed gateway resets the socket
            async for raw in self.ws:
                _join_ref, ref, topic, event, payload = orjson.loads(raw)
                if event == "phx_reply" and ref in self._waiters:
                    self._waiters.pop(ref).set_result(payload)
                elif topic == f"streaming-{self.connection_id}" and event == EVENT:
                    self.frames.append((time.monotonic(), payload))

    async def send(self, topic: str, event: str, payload: dict[str, Any]) -> Any:
        """Send one frame and return the gateway's reply payload."""
        ref = str(next(self._ref))
        if event == "phx_join":
            self._join_refs[topic] = ref
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[ref] = waiter
        frame = [self._join_refs.get(topic), ref, topic, event, payload]
        await self.ws.send(orjson.dumps(frame).decode())
        reply = await asyncio.wait_for(waiter, WAIT)
        assert reply["status"] == "ok", f"{event} on {topic}: {reply}"
        return reply

    async def frame_after(self, index: int) -> tuple[int, Any]:
        """The first frame at position >= ``index`` (waiting for it)."""
        deadline = time.monotonic() + WAIT
        while len(self.frames) <= index:
            assert time.monotonic() < deadline, f"no {EVENT} frame #{index} within {WAIT} s"
            await asyncio.sleep(0.05)
        return index, self.frames[index][1]


def _ours(frame: dict[str, Any]) -> dict[str, Any] | None:
    return next((a for a in frame["aircraft"] if a["icao24"] == ICAO24), None)


def _inside(aircraft: dict[str, Any], box: dict[str, float]) -> bool:
    return bool(
        box["southWestLat"] <= aircraft["latitude"] <= box["northEastLat"]
        and box["southWestLng"] <= aircraft["longitude"] <= box["northEastLng"]
    )


async def _tokens(gateway: str) -> tuple[dict[str, str], str]:
    """What the web app does: a ``system`` token (the gateway draws the id), then a token
    for its private ``streaming-<id>`` topic, proving the id with the first token."""
    async with httpx.AsyncClient(timeout=WAIT) as http:
        system = (await http.post(f"{gateway}/token", json={"channel": "system"})).json()
        proof = {"channel": f"streaming-{system['id']}", "token": system["token"]}
        streaming = await http.post(f"{gateway}/token", json=proof)
        assert streaming.status_code == 200 and streaming.json()["id"] == system["id"]
    return system, streaming.json()["token"]


def _ws_url(gateway: str) -> str:
    return gateway.replace("http://", "ws://") + "/websocket?vsn=2.0.0"


async def test_browser_gets_its_viewport_every_second_until_it_disconnects(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    # take-off from CDG and climb out, 10 min replayed in 30 s and looped
    recording = afr_slice(900, 1500)
    served = tangram_server(_config(redis_server.url, tmp_path, recording))
    gateway = served.channel_url
    system, streaming_token = await _tokens(gateway)
    cid = system["id"]
    topic = f"streaming-{cid}"

    ws = await connect(_ws_url(gateway), compression=None)
    browser = Browser(ws, cid)
    reader = asyncio.create_task(browser.read_forever())
    redis = aioredis.Redis.from_url(redis_server.url)
    pubsub = redis.pubsub()
    try:
        await browser.send("system", "phx_join", {"token": system["token"]})
        await browser.send(topic, "phx_join", {"token": streaming_token})
        await browser.send(topic, "join-streaming", {})
        await browser.send(topic, "bound-box", {"connectionId": cid, **PARIS})

        # 1. the flight shows up in the Paris box, with its callsign
        index, deadline = 0, time.monotonic() + WAIT
        while True:
            assert time.monotonic() < deadline, f"{ICAO24} never streamed:\n{served.log()}"
            index, frame = await browser.frame_after(index)
            index += 1
            ours = _ours(frame)
            if ours is not None and ours["callsign"] == "AFR34ZG":
                break
        assert _inside(ours, PARIS), ours
        assert frame["count"] >= 1

        # 2. about one frame per second (measured where a browser sees them)
        await browser.frame_after(index + 6)
        paris = browser.frames[: index + 7]
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(paris)]
        assert 0.7 <= statistics.median(gaps) <= 1.3, gaps
        seen = [a for _, f in paris for a in f["aircraft"]]
        assert seen and all(_inside(a, PARIS) for a in seen)

        # 3. the map pans far away: the aircraft leaves the frames, not the count
        await browser.send(topic, "bound-box", {"connectionId": cid, **ELSEWHERE})
        # a tick may already have been on its way when the new box arrived
        start = len(browser.frames)
        for index in range(start, start + 3):
            _, frame = await browser.frame_after(index)
            if _ours(frame) is None:
                break
        assert frame["aircraft"] == [] and frame["count"] >= 1, frame
        for later in range(index + 1, index + 3):
            _, frame = await browser.frame_after(later)
            assert frame["aircraft"] == [] and frame["count"] >= 1, frame

        # 4. the tab closes without leave-streaming nor phx_leave: frames stop
        await pubsub.subscribe(f"to:{topic}:{EVENT}", f"from:{topic}:phx_leave")
        published = await _next_message(pubsub, f"to:{topic}:{EVENT}")
        assert orjson.loads(published["data"])["count"] >= 1
        await ws.close()
        await asyncio.wait_for(reader, WAIT)
        leave = await _next_message(pubsub, f"from:{topic}:phx_leave")
        assert orjson.loads(leave["data"])["reason"] == "disconnect"
        await _until_quiet(pubsub, quiet=3.0, within=10.0)
        async with httpx.AsyncClient(timeout=WAIT) as http:
            stats = (await http.get(f"{served.url}/jet1090/stats")).json()
        assert cid not in stats["streaming_clients"], stats
        assert stats["malformed"] == 0
    finally:
        reader.cancel()
        await ws.close()
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await redis.aclose()


async def _next_message(pubsub: Any, channel: str) -> Any:
    """The next message on ``channel`` (others on the subscription are skipped)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is not None and message["channel"].decode() == channel:
            return message
    raise AssertionError(f"nothing on {channel} within {WAIT} s")


async def _until_quiet(pubsub: Any, quiet: float, within: float) -> None:
    """Wait for ``quiet`` seconds without frames, starting at most ``within`` s from now.

    With a 1 s interval, 3 s without a publication means the plugin stopped serving
    the client rather than skipping a tick.
    """
    deadline = time.monotonic() + within
    last = time.monotonic()
    while time.monotonic() - last < quiet:
        assert time.monotonic() < deadline, "frames still published after the disconnect"
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None and message["channel"].decode().endswith(EVENT):
            last = time.monotonic()


async def _open(gateway: str, cid: str) -> tuple[Browser, asyncio.Task[None]]:
    browser = Browser(await connect(_ws_url(gateway), compression=None), cid)
    return browser, asyncio.create_task(browser.read_forever())


async def _until_ours_in_view(browser: Browser, index: int, box: dict[str, float]) -> int:
    """Index after the first frame from ``index`` on that shows our aircraft in ``box``."""
    deadline = time.monotonic() + 3 * WAIT
    while time.monotonic() < deadline:
        index, frame = await browser.frame_after(index)
        index += 1
        ours = _ours(frame)
        if ours is not None and _inside(ours, box):
            return index
    raise AssertionError(f"{ICAO24} not streamed inside {box} within {3 * WAIT} s")


async def test_nobody_can_read_stop_or_steer_another_browsers_stream(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    served = tangram_server(_config(redis_server.url, tmp_path, afr_slice(900, 1500)))
    gateway = served.channel_url
    system, streaming_token = await _tokens(gateway)
    victim_id = system["id"]
    topic = f"streaming-{victim_id}"
    victim, victim_reader = await _open(gateway, victim_id)
    attacker_system, _ = await _tokens(gateway)
    attacker, attacker_reader = await _open(gateway, attacker_system["id"])
    try:
        await victim.send("system", "phx_join", {"token": system["token"]})
        await victim.send(topic, "phx_join", {"token": streaming_token})
        await victim.send(topic, "bound-box", PARIS)
        await _until_ours_in_view(victim, 0, PARIS)

        # 1. No token for the victim's private topic (nor one for every topic).
        async with httpx.AsyncClient(timeout=WAIT) as http:
            for body in (
                {"channel": topic},
                {"channel": topic, "id": victim_id},
                {"channel": topic, "id": victim_id, "token": attacker_system["token"]},
                {"channel": "*"},
            ):
                refused = await http.post(f"{gateway}/token", json=body)
                assert refused.status_code == 403, (body, refused.text)

        # 2. The upstream conventions on the shared topic, naming the victim or made-up
        # ids, are acknowledged by the gateway but change nothing.
        await attacker.send("system", "phx_join", {"token": attacker_system["token"]})
        await attacker.send("system", "leave-streaming", {"connectionId": victim_id})
        await attacker.send("system", "bound-box", {"connectionId": victim_id, **ELSEWHERE})
        for n in range(200):
            await attacker.send("system", "join-streaming", {"connectionId": f"fake{n}"})
        start = len(victim.frames) + 2  # frames on their way are not evidence
        await _until_ours_in_view(victim, start, PARIS)
        async with httpx.AsyncClient(timeout=WAIT) as http:
            stats = (await http.get(f"{served.url}/jet1090/stats")).json()
        assert stats["streaming_clients"] == [victim_id], stats
    finally:
        for reader in (victim_reader, attacker_reader):
            reader.cancel()
        await victim.ws.close()
        await attacker.ws.close()


async def test_a_late_leave_from_a_crashed_gateway_does_not_stop_a_rejoined_browser(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    """The browser streams through a gateway worker that is then killed (SIGKILL). It
    reconnects to another worker and re-joins its topic (as phoenix.js does). Seconds
    later a survivor reaps the dead worker's presence and announces its membership's
    ``phx_leave``: jet1090 must see that this membership was already replaced."""
    served = tangram_server(_config(redis_server.url, tmp_path, afr_slice(900, 1500)))
    config = TangramConfig()
    config.channel.port = 0
    # A short liveness TTL (default 10 s) lets the survivor reap the dead worker soon.
    doomed = ChannelProcess(config, redis_server.url, presence_ttl=3.0)
    await doomed.start()
    system, streaming_token = await _tokens(served.channel_url)
    cid = system["id"]
    topic = f"streaming-{cid}"
    redis = aioredis.Redis.from_url(redis_server.url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(f"from:{topic}:phx_join", f"from:{topic}:phx_leave")
    first, first_reader = await _open(f"http://127.0.0.1:{doomed.port}", cid)
    second: Browser | None = None
    second_reader: asyncio.Task[None] | None = None
    try:
        await first.send(topic, "phx_join", {"token": streaming_token})
        await first.send(topic, "bound-box", PARIS)
        await _until_ours_in_view(first, 0, PARIS)
        joined = orjson.loads((await _next_message(pubsub, f"from:{topic}:phx_join"))["data"])

        os.kill(doomed.processes[0].pid, signal.SIGKILL)
        second, second_reader = await _open(served.channel_url, cid)
        await second.send(topic, "phx_join", {"token": streaming_token})
        await second.send(topic, "bound-box", PARIS)
        rejoined = orjson.loads((await _next_message(pubsub, f"from:{topic}:phx_join"))["data"])
        # The reaper's leave, for the dead worker's membership, after the re-join.
        leave = orjson.loads((await _next_message(pubsub, f"from:{topic}:phx_leave"))["data"])
        assert leave["reason"] == "disconnect" and leave["id"] == cid, leave
        assert leave["phx_ref"] == joined["phx_ref"] != rejoined["phx_ref"], (joined, rejoined)

        start = len(second.frames) + 2  # frames on their way are not evidence
        await _until_ours_in_view(second, start, PARIS)
        async with httpx.AsyncClient(timeout=WAIT) as http:
            stats = (await http.get(f"{served.url}/jet1090/stats")).json()
        assert stats["streaming_clients"] == [cid], stats
    finally:
        first_reader.cancel()
        if second_reader is not None and second is not None:
            second_reader.cancel()
            await second.ws.close()
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await redis.aclose()
        await doomed.stop()
