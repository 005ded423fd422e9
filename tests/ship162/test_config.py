"""``[plugins.tangram_ship162]``: sources are checked with a message naming the fix."""

from __future__ import annotations

from pathlib import Path

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


def test_shared_entity_keys_keep_the_plugins_defaults_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tangram_jet1090.config import DEMO_FILE as JET_DEMO
    from tangram_jet1090.config import Jet1090Config
    from tangram_ship162.config import DEMO_FILE

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    ship, jet = Ship162Config(), Jet1090Config()
    assert (ship.history_sample_secs, jet.history_sample_secs) == (10.0, 1.0)
    assert ship.stream_interval_secs == jet.stream_interval_secs == 1.0
    assert ship.history_file(None) == tmp_path / "data/tangram_ship162/history.sqlite"
    assert jet.history_file(None) == tmp_path / "data/tangram_jet1090/history.sqlite"
    assert Ship162Config(replay_file="demo").replay_path(None) == DEMO_FILE
    assert Jet1090Config(replay_file="demo").replay_path(None) == JET_DEMO
    assert Ship162Config(replay_file="a.nmea").replay_path(tmp_path) == tmp_path / "a.nmea"
    with pytest.raises(ValidationError):
        Ship162Config(stream_interval_secs=61)
    with pytest.raises(ValidationError):
        Jet1090Config.model_validate({"history_typo": 1})
