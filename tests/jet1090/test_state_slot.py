"""The plugin keeps its runtime in its app's state slot, not in a module global."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from tangram_jet1090 import RUNTIME, plugin

import tangram
from tangram.config import parse_config
from tangram.server import create_app
from tangram.testing import RedisServer


def backend_state(redis_url: str, tmp_path: Path) -> tangram.BackendState:
    config = parse_config({"core": {"redis_url": redis_url}}, source=tmp_path / "tangram.toml")
    return tangram.BackendState(
        aioredis.Redis.from_url(redis_url), httpx.AsyncClient(), config, {plugin.name: plugin}
    )


async def stats(state: tangram.BackendState) -> httpx.Response:
    transport = httpx.ASGITransport(create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/jet1090/stats")


async def test_two_apps_in_one_process_each_see_their_own_runtime(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plugin is not loaded through tangram here: its default paths must be ours.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = backend_state(redis_server.url, tmp_path)
    second = backend_state(redis_server.url, tmp_path)
    assert plugin.lifespan is not None
    async with plugin.lifespan(first), plugin.lifespan(second):
        RUNTIME.get(first).stats.received = 1
        RUNTIME.get(second).stats.received = 2
        assert (await stats(first)).json()["received"] == 1
        assert (await stats(second)).json()["received"] == 2
    # Once the lifespan is over, the routes say so instead of using a stale runtime.
    after = await stats(first)
    assert after.status_code == 503 and "tangram_jet1090.runtime" in after.text
    for state in (first, second):
        await state.redis_client.aclose()
        await state.http_client.aclose()
