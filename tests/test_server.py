"""The HTTP app in process: manifest entries for plugin frontends, style and placeholder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import APIRouter, Depends

import tangram
from tangram.config import parse_config
from tangram.server import channel_public_url, create_app


def make_state(
    tmp_path: Path, plugins: dict[str, tangram.Plugin], raw: dict
) -> tangram.BackendState:
    config = parse_config(raw, source=tmp_path / "tangram.toml")
    return tangram.BackendState(
        redis_client=aioredis.Redis(),  # never used by these routes
        http_client=httpx.AsyncClient(),
        config=config,
        plugins=plugins,
    )


def frontend_plugin(name: str, folder: Path, meta: object | None) -> tangram.Plugin:
    folder.mkdir()
    if meta is not None:
        (folder / "plugin.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    (folder / "index.js").write_text("export function install(api) {}\n")
    plugin = tangram.Plugin(frontend_path=folder)
    plugin.name = name
    return plugin


async def test_manifest_lists_frontends_in_order_with_errors(tmp_path: Path) -> None:
    plugins = {
        "good": frontend_plugin("good", tmp_path / "good", {"main": "index.js", "style": "s.css"}),
        "nometa": frontend_plugin("nometa", tmp_path / "nometa", None),
        "badmeta": frontend_plugin("badmeta", tmp_path / "badmeta", "{not json"),
        "backend_only": tangram.Plugin(),
    }
    (tmp_path / "style.json").write_text('{"version": 8}')
    state = make_state(
        tmp_path,
        plugins,
        {
            "plugins": {"good": {"api_key": "s3cret", "frontend": {"answer": 42}}},
            "map": {"style": "style.json", "zoom": 3},
        },
    )
    (tmp_path / "style.json").write_text('{"version": 8}')
    app = create_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        manifest = (await client.get("/manifest.json")).json()
        assert manifest["channel"] == {"url": "http://127.0.0.1:2347"}
        assert manifest["map"] == {
            "style": "/map/style.json",
            "center_lat": 48.85,
            "center_lon": 2.35,
            "zoom": 3.0,
        }
        good, nometa, badmeta = manifest["plugins"]
        assert good == {
            "name": "good",
            "url": "/plugins/good/",
            "config": {"answer": 42},
            "main": "index.js",
            "style": "s.css",
        }
        assert "plugin.json not found" in nometa["error"] and "main" not in nometa
        assert "is invalid" in badmeta["error"]
        # Only [plugins.good.frontend] is public; the rest of the table stays server-side.
        assert "s3cret" not in (await client.get("/manifest.json")).text
        assert (await client.get("/plugins/good/index.js")).text.startswith("export function")
        assert (await client.get("/map/style.json")).json() == {"version": 8}


def test_channel_url_derivation(tmp_path: Path) -> None:
    def url(channel: dict) -> str | None:
        return channel_public_url(parse_config({"channel": channel}))

    assert url({"host": "0.0.0.0", "port": 9}) == "http://localhost:9"
    assert url({"public_url": "https://x.org/chan/"}) == "https://x.org/chan"
    assert url({"enabled": False}) is None


#: Module level: routes resolve their (string) annotations in the module's globals.
PROBE: tangram.StateSlot[list[str]] = tangram.StateSlot("probe.items")
probe_router = APIRouter(prefix="/probe")


@probe_router.get("/")
async def probe_items(value: Annotated[list[str], Depends(PROBE.dependency)]) -> list[str]:
    return value


async def test_state_slots_are_per_app_typed_and_503_when_unset(tmp_path: Path) -> None:
    plugin = tangram.Plugin(routers=[probe_router])
    plugin.name = "probe"
    first = make_state(tmp_path, {"probe": plugin}, {})
    second = make_state(tmp_path, {"probe": plugin}, {})

    async def get(state: tangram.BackendState) -> httpx.Response:
        transport = httpx.ASGITransport(create_app(state))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/probe/")

    unset = await get(first)
    assert unset.status_code == 503 and "probe.items is not available" in unset.text
    with pytest.raises(tangram.PluginError, match="probe.items is not set"):
        PROBE.get(first)
    PROBE.set(first, ["a"])
    with PROBE.bound(second, ["b"]):
        assert (await get(first)).json() == ["a"]
        assert (await get(second)).json() == ["b"]
        assert PROBE.get(second) == ["b"]
    assert (await get(second)).status_code == 503
    PROBE.clear(first)
    assert first.slots == {}
