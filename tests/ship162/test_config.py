"""``[plugins.tangram_ship162]``: sources are checked with a message naming the fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tangram_ship162.config import Ship162Config
from tangram_ship162.sources import parse_source


def test_sources_are_validated() -> None:
    config = Ship162Config(sources=["tcp://ais.local:5012", "udp://0.0.0.0:10110"])
    assert [parse_source(s).name for s in config.sources] == [
        "tcp://ais.local:5012",
        "udp://0.0.0.0:10110",
    ]
    for bad, why in [
        ("http://x:1", "unknown scheme 'http'"),
        ("tcp://x", "a host and a port are needed"),
        ("udp://:99999", "a host and a port are needed"),
        ("tcp://x:1/path", "a host and a port are needed"),
    ]:
        with pytest.raises(ValidationError, match=why) as info:
            Ship162Config(sources=[bad])
        assert "tcp://HOST:PORT" in str(info.value)
    Ship162Config(sources=[f"udp://127.0.0.1:{10000 + n}" for n in range(64)])
    with pytest.raises(ValidationError, match="at most 64"):
        Ship162Config(sources=[f"udp://127.0.0.1:{10000 + n}" for n in range(65)])
    with pytest.raises(ValidationError, match="extra"):
        Ship162Config.model_validate({"source": ["tcp://x:1"]})
