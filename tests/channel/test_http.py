"""``POST /token``, CORS, the token API key and the token claims."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from tangram.channel.server import Gateway
from tangram.channel.tokens import SECRET_KEY
from tangram.testing import RedisServer, free_port

from .conftest import GatewayFactory, Phx, http_base, ws_url


async def test_token_claims_and_random_id(
    gateway_factory: GatewayFactory, redis_client: aioredis.Redis
) -> None:
    gateway = await gateway_factory(id_length=12, jwt_expiration_secs=600)
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        first = (await http.post("/token", json={"channel": "system"})).json()
        # A second request on the same keep-alive connection, for the same id (proved).
        proved = {"channel": "a:b", "id": first["id"], "token": first["token"]}
        second = (await http.post("/token", json=proved)).json()
    assert first["channel"] == "system" and len(first["id"]) == 12
    assert second["id"] == first["id"]
    secret = (await redis_client.get(SECRET_KEY)).decode()
    claims = jwt.decode(first["token"], secret, algorithms=["HS256"])
    assert claims["id"] == first["id"] and claims["channel"] == "system"
    assert claims["exp"] - claims["iat"] == 600
    assert abs(claims["iat"] - time.time()) < 5


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"not json", 400, "not JSON"),
        (b"[1]", 400, "JSON object"),
        (b"{}", 422, "'channel'"),
        (b'{"channel": 5}', 422, "'channel'"),
        (b'{"channel": "a*"}', 422, "glob"),
        (b'{"channel": "ok", "id": ""}', 422, "'id'"),
        (b'{"channel": "ok", "id": 7}', 422, "'id'"),
    ],
)
async def test_malformed_token_requests_get_4xx_json(
    gateway: Gateway, body: bytes, status: int, words: str
) -> None:
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        response = await http.post("/token", content=body)
    assert response.status_code == status
    assert words in response.json()["error"]


async def test_other_methods_and_paths(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        assert (await http.get("/token")).status_code == 405
        assert (await http.get("/nope")).status_code == 404
        assert (await http.post("/token", content=b"x" * 70_000)).status_code == 413
        async with connect(ws_url(gateway)):
            stats = (await http.get("/stats")).json()
    assert stats["websockets_accepted"] == 1
    assert stats["open_connections"] == 2  # the WebSocket and this HTTP connection


async def test_token_api_key(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory(token_api_key="k3y-for-tests")
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        refused = await http.post("/token", json={"channel": "t"})
        wrong = await http.post(
            "/token", json={"channel": "t"}, headers={"X-Tangram-Token-Key": "nope"}
        )
        allowed = await http.post(
            "/token", json={"channel": "t"}, headers={"X-Tangram-Token-Key": "k3y-for-tests"}
        )
    assert refused.status_code == wrong.status_code == 401
    assert "X-Tangram-Token-Key" in refused.json()["error"]
    assert allowed.status_code == 200


async def test_cors(gateway_factory: GatewayFactory) -> None:
    gateway = await gateway_factory(public_url="https://maps.example.org/channel")
    headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        for origin in ("http://localhost:2346", "https://maps.example.org"):
            pre = await http.options("/token", headers={**headers, "Origin": origin})
            assert pre.status_code == 204
            assert pre.headers["access-control-allow-origin"] == origin
            assert "POST" in pre.headers["access-control-allow-methods"]
            post = await http.post("/token", json={"channel": "t"}, headers={"Origin": origin})
            assert post.headers["access-control-allow-origin"] == origin
        evil = await http.options("/token", headers={**headers, "Origin": "http://evil.test"})
        assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
        evil_post = await http.post(
            "/token", json={"channel": "t"}, headers={"Origin": "http://evil.test"}
        )
        assert evil_post.status_code == 403


async def test_expired_token_is_refused(gateway: Gateway, redis_client: aioredis.Redis) -> None:
    secret = (await redis_client.get(SECRET_KEY)).decode()
    now = int(time.time())
    expired = jwt.encode(
        {"id": "x", "channel": "t", "iat": now - 600, "exp": now - 300}, secret, algorithm="HS256"
    )
    forged = jwt.encode(
        {"id": "x", "channel": "t", "exp": now + 300},
        "not-the-secret-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    async with connect(ws_url(gateway)) as ws:
        phx = Phx(ws)
        for token in (expired, forged):
            assert (await phx.join("t", token))[4]["response"] == {"reason": "unauthorized"}


async def test_configured_secret_is_used(gateway_factory: GatewayFactory) -> None:
    secret = "a-configured-secret-that-is-long-enough"
    gateway = await gateway_factory(jwt_secret=secret)
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        token = (await http.post("/token", json={"channel": "t"})).json()["token"]
    assert jwt.decode(token, secret, algorithms=["HS256"])["channel"] == "t"


async def test_redis_down_at_start_serves_and_recovers(tmp_path: Path) -> None:
    """No Redis at start-up: the gateway listens anyway, says clearly why tokens and
    joins cannot work yet, and works once Redis appears, without a restart."""
    from tangram.config import TangramConfig

    config = TangramConfig()
    config.channel.port = 0
    redis = RedisServer(port=free_port(), workdir=tmp_path)
    gateway = Gateway(config, redis.url, redis_timeout=0.2)
    await gateway.start()  # no ChannelError: Redis is retried in the background
    try:
        async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
            down = await http.post("/token", json={"channel": "t"})
            assert down.status_code == 503
            assert "Redis" in down.json()["error"] and "jwt_secret" in down.json()["error"]
            async with connect(ws_url(gateway)) as ws:
                reply = await Phx(ws).join("t", "any-token")
                assert reply[4]["status"] == "error"
                assert reply[4]["response"]["reason"] == "unavailable"
                assert "Redis" in reply[4]["response"]["detail"]
            await asyncio.to_thread(redis.start)
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 10
                while (
                    response := await http.post("/token", json={"channel": "t"})
                ).status_code != 200:
                    assert loop.time() < deadline, response.text
                    await asyncio.sleep(0.1)
                token = response.json()["token"]
                async with connect(ws_url(gateway)) as ws:
                    client = Phx(ws)
                    assert (await client.join("t", token))[4] == {"status": "ok", "response": {}}
                    await client.expect("presence_state")
                    publisher = aioredis.Redis.from_url(redis.url)
                    await publisher.publish("to:t:news", b'{"n":1}')
                    await publisher.aclose()
                    assert (await client.expect("news"))[4] == {"n": 1}
            finally:
                await gateway.stop()
                await asyncio.to_thread(redis.stop)
    finally:
        await gateway.stop()  # again: a no-op when done above, needed when failing earlier


async def test_exposed_bind_warns_loudly(
    gateway_factory: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tangram.channel"):
        await gateway_factory(host="0.0.0.0", jwt_secret="secret")
    text = caplog.text
    assert "without token_api_key" in text and "jwt_secret is weak" in text


async def test_connection_close_and_idle_http_connections(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = await gateway_factory(heartbeat_timeout_secs=1.0)
    body = b'{"channel": "t"}'
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(
        b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer = await asyncio.wait_for(reader.read(), 5)  # to EOF: the server closed
    assert answer.startswith(b"HTTP/1.1 200") and b'"token"' in answer
    writer.close()
    # A client that connects and says nothing is dropped after the idle timeout.
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_garbage_http_is_answered_and_harmless(gateway: Gateway) -> None:
    for junk in (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"GET / HTTP/9\r\n\r\n",
        b"POST /token HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"\r\n" * 5000,
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(junk)
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
        writer.close()
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        assert (await http.post("/token", json={"channel": "t"})).status_code == 200
