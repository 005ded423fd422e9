"""``[core] theme``: validated in the configuration, passed to browsers in the manifest."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tangram.config import load_config
from tangram.errors import ConfigError
from tangram.server import create_app

from .test_server import make_state


def test_theme_defaults_to_auto_and_rejects_other_values(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text("[core]\n")
    assert load_config(path).core.theme == "auto"
    path.write_text('[core]\ntheme = "blue"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "core.theme" in message and "'blue'" in message
    assert "'auto'" in message and "'light'" in message and "'dark'" in message


@pytest.mark.parametrize("theme", ["auto", "light", "dark"])
async def test_manifest_carries_the_theme(tmp_path: Path, theme: str) -> None:
    app = create_app(make_state(tmp_path, {}, {"core": {"theme": theme}}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        assert (await client.get("/manifest.json")).json()["theme"] == theme
