"""The example plugin through a real ``tangram serve``: its route and its manifest entry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tangram.testing import RedisServer, TangramProcess

DIST = Path(__file__).resolve().parents[1] / "src" / "tangram_example" / "dist-frontend"


def test_route_and_frontend_are_served(
    tangram_server: Callable[..., TangramProcess], redis_server: RedisServer
) -> None:
    served = tangram_server(
        f"""
        [core]
        redis_url = "{redis_server.url}"
        plugins = ["tangram_example"]

        [channel]
        enabled = false
        """
    )
    answer = httpx.get(f"{served.url}/example/", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"data": "This is an example plugin response"}

    manifest = httpx.get(f"{served.url}/manifest.json", timeout=5).json()
    [entry] = [p for p in manifest["plugins"] if p["name"] == "tangram_example"]
    assert entry["url"] == "/plugins/tangram_example/"
    if (DIST / "plugin.json").is_file():  # built by `npm run build`
        assert entry["main"] == "index.js"
        module = httpx.get(f"{served.url}/plugins/tangram_example/index.js", timeout=5)
        assert module.status_code == 200
        assert "example-widget" in module.text
        # Vue comes from the shell's import map, never bundled into the plugin.
        assert 'from "vue"' in module.text
    else:
        assert "npm run build" in entry["error"]
