"""Who may act as whom: server-issued ids, proofs, private topics, admin tokens."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from tangram.channel.phoenix import MAX_TOPICS_PER_SOCKET
from tangram.channel.server import Gateway
from tangram.channel.tokens import PROOF_GRACE_SECS, SECRET_KEY
from tangram.config import load_config
from tangram.errors import ConfigError

from .conftest import ADMIN_KEY, GatewayFactory, Phx, http_base, ws_url

OK = {"status": "ok", "response": {}}
UNAUTHORIZED = {"status": "error", "response": {"reason": "unauthorized"}}


async def _post(gateway: Gateway, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {"X-Tangram-Admin-Key": key} if key is not None else {}
    async with httpx.AsyncClient(base_url=http_base(gateway)) as http:
        return await http.post("/token", json=body, headers=headers)


async def _signed(redis_client: aioredis.Redis, **claims: Any) -> str:
    """A token signed with the gateways' shared secret (what only a gateway can make)."""
    secret = (await redis_client.get(SECRET_KEY)).decode()
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 600, **claims}, secret, algorithm="HS256")


async def test_star_and_admin_tokens_are_off_without_an_admin_key(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = await gateway_factory(admin_key=None)
    for channel in ("*", "admin"):
        for key in (None, "guess"):
            refused = await _post(gateway, {"channel": channel}, key)
            assert refused.status_code == 403, (channel, key, refused.text)
            assert "[channel] admin_key" in refused.json()["error"]
    # Naming an id is an admin power too, so it is off as well without proof.
    assert (await _post(gateway, {"channel": "room", "id": "alice"})).status_code == 403


async def test_admin_key_grants_star_and_admin_tokens(gateway: Gateway) -> None:
    for channel in ("*", "admin"):
        assert (await _post(gateway, {"channel": channel})).status_code == 403
        wrong = await _post(gateway, {"channel": channel}, "not-the-key")
        assert wrong.status_code == 403 and "wrong X-Tangram-Admin-Key" in wrong.json()["error"]
    admin = await _post(gateway, {"channel": "admin", "id": "ops"}, ADMIN_KEY)
    assert admin.status_code == 200 and admin.json()["id"] == "ops"
    async with connect(ws_url(gateway)) as ws:
        phx = Phx(ws)
        assert (await phx.join("admin", admin.json()["token"]))[4] == OK
        # A token for an ordinary topic, whatever its id, does not open admin.
        ordinary = (await _post(gateway, {"channel": "room"})).json()["token"]
        assert (await phx.join("admin", ordinary))[4] == UNAUTHORIZED


async def test_ids_are_drawn_by_the_gateway_and_must_be_proved(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    alice = (await _post(gateway, {"channel": "system"})).json()
    bob = (await _post(gateway, {"channel": "system"})).json()
    assert alice["id"] != bob["id"]
    mine = f"streaming-{alice['id']}"
    forged = {"id": alice["id"], "channel": "x", "exp": int(time.time()) + 600}

    # Naming an id without proof, or with someone else's token: refused.
    for body in (
        {"channel": "room", "id": alice["id"]},
        {"channel": mine, "id": alice["id"]},
        {"channel": mine, "id": alice["id"], "token": bob["token"]},
        {"channel": mine, "token": bob["token"]},
        {"channel": mine},
        {"channel": mine, "token": "not-a-token"},
        {"channel": mine, "token": jwt.encode(forged, "not-the-gateway-secret-" * 2)},
    ):
        refused = await _post(gateway, body)
        assert refused.status_code == 403, (body, refused.text)
    assert "private to client" in (await _post(gateway, {"channel": mine})).json()["error"]

    # With proof (id named or not), the same id, for any topic including its private one.
    for body in (
        {"channel": mine, "id": alice["id"], "token": alice["token"]},
        {"channel": mine, "token": alice["token"]},
        {"channel": "room", "token": alice["token"]},
    ):
        granted = await _post(gateway, body)
        assert granted.status_code == 200, (body, granted.text)
        assert granted.json()["id"] == alice["id"]

    # A token that expired recently still proves the id (a page that slept renews its
    # tokens); one expired for longer than the grace does not.
    now = int(time.time())
    recent = await _signed(redis_client, id=alice["id"], channel="system", exp=now - 3600)
    assert (await _post(gateway, {"channel": mine, "token": recent})).status_code == 200
    stale = await _signed(
        redis_client, id=alice["id"], channel="system", exp=now - PROOF_GRACE_SECS - 60
    )
    assert (await _post(gateway, {"channel": mine, "token": stale})).status_code == 403


async def test_private_topics_are_joinable_only_by_their_owner(
    gateway: Gateway, redis_client: aioredis.Redis
) -> None:
    victim = (await _post(gateway, {"channel": "system"})).json()
    topic = f"streaming-{victim['id']}"
    # Tokens an attacker might hold: a "*" token (admin key) for another id, and a token
    # for the victim's topic but the attacker's id (signed by the gateway's secret).
    star = (await _post(gateway, {"channel": "*", "id": "attacker"}, ADMIN_KEY)).json()["token"]
    crafted = await _signed(redis_client, id="attacker", channel=topic)
    own = (await _post(gateway, {"channel": topic, "token": victim["token"]})).json()["token"]
    async with connect(ws_url(gateway)) as ws:
        phx = Phx(ws)
        assert (await phx.join(topic, star))[4] == UNAUTHORIZED
        assert (await phx.join(topic, crafted))[4] == UNAUTHORIZED
        assert (await phx.join(topic, own))[4] == OK


async def test_one_socket_holds_at_most_max_topics(gateway: Gateway) -> None:
    """A socket cannot stand for thousands of clients: its joins are bounded."""
    star = (await _post(gateway, {"channel": "*", "id": "many"}, ADMIN_KEY)).json()["token"]
    async with connect(ws_url(gateway)) as ws:
        phx = Phx(ws)
        for n in range(MAX_TOPICS_PER_SOCKET):
            assert (await phx.join(f"t{n}", star))[4] == OK, n
        over = await phx.join("one-too-many", star)
        assert over[4]["status"] == "error"
        assert over[4]["response"]["reason"].startswith("too many topics")
        # Re-joining a topic it holds replaces that membership: still allowed.
        assert (await phx.join("t0", star))[4] == OK
        # Leaving one makes room for another.
        await phx.send([None, "y", "t1", "phx_leave", {}])
        await phx.expect("phx_reply", "t1")
        assert (await phx.join("one-too-many", star))[4] == OK


def test_a_short_admin_key_is_a_config_error(tmp_path: Path) -> None:
    """An empty or short key would let a guessed header through."""
    config = tmp_path / "tangram.toml"
    config.write_text('[channel]\nadmin_key = "15-characters.."\n')
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert "admin_key" in str(error.value)
    config.write_text('[channel]\nadmin_key = "16-characters..."\n')
    assert load_config(config).channel.admin_key == "16-characters..."
