"""Access control against a real ``tangram serve``, gateway and Redis, over real HTTP and
WebSocket clients (the browser side is tests/web/test_access.py).

Wrong keys are throttled per client address. uvicorn takes the address from
``X-Forwarded-For`` on loopback (as behind a local reverse proxy), so each test that
sends wrong keys poses as its own client and the tests do not share a budget.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import APIRouter, WebSocket
from websockets.sync.client import connect

import tangram
from tangram.access_web import MAX_LOGIN_BYTES
from tangram.channel.http import MAX_BODY_BYTES
from tangram.config import ACCESS_KEY_ENV, parse_config
from tangram.server import create_app
from tangram.testing import TangramProcess, free_port, start_redis, start_tangram

KEY = "a shared key for the whole team"
API_KEY = "backend-only-token-api-key"
ASSET = next((Path(__file__).parents[1] / "src/tangram/web/dist/assets").glob("index-*.js"), None)
#: Every kind of route: the page, its assets, the core's API, a plugin router, a plugin's
#: frontend, the API docs, an unknown path, and the web app's token route.
PROTECTED = [
    "/",
    "/index.html",
    *([f"/assets/{ASSET.name}"] if ASSET else []),
    "/manifest.json",
    "/example/",
    "/plugins/tangram_system/plugin.json",
    "/docs",
    "/openapi.json",
    "/no-such-page",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TangramProcess]:
    config = f"""
        [core]
        redis_url = "{{redis_url}}"
        plugins = ["tangram_system", "tangram_example"]

        [server]
        port = {{http_port}}
        access_key = "{KEY}"

        [channel]
        port = {{channel_port}}
        token_api_key = "{API_KEY}"
    """
    with start_redis() as redis:
        tmp = tmp_path_factory.mktemp("access")
        process = start_tangram(config.replace("{redis_url}", redis.url), tmp)
        try:
            yield process
        finally:
            process.stop()


def as_client(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


@contextlib.contextmanager
def logged_in(served: TangramProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url) as client:
        reply = client.post("/login", data={"key": KEY}, headers=as_client("10.9.0.1"))
        assert reply.status_code == 303, reply.text
        yield client


def join(channel_url: str, topic: str, token: str | None) -> Any:
    """Open a WebSocket on the gateway, join ``topic``; the reply's payload."""
    ws_url = channel_url.replace("http://", "ws://") + "/websocket?vsn=2.0.0"
    with connect(ws_url) as ws:
        ws.send(json.dumps(["1", "1", topic, "phx_join", {"token": token} if token else {}]))
        while True:
            join_ref, ref, frame_topic, event, payload = json.loads(ws.recv(timeout=10))
            if event == "phx_reply" and ref == "1":
                return payload


def test_without_session_every_route_is_refused(served: TangramProcess) -> None:
    with httpx.Client(base_url=served.url) as client:
        for path in PROTECTED:
            api = client.get(path)
            assert api.status_code == 401, path
            assert "log in first" in api.json()["detail"], path
            assert api.headers["www-authenticate"] == 'Bearer realm="tangram"'
            page = client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
            assert page.status_code == 401, path
            assert page.headers["content-type"].startswith("text/html")
            assert '<form method="post" action="/login"' in page.text, path
            assert page.headers["cache-control"] == "no-store"
            assert page.headers["www-authenticate"] == 'Bearer realm="tangram"'
        assert client.post("/channel/token", json={"channel": "system"}).status_code == 401
        assert client.post("/example/").status_code == 401


def test_login_page_remembers_where_the_user_was_going(served: TangramProcess) -> None:
    page = httpx.get(f"{served.url}/docs?x=1", headers={"Accept": "text/html"})
    assert '<input type="hidden" name="next" value="/docs?x=1">' in page.text
    assert httpx.get(f"{served.url}/login").status_code == 200


