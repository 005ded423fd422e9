"""Hostile clients against a real gateway and a real Redis (hardening issue 8)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import tracemalloc

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from tangram.channel.server import Gateway
from tangram.channel.strict_json import MAX_JSON_DEPTH

from .conftest import Phx, Watcher, client_frame, http_base, mint, raw_websocket, until, ws_url

BASE_PATTERNS = {b"to:system:*", b"to:admin:*"}


async def test_join_then_reset_releases_the_pattern(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    """Finding 1: a join followed at once by a disconnect, before Redis confirmed the
    topic's pattern, must not leave ``to:<topic>:*`` subscribed."""
    star = await mint(http_base(gateway), "*")
    baseline = await redis_client.execute_command("PUBSUB", "NUMPAT")
    for i in range(60):
        _, writer = await raw_websocket(gateway)
        join = ["1", "1", f"leak:{i}", "phx_join", {"token": star}]
        writer.write(client_frame(json.dumps(join).encode()))
        if i % 2:
            writer.transport.abort()  # RST
        else:
            writer.close()  # FIN
    await until(lambda: not gateway.connections, "every socket gone")
    await until(lambda: gateway.hub.pubsub.patterns == BASE_PATTERNS, "only permanent patterns")
    assert not gateway.hub.topics

    async def numpat_back() -> bool:
        return bool(await redis_client.execute_command("PUBSUB", "NUMPAT") == baseline)

    await until(numpat_back, f"PUBSUB NUMPAT back to {baseline}")


async def test_long_topics_pin_no_memory(gateway: Gateway) -> None:
    """Finding 2: nothing keeps client-chosen topics once the socket is gone (the topic
    check used to be cached on them), and over-long topics are refused first thing."""
    star = await mint(http_base(gateway), "*")
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        async with connect(ws_url(gateway), compression=None) as ws:
            phx = Phx(ws)
            for i in range(20):
                topic = f"{i}:" + "x" * 300_000
                reply = await phx.join(topic, star)
                assert reply[4]["response"] == {"reason": "invalid topic: longer than 255 bytes"}
                await phx.send(["1", "2", topic, "move", {}])
                reply = await phx.expect("phx_reply", topic)
                assert reply[4]["response"] == {"reason": "invalid topic: longer than 255 bytes"}
        await until(lambda: not gateway.connections, "the socket gone")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, f"{kept} bytes kept after 20 joins of 300 kB topics"


async def test_topic_just_over_255_bytes_is_refused(gateway: Gateway, client: Phx) -> None:
    star = await mint(http_base(gateway), "*")
    assert (await client.join("é" * 127 + "x", star))[4] == {"status": "ok", "response": {}}
    reply = await client.join("é" * 128, star)  # 256 bytes, 128 characters
    assert reply[4]["response"] == {"reason": "invalid topic: longer than 255 bytes"}


UNECHOABLE = [
    '["1","\\ud800","t","phx_leave",{}]',  # the leave that used to leave a ghost
    '["\\ud800","5","t","phx_leave",{}]',
    '["1","\\ud800","t","phx_join",{"token":"%s"}]',  # a rejoin
    '["1","5","\\udc00","phx_join",{}]',
    '["1","5","t","\\ud800x",{}]',
    '["1","5","t","move",{}, "\\ud800"]',
]


@pytest.mark.parametrize("text", UNECHOABLE)
async def test_unechoable_names_close_1007_and_leave_no_ghost(
    gateway: Gateway,
    redis_client: aioredis.Redis,
    watcher: Watcher,
    caplog: pytest.LogCaptureFixture,
    text: str,
) -> None:
    """Finding 3: a ref, join_ref, topic or event that cannot be echoed (a lone
    surrogate) closes 1007 before any state changes; the socket's membership then
    ends like any disconnect: presence clean, pattern released, leave published."""
    token = await mint(http_base(gateway), "t", "ghost")
    baseline = await redis_client.execute_command("PUBSUB", "NUMPAT")
    async with connect(ws_url(gateway), compression=None) as ws:
        phx = Phx(ws)
        assert (await phx.join("t", token))[4]["status"] == "ok"
        await phx.expect("presence_state")
        assert await redis_client.hlen("tangram:presence:t") == 1
        await ws.send(text.replace("%s", token))
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1007
    await watcher.collect(lambda s: any(name == "from:t:phx_leave" for name, _ in s))
    (leave,) = watcher.on("from:t:phx_leave")
    event = json.loads(leave)
    assert event.pop("phx_ref")  # the membership's reference (lifecycle events carry it)
    assert event == {"id": "ghost", "topic": "t", "reason": "disconnect"}

    async def clean() -> bool:
        numpat = await redis_client.execute_command("PUBSUB", "NUMPAT")
        return numpat == baseline and not await redis_client.hlen("tangram:presence:t")

    await until(clean, "presence entry removed and to:t:* released")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_token_that_is_not_ascii_is_unauthorized(gateway: Gateway, client: Phx) -> None:
    await client.send('["1","1","t","phx_join",{"token":"\\ud800"}]')
    reply = await client.expect("phx_reply")
    assert reply[4] == {"status": "error", "response": {"reason": "unauthorized"}}
    await client.send('["1","2","t","phx_join",{"token":"é"}]')
    assert (await client.expect("phx_reply"))[4]["response"] == {"reason": "unauthorized"}


