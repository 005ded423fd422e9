"""The gateway end to end: real WebSocket clients, real Redis, the spec's wire table."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tangram.channel.server import Gateway

from .conftest import GatewayFactory, Phx, Watcher, http_base, mint, ws_url

OK = {"status": "ok", "response": {}}


async def test_heartbeat(client: Phx) -> None:
    await client.send([None, "1", "phoenix", "heartbeat", {}])
    assert await client.recv() == [None, "1", "phoenix", "phx_reply", OK]


async def test_join_ok_then_presence_state_and_lifecycle(
    gateway: Gateway, client: Phx, watcher: Watcher
) -> None:
    token = await mint(http_base(gateway), "room:1", "alice")
    await client.send(["3", "3", "room:1", "phx_join", {"token": token}])
    assert await client.recv() == ["3", "3", "room:1", "phx_reply", OK]
    state = await client.recv()
    assert state[:4] == ["3", None, "room:1", "presence_state"]
    (meta,) = state[4]["alice"]["metas"]
    assert set(meta) == {"phx_ref", "online_at"}
    seen = await watcher.collect(lambda s: len(s) >= 3)
    # The join names the membership: the same phx_ref as its presence meta.
    joined = json.loads(watcher.on("from:room:1:phx_join")[0])
    assert joined == {"id": "alice", "topic": "room:1", "phx_ref": meta["phx_ref"]}
    assert json.loads(watcher.on("to:admin:channel.add")[0])["channel"] == "room:1"
    join_meta = json.loads(watcher.on("to:admin:channel.join")[0])
    assert join_meta == {"channel": "room:1", "id": "alice", "members": ["alice"]}
    assert not any(token.encode() in data for _, data in seen)


async def test_join_refused_with_error_reply(gateway: Gateway, client: Phx) -> None:
    other = await mint(http_base(gateway), "other-topic")
    for token in (other, "not-a-jwt", None):
        reply = await client.join("secret-room", token)
        assert reply[4] == {"status": "error", "response": {"reason": "unauthorized"}}


async def test_wildcard_token_and_user_token(gateway: Gateway) -> None:
    star = await mint(http_base(gateway), "*")
    async with connect(ws_url(gateway, f"vsn=2.0.0&userToken={star}")) as ws:
        phx = Phx(ws)
        assert (await phx.join("anything", None))[4] == OK
        assert (await phx.join("else:where", None))[4] == OK


async def test_leave_and_unmatched_topic(
    gateway: Gateway, client: Phx, watcher: Watcher, redis_client: aioredis.Redis
) -> None:
    token = await mint(http_base(gateway), "t", "bob")
    await client.join("t", token)
    await client.send(["1", "9", "t", "phx_leave", {}])
    assert await client.expect("phx_reply") == ["1", "9", "t", "phx_reply", OK]
    await client.send(["1", "10", "t", "move", {"x": 1}])
    assert (await client.expect("phx_reply"))[4] == {
        "status": "error",
        "response": {"reason": "unmatched topic"},
    }
    await watcher.collect(lambda s: any(name == "from:t:phx_leave" for name, _ in s))
    leave = json.loads(watcher.on("from:t:phx_leave")[0])
    (joined,) = [json.loads(data) for data in watcher.on("from:t:phx_join")]
    assert leave == {"id": "bob", "topic": "t", "phx_ref": joined["phx_ref"], "reason": "leave"}
    await asyncio.sleep(0.2)
    assert watcher.on("from:t:move") == []
    # No local member left: the topic's pattern is gone from Redis. Patterns left:
    # the gateway's to:system:* and to:admin:*, the watcher's from:* (and to:admin:*).
    assert await redis_client.execute_command("PUBSUB", "NUMPAT") == 3


async def test_byte_exact_both_directions(
    gateway: Gateway, client: Phx, watcher: Watcher, redis_client: aioredis.Redis
) -> None:
    token = await mint(http_base(gateway), "data:feed")
    await client.join("data:feed", token)
    await client.expect("presence_state")
    pushed = '{ "z":1,  "a" : [1.50, "\\u00e9", {"y":null}] }'
    await client.send(f'["1","5","data:feed","upload",{pushed}]')
    assert (await client.expect("phx_reply"))[4] == OK
    await watcher.collect(lambda s: any(name == "from:data:feed:upload" for name, _ in s))
    assert watcher.on("from:data:feed:upload") == [pushed.encode()]

    await redis_client.publish("to:data:feed:json", b'\n {"z":1,"a":{"y":2}}  ')
    await redis_client.publish("to:data:feed:text", b"Hello from plugin")
    await redis_client.publish("to:data:feed:num", b"42")
    await redis_client.publish("to:data:feed:arrow", b"ARROW1\x00\x00\xff")
    frames: list[str | bytes] = []
    while len(frames) < 4:
        frame = await client.recv_raw()
        if not (isinstance(frame, str) and "presence_diff" in frame):
            frames.append(frame)
    assert frames == [
        '[null,null,"data:feed","json",\n {"z":1,"a":{"y":2}}  ]',
        '[null,null,"data:feed","text","Hello from plugin"]',
        '[null,null,"data:feed","num",42]',
        b"\x00\x00\x09\x05data:feedarrowARROW1\x00\x00\xff",
    ]

    # A binary push from the client is forwarded raw.
    head = bytes([0, 1, 1, 9, 6]) + b"16data:feedbinary"
    await client.send(head + b"\x00\xff\xfe")
    await watcher.collect(lambda s: any(name == "from:data:feed:binary" for name, _ in s))
    assert watcher.on("from:data:feed:binary") == [b"\x00\xff\xfe"]


async def test_messages_reach_exactly_the_topic_once(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as ws1, connect(ws_url(gateway)) as ws2:
        weather, wind = Phx(ws1), Phx(ws2)
        await weather.join("weather", await mint(base, "weather"))
        await wind.join("weather:wind", await mint(base, "weather:wind"))
        # Both joined on one socket too: still exactly once per topic.
        await wind.join("weather", await mint(base, "weather"))
        await redis_client.publish("to:weather:wind:update", b'{"n":1}')
        await redis_client.publish("to:weather:rain", b'{"n":2}')
        await redis_client.publish("to:weather:done", b'{"n":3}')
        got_weather = [f for f in [await weather.expect("rain"), await weather.expect("done")]]
        assert [f[4]["n"] for f in got_weather] == [2, 3]
        frames = []
        while True:
            frame = await wind.recv()
            if frame[3] in ("update", "rain", "done"):
                frames.append((frame[2], frame[3]))
            if frame[3] == "done":
                break
        assert frames == [("weather:wind", "update"), ("weather", "rain"), ("weather", "done")]


async def test_joining_star_receives_nothing(
    gateway: Gateway, client: Phx, redis_client: aioredis.Redis
) -> None:
    star = await mint(http_base(gateway), "*")
    reply = await client.join("*", star)
    assert reply[4]["status"] == "error"
    await redis_client.publish("to:system:update-node", b'{"el":"x"}')
    with pytest.raises(asyncio.TimeoutError):
        await client.recv(timeout=0.3)


async def test_malformed_frames_never_crash(gateway: Gateway, redis_client: aioredis.Redis) -> None:
    base = http_base(gateway)
    for junk in ["not json", "[1,2]", '{"a":1}', b"\x07\x00", b"\x00\x09\x00\x00\x00"]:
        async with connect(ws_url(gateway)) as ws:
            await ws.send(junk)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    async with connect(ws_url(gateway)) as ws:
        phx = Phx(ws)
        await phx.send('[null, "1", "t", "e", {}, "extra"]')
        with pytest.raises(ConnectionClosed):
            await phx.recv()
    # Wrong types with a readable topic and ref: an error reply, and the socket lives on.
    async with connect(ws_url(gateway)) as ws:
        phx = Phx(ws)
        await phx.send('[5, "2", "t", "e", {}]')
        assert (await phx.recv())[4]["status"] == "error"
        await phx.send([None, "3", "phoenix", "heartbeat", {}])
        assert (await phx.recv())[4] == OK
        assert (await phx.join("t", await mint(base, "t")))[4] == OK


async def test_oversized_frame_closes_1009(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory(max_frame_bytes=4096)
    async with connect(ws_url(gateway), max_size=None) as ws:
        await ws.send('[null,"1","t","e","' + "x" * 5000 + '"]')
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    async with connect(ws_url(gateway)) as ws:  # the gateway is fine
        await Phx(ws).send([None, "1", "phoenix", "heartbeat", {}])
        assert (await Phx(ws).recv())[4] == OK


async def test_wrong_vsn_is_refused_with_reason(gateway: Gateway) -> None:
    async with connect(ws_url(gateway, "vsn=1.0.0")) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert "vsn" in closed.value.rcvd.reason


async def test_origin_allow_list(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory(allowed_origins=["https://tangram.example.org"])
    for origin in ("http://localhost:2346", "http://127.0.0.1:2346", "https://tangram.example.org"):
        async with connect(ws_url(gateway), origin=origin) as ws:  # type: ignore[arg-type]
            await Phx(ws).send([None, "1", "phoenix", "heartbeat", {}])
            assert (await Phx(ws).recv())[4] == OK
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(gateway), origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403


async def test_disconnect_without_leave(gateway: Gateway, watcher: Watcher) -> None:
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as ws:
        stayer = Phx(ws)
        await stayer.join("room", await mint(base, "room", "stay"))
        await stayer.expect("presence_state")
        leaver_ws = await connect(ws_url(gateway))
        leaver = Phx(leaver_ws)
        await leaver.join("room", await mint(base, "room", "gone"))
        await leaver.expect("presence_state")
        diff = await stayer.expect("presence_diff")
        while "gone" not in diff[4]["joins"]:
            diff = await stayer.expect("presence_diff")
        # Drop the TCP connection without a close frame or a leave.
        assert leaver_ws.transport is not None
        leaver_ws.transport.abort()
        diff = await stayer.expect("presence_diff")
        assert list(diff[4]["leaves"]) == ["gone"] and diff[4]["joins"] == {}
    await watcher.collect(lambda s: any(b'"gone"' in d and "phx_leave" in n for n, d in s))
    (leave,) = [json.loads(d) for d in watcher.on("from:room:phx_leave") if b"gone" in d]
    assert leave == {
        "id": "gone",
        "topic": "room",
        "phx_ref": leave["phx_ref"],
        "reason": "disconnect",
    }


async def test_publish_right_after_join_reply_is_delivered(
    gateway: Gateway, client: Phx, redis_client: aioredis.Redis
) -> None:
    base = http_base(gateway)
    for n in range(15):  # each a brand-new topic, so each join subscribes first
        topic = f"fresh:{n}"
        assert (await client.join(topic, await mint(base, topic)))[4] == OK
        await redis_client.publish(f"to:{topic}:hello", str(n))
        assert (await client.expect("hello", topic))[4] == n


async def test_client_pushes_reach_redis_in_order(
    gateway: Gateway, client: Phx, watcher: Watcher
) -> None:
    await client.join("seq", await mint(http_base(gateway), "seq"))
    for n in range(200):
        await client.send(["1", None, "seq", "n", n])  # no ref: no reply expected
    await watcher.collect(lambda s: len([1 for name, _ in s if name == "from:seq:n"]) == 200)
    assert [int(d) for d in watcher.on("from:seq:n")] == list(range(200))


async def test_admin_members_see_meta_events(gateway: Gateway) -> None:
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as ws_admin, connect(ws_url(gateway)) as ws_user:
        admin, user = Phx(ws_admin), Phx(ws_user)
        await admin.join("admin", await mint(base, "admin", "ops"))
        await user.join("room:9", await mint(base, "room:9", "u1"))
        # Its own join comes first (channel.add/channel.join for "admin" itself).
        added = await admin.expect("channel.add", "admin")
        assert added[:3] == [None, None, "admin"] and added[4]["channel"] == "admin"
        added = await admin.expect("channel.add", "admin")
        assert added[4]["channel"] == "room:9" and "room:9" in added[4]["channels"]
        joined = (await admin.expect("channel.join", "admin"))[4]
        if joined["channel"] == "admin":
            joined = (await admin.expect("channel.join", "admin"))[4]
        assert joined == {"channel": "room:9", "id": "u1", "members": ["u1"]}
        await user.send(["1", "5", "room:9", "phx_leave", {}])
        left = (await admin.expect("channel.leave", "admin"))[4]
        assert left == {"channel": "room:9", "id": "u1", "reason": "leave", "members": []}
        removed = (await admin.expect("channel.remove", "admin"))[4]
        assert removed["channel"] == "room:9" and "room:9" not in removed["channels"]


async def test_each_message_is_encoded_once_whatever_the_members(
    gateway: Gateway, redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tangram.channel import hub

    calls: list[bytes] = []
    real = hub.encode_broadcast

    def counting(topic: str, event: str, payload: bytes) -> bytes:
        calls.append(payload)
        return real(topic, event, payload)

    monkeypatch.setattr(hub, "encode_broadcast", counting)
    base = http_base(gateway)
    async with connect(ws_url(gateway)) as a, connect(ws_url(gateway)) as b, \
            connect(ws_url(gateway)) as c:  # fmt: skip
        clients = [Phx(ws) for ws in (a, b, c)]
        for phx in clients:
            await phx.join("shared", await mint(base, "shared"))
        for n in range(5):
            await redis_client.publish("to:shared:tick", str(n))
        for phx in clients:
            assert [(await phx.expect("tick"))[4] for _ in range(5)] == list(range(5))
    # 15 deliveries, 5 encodings (presence diffs of the joins may also be counted).
    ticks = [payload for payload in calls if not payload.startswith(b'{"joins"')]
    assert ticks == [str(n).encode() for n in range(5)]


async def test_rejoin_replaces_and_delivers_once(
    gateway: Gateway, client: Phx, redis_client: aioredis.Redis, watcher: Watcher
) -> None:
    token = await mint(http_base(gateway), "dup", "me")
    await client.send(["1", "1", "dup", "phx_join", {"token": token}])
    await client.expect("presence_state")
    await client.send(["2", "2", "dup", "phx_join", {"token": token}])
    assert await client.expect("phx_close") == ["1", None, "dup", "phx_close", {}]
    assert (await client.expect("phx_reply"))[:2] == ["2", "2"]
    await redis_client.publish("to:dup:once", b"1")
    await redis_client.publish("to:dup:end", b"2")
    frames = []
    while (frame := await client.recv())[3] != "end":
        frames.append(frame[3])
    assert frames.count("once") == 1
    await watcher.collect(lambda s: any(b"replaced" in d for _, d in s))