def test_wrong_key_is_refused_and_right_key_opens_everything(served: TangramProcess) -> None:
    with httpx.Client(base_url=served.url) as client:
        wrong = client.post(
            "/login", data={"key": "guess", "next": "/docs"}, headers=as_client("10.0.0.1")
        )
        assert wrong.status_code == 401
        assert "Wrong key." in wrong.text and "set-cookie" not in wrong.headers
        assert client.get("/manifest.json").status_code == 401

        right = client.post(
            "/login", data={"key": KEY, "next": "/docs"}, headers=as_client("10.0.0.1")
        )
        assert right.status_code == 303 and right.headers["location"] == "/docs"
        cookie = right.headers["set-cookie"]
        assert cookie.startswith(f"tangram_session_{served.http_port}=")
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age=604800"):
            assert attribute in cookie
        for path in PROTECTED[:-1]:
            reply = client.get(path)
            assert reply.status_code == 200, path
            # No shared cache (proxy, CDN) may hand it to someone without a session.
            assert reply.headers["cache-control"] == "private", path
        assert client.get("/no-such-page").status_code == 404
        assert client.get("/example/").json() == {"data": "This is an example plugin response"}
        manifest = client.get("/manifest.json").json()
        assert manifest["access"] == {"logout": "logout"}
        assert manifest["channel"]["token_url"] == "channel/token"

        out = client.post("/logout")
        assert out.status_code == 303 and out.headers["location"] == "/"
        assert client.get("/manifest.json").status_code == 401


def test_forged_or_foreign_cookie_is_refused(served: TangramProcess) -> None:
    with logged_in(served) as client:
        name = f"tangram_session_{served.http_port}"
        cookie = client.cookies[name]
        head, claims, signature = cookie.split(".")
        client.cookies.set(name, f"{head}.{claims}.{signature[::-1]}")
        assert client.get("/manifest.json").status_code == 401
        # Another tangram's cookie (another port, so another name) does not count.
        client.cookies.clear()
        client.cookies.set("tangram_session_1", cookie)
        assert client.get("/manifest.json").status_code == 401


def test_bearer_key_works_for_api_clients(served: TangramProcess) -> None:
    good = {"Authorization": f"Bearer {KEY}"}
    assert httpx.get(f"{served.url}/example/", headers=good).status_code == 200
    assert httpx.get(f"{served.url}/openapi.json", headers=good).status_code == 200
    bad = httpx.get(
        f"{served.url}/example/", headers={"Authorization": "Bearer nope", **as_client("10.0.0.2")}
    )
    assert bad.status_code == 401 and bad.json() == {"detail": "wrong access key"}


def test_wrong_keys_are_throttled_per_client(served: TangramProcess) -> None:
    attacker, other = as_client("10.0.0.66"), as_client("10.0.0.67")
    for _ in range(5):
        reply = httpx.post(f"{served.url}/login", data={"key": "guess"}, headers=attacker)
        assert reply.status_code == 401
    # Just over the limit: refused, even with the right key, and Bearer alike.
    refused = httpx.post(f"{served.url}/login", data={"key": KEY}, headers=attacker)
    assert refused.status_code == 429 and "Too many attempts" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    bearer = httpx.get(
        f"{served.url}/example/", headers={"Authorization": f"Bearer {KEY}", **attacker}
    )
    assert bearer.status_code == 429
    # Someone else is not locked out.
    ok = httpx.post(f"{served.url}/login", data={"key": KEY}, headers=other)
    assert ok.status_code == 303
    assert "wrong key from 10.0.0.66" in served.log()


def test_login_refuses_open_redirects_and_large_forms(served: TangramProcess) -> None:
    targets = ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example")
    for target in targets:
        reply = httpx.post(
            f"{served.url}/login", data={"key": KEY, "next": target}, headers=as_client("10.0.0.3")
        )
        assert reply.status_code == 303 and reply.headers["location"] == "/", target
    form = {"content-type": "application/x-www-form-urlencoded", **as_client("10.0.0.3")}
    key = f"key={KEY.replace(' ', '+')}&pad="
    fits = key + "x" * (MAX_LOGIN_BYTES - len(key))
    assert httpx.post(f"{served.url}/login", content=fits, headers=form).status_code == 303
    big = httpx.post(f"{served.url}/login", content=fits + "x", headers=form)
    assert big.status_code == 413 and "set-cookie" not in big.headers