def binary_push(join_ref: str, ref: str, topic: str, event: str, payload: bytes) -> bytes:
    names = [s.encode() for s in (join_ref, ref, topic, event)]
    return bytes((0, *map(len, names))) + b"".join(names) + payload


@pytest.mark.parametrize("event", ["phx_leave", "phx_join", "phx_reply", "phx_close", "phx_x"])
async def test_reserved_events_are_refused_in_every_frame_kind(
    gateway: Gateway, client: Phx, watcher: Watcher, event: str
) -> None:
    """Finding 4: plugins trust from:<topic>:phx_* to come from the gateway; a client
    pushing a reserved event, binary or text, gets an error and nothing is published."""
    token = await mint(http_base(gateway), "t", "mallory")
    join_ref = (await client.join("t", token))[0]
    forged = b'{"id":"victim","topic":"t","reason":"leave"}'
    await client.send(binary_push(join_ref, "7", "t", event, forged))
    reason = "invalid event: phx_* events are reserved for the gateway"
    assert await client.expect("phx_reply") == [
        join_ref, "7", "t", "phx_reply", {"status": "error", "response": {"reason": reason}}
    ]  # fmt: skip
    if event not in ("phx_leave", "phx_join"):  # those two are the join and leave themselves
        await client.send(f'["{join_ref}","8","t","{event}",{forged.decode()}]')
        assert (await client.expect("phx_reply"))[4]["response"] == {"reason": reason}
    await client.send([join_ref, "9", "t", "move", {}])  # a marker, published after
    await watcher.collect(lambda s: any(name == "from:t:move" for name, _ in s))
    assert not [data for name, data in watcher.seen if b"victim" in data]


@pytest.mark.parametrize("depth", [1000, MAX_JSON_DEPTH + 1, 5000])
async def test_token_body_nested_deep_is_a_4xx(gateway: Gateway, depth: int) -> None:
    """Finding 10: a deeply nested /token body used to raise RecursionError (no answer)."""
    body = b'{"a":' * depth + b"1" + b"}" * depth
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{http_base(gateway)}/token", content=body)
    # 1000 levels are JSON (an object without "channel": 422); one over the bound is not.
    assert response.status_code == (422 if depth <= MAX_JSON_DEPTH else 400)
    assert "error" in response.json()


@pytest.mark.parametrize("constant", ["NaN", "-Infinity", "Infinity"])
async def test_nan_and_infinity_pushes_are_refused(
    gateway: Gateway, client: Phx, watcher: Watcher, constant: str
) -> None:
    """Finding 10: NaN and Infinity are not JSON (JSON.parse refuses them): a push
    carrying one gets an error reply and nothing is published."""
    token = await mint(http_base(gateway), "t")
    join_ref = (await client.join("t", token))[0]
    await client.send(f'["{join_ref}","5","t","move",{{"x":[1,{constant}]}}]')
    reply = await client.expect("phx_reply")
    assert reply[:4] == [join_ref, "5", "t", "phx_reply"]
    assert reply[4]["status"] == "error"
    assert "NaN, Infinity and -Infinity are not JSON" in reply[4]["response"]["reason"]
    await client.send([join_ref, "6", "t", "marker", {}])
    await watcher.collect(lambda s: any(name == "from:t:marker" for name, _ in s))
    assert watcher.on("from:t:move") == []


async def test_redis_payload_depth_bound_just_over(
    gateway: Gateway, client: Phx, redis_client: aioredis.Redis
) -> None:
    """Finding 10: a plugin's JSON nested MAX_JSON_DEPTH deep is delivered as JSON; one
    level deeper it is dropped (counted, logged), never turned into a JSON string."""
    token = await mint(http_base(gateway), "t")
    await client.join("t", token)
    await client.expect("presence_state")
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    await redis_client.publish("to:t:deep", deepest)
    await redis_client.publish("to:t:deep", too_deep)
    await redis_client.publish("to:t:marker", "{}")
    raw: list[str | bytes] = []
    while not raw or "marker" not in str(raw[-1]):
        frame = await client.recv_raw()
        if "presence_diff" not in str(frame):
            raw.append(frame)
    assert raw == [
        f'[null,null,"t","deep",{deepest}]',
        '[null,null,"t","marker",{}]',
    ]
    assert gateway.stats["dropped_too_deep"] == 1
