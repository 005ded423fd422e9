"""tangram.toml loading: where it comes from, and errors that say what to fix."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from tangram.config import load_config, validate_plugin_config
from tangram.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tangram.toml"
    path.write_text(text)
    return path


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TANGRAM_CONFIG", raising=False)
    config = load_config()
    assert config.source is None
    assert (config.server.host, config.server.port) == ("127.0.0.1", 2346)
    assert (config.channel.host, config.channel.port) == ("127.0.0.1", 2347)
    assert config.core.redis_url is None and config.core.plugins == []


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = write(tmp_path, "[server]\nport = 1111\n")
    other = tmp_path / "other.toml"
    other.write_text("[server]\nport = 2222\n")
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("[server]\nport = 3333\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TANGRAM_CONFIG", raising=False)
    assert load_config().server.port == 1111
    assert load_config().source == Path.cwd() / local.name
    monkeypatch.setenv("TANGRAM_CONFIG", str(other))
    assert load_config().server.port == 2222
    assert load_config(explicit).server.port == 3333


def test_wrong_type_names_file_key_value_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = "abc"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "server.port" in message and "'abc'" in message
    assert "integer" in message


def test_out_of_range_and_bad_redis_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = 70000\n[core]\nredis_url = "localhost:6379"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "server.port = 70000" in message and "less than or equal to 65535" in message
    assert "core.redis_url = 'localhost:6379'" in message and "redis://" in message


def test_invalid_toml_is_reported_with_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml")


def test_missing_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANGRAM_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"\$TANGRAM_CONFIG"):
        load_config()


def test_unknown_keys_are_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "[server]\nprot = 1\n[sever]\nport = 2\n")
    with caplog.at_level(logging.WARNING, logger="tangram.config"):
        config = load_config(path)
    assert config.server.port == 2346
    assert "unknown key 'server.prot'" in caplog.text
    assert "unknown key 'sever'" in caplog.text


def test_log_level_is_case_insensitive(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, '[core]\nlog_level = "debug"\n')).core.log_level == "DEBUG"


@dataclass
class Settings:
    interval: float = 1.0
    name: str = "x"


def test_plugin_table_validation() -> None:
    assert validate_plugin_config(Settings, {"interval": 2}, source="f", table="t").interval == 2.0
    with pytest.raises(ConfigError) as info:
        validate_plugin_config(
            Settings, {"interval": "soon"}, source="tangram.toml", table="plugins.demo"
        )
    assert "tangram.toml: plugins.demo.interval = 'soon'" in str(info.value)


def test_map_style_file_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, '[map]\nstyle = "styles/dark.json"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}: map.style = 'styles/dark.json': no such file" in message
    assert str(tmp_path / "styles" / "dark.json") in message
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "dark.json").write_text("{}")
    assert load_config(path).map_style_path() == tmp_path / "styles" / "dark.json"
    url = write(tmp_path, '[map]\nstyle = "https://tiles.example/style.json"\n')
    assert load_config(url).map_style_path() is None