def test_channel_token_needs_a_session_and_its_token_joins(served: TangramProcess) -> None:
    refused = httpx.post(f"{served.url}/channel/token", json={"channel": "system"})
    assert refused.status_code == 401
    with logged_in(served) as client:
        reply = client.post("/channel/token", json={"channel": "system"})
        assert reply.status_code == 200, reply.text
        token = reply.json()["token"]
        # The gateway's own errors come through unchanged.
        bad = client.post("/channel/token", json={"channel": "a*b"})
        assert bad.status_code == 422 and "not a valid topic" in bad.json()["error"]
        # Bodies are bounded as at the gateway: 64 KiB is forwarded, one byte more is not.
        padded = json.dumps({"channel": "system", "pad": ""}).encode()
        fits = padded[:-2] + b"x" * (MAX_BODY_BYTES - len(padded)) + padded[-2:]
        assert len(fits) == MAX_BODY_BYTES
        assert client.post("/channel/token", content=fits).status_code == 200
        over = client.post("/channel/token", content=fits[:-2] + b'x"}')
        assert over.status_code == 413
    assert join(served.channel_url, "system", token) == {"status": "ok", "response": {}}


def test_gateway_token_needs_a_key(served: TangramProcess) -> None:
    token_url = f"{served.channel_url}/token"
    body = {"channel": "system"}
    assert httpx.post(token_url, json=body).status_code == 401
    # The access key is no credential here: the gateway does not throttle guesses.
    for headers in ({"Authorization": f"Bearer {KEY}"}, {"X-Tangram-Token-Key": KEY}):
        assert httpx.post(token_url, json=body, headers=headers).status_code == 401
    ok = httpx.post(token_url, json=body, headers={"X-Tangram-Token-Key": API_KEY})
    assert ok.status_code == 200


def test_unauthenticated_socket_joins_nothing(served: TangramProcess) -> None:
    for token in (None, "not-a-jwt"):
        reply = join(served.channel_url, "system", token)
        assert reply == {"status": "error", "response": {"reason": "unauthorized"}}


def test_key_from_environment(tmp_path: Path) -> None:
    with start_redis() as redis:
        served = start_tangram(
            f'[core]\nredis_url = "{redis.url}"\nplugins = ["tangram_example"]\n',
            tmp_path,
            env={ACCESS_KEY_ENV: KEY},
        )
        try:
            assert httpx.get(f"{served.url}/example/").status_code == 401
            auth = {"Authorization": f"Bearer {KEY}"}
            assert httpx.get(f"{served.url}/example/", headers=auth).status_code == 200
            # No token_api_key configured: one was drawn, so the gateway's /token is
            # closed, and API clients get join tokens from the HTTP server.
            direct = httpx.post(f"{served.channel_url}/token", json={"channel": "system"})
            assert direct.status_code == 401
            refused = httpx.post(f"{served.url}/channel/token", json={"channel": "system"})
            assert refused.status_code == 401
            token = httpx.post(
                f"{served.url}/channel/token", json={"channel": "system"}, headers=auth
            )
            assert token.status_code == 200, token.text
            assert join(served.channel_url, "system", token.json()["token"])["status"] == "ok"
            assert KEY not in served.log()
        finally:
            served.stop()


def test_token_api_key_alone_keeps_the_web_app_working(tmp_path: Path) -> None:
    """Item 20's report: with only token_api_key, the page could not get tokens."""
    with start_redis() as redis:
        served = start_tangram(
            f'[core]\nredis_url = "{redis.url}"\n[channel]\nport = {{channel_port}}\n'
            f'token_api_key = "{API_KEY}"\n',
            tmp_path,
        )
        try:
            manifest = httpx.get(f"{served.url}/manifest.json").json()
            assert manifest["access"] is None
            assert manifest["channel"]["token_url"] == "channel/token"
            reply = httpx.post(f"{served.url}/channel/token", json={"channel": "system"})
            assert reply.status_code == 200, reply.text
            direct = httpx.post(f"{served.channel_url}/token", json={"channel": "system"})
            assert direct.status_code == 401
        finally:
            served.stop()


def test_open_server_is_unchanged(tangram_server: Callable[..., TangramProcess]) -> None:
    with start_redis() as redis:
        served = tangram_server(f'[core]\nredis_url = "{redis.url}"\n')
        check_open(served)


def check_open(served: TangramProcess) -> None:
    manifest = httpx.get(f"{served.url}/manifest.json").json()
    assert manifest["access"] is None and "token_url" not in manifest["channel"]
    assert httpx.post(f"{served.url}/channel/token", json={"channel": "x"}).status_code != 200
    assert httpx.post(f"{served.channel_url}/token", json={"channel": "x"}).status_code == 200


def in_process_app(
    tmp_path: Path, server: dict[str, Any] | None = None, channel: dict[str, Any] | None = None
) -> Any:
    """The real app (create_app) with a plugin that has a WebSocket route, in process."""
    router = APIRouter()

    @router.websocket("/plugin-ws")
    async def plugin_ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    plugin = tangram.Plugin(routers=[router])
    plugin.name = "ws_plugin"
    raw = {
        "server": server if server is not None else {"access_key": KEY},
        "channel": channel or {},
    }
    config = parse_config(raw, source=tmp_path / "tangram.toml")
    state = tangram.BackendState(
        redis_client=aioredis.Redis(),  # never used by these routes
        http_client=httpx.AsyncClient(),
        config=config,
        plugins={"ws_plugin": plugin},
    )
    return create_app(state)


async def websocket_handshake(app: Any, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The app's first answer to a WebSocket handshake, as an ASGI server sees it."""
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/plugin-ws",
        "raw_path": b"/plugin-ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 2346),
        "subprotocols": [],
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"} if not sent else {"type": "websocket.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]


async def test_plugin_websocket_needs_a_session(tmp_path: Path) -> None:
    app = in_process_app(tmp_path)
    refused = await websocket_handshake(app, [])
    assert refused["type"] == "websocket.close" and refused["code"] == 1008
    accepted = await websocket_handshake(app, [(b"authorization", f"Bearer {KEY}".encode())])
    assert accepted["type"] == "websocket.accept"


async def test_session_cookie_is_secure_over_https(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(in_process_app(tmp_path))
    for base, secure in (("https://tangram.example", True), ("http://tangram.example", False)):
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            reply = await client.post("/login", data={"key": KEY})
            assert reply.status_code == 303
            assert ("Secure" in reply.headers["set-cookie"]) is secure


def test_public_address_without_key_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="tangram.access_web"):
        in_process_app(tmp_path, {"host": "127.0.0.1"})
        assert "without access_key" not in caplog.text
        in_process_app(tmp_path, {"host": "0.0.0.0", "access_key": KEY})
        assert "without access_key" not in caplog.text
        in_process_app(tmp_path, {"host": "0.0.0.0"})
    assert "[server] binds 0.0.0.0 without access_key" in caplog.text


async def test_gateway_trouble_is_502_not_a_lost_session(
    tmp_path: Path, served: TangramProcess
) -> None:
    """A 401 from /channel/token tells the web app to log in again: it must mean that."""
    auth = {"Authorization": f"Bearer {KEY}"}
    body = {"channel": "system"}
    # The gateway refuses the server's key (here: a real gateway with another key).
    wrong_key = {"port": served.channel_port, "token_api_key": "not the gateway's key"}
    # No gateway listening at all.
    nobody = {"port": free_port()}
    for channel, reason in ((wrong_key, "X-Tangram-Token-Key"), (nobody, "did not answer")):
        transport = httpx.ASGITransport(in_process_app(tmp_path, channel=channel))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            reply = await client.post("/channel/token", json=body, headers=auth)
        assert reply.status_code == 502, (channel, reply.text)
        assert reason in reply.json()["error"]
    # The gateway's own refusals of the request reach the page unchanged.
    transport = httpx.ASGITransport(
        in_process_app(tmp_path, channel={"port": served.channel_port, "token_api_key": API_KEY})
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        bad = await client.post("/channel/token", content=b"[1]", headers=auth)
        assert bad.status_code == 400 and "JSON object" in bad.json()["error"]
        ok = await client.post("/channel/token", json=body, headers=auth)
        assert ok.status_code == 200
