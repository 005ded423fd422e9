"""The plugin inside a real ``tangram serve``, fed by ``tangram jet1090 replay``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis

from tangram.testing import RedisServer, TangramProcess, wait_for

from .conftest import serve_config, wait_feed_subscribed


def test_replay_cli_feeds_serve_and_history_survives_restart(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    config = serve_config(redis_server.url, tmp_path)
    served = tangram_server(config)
    wait_feed_subscribed(redis_server.url)
    wait_for(lambda: httpx.get(f"{served.url}/jet1090/stats").status_code == 200, timeout=10)
    recording = afr_slice(900, 1200)

    replayer = subprocess.run(
        [sys.executable, "-m", "tangram", "jet1090", "replay", str(recording), "--speed", "100",
         "--config", str(served.config_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert replayer.returncode == 0, replayer.stderr
    assert "published" in replayer.stdout

    live = httpx.get(f"{served.url}/jet1090/aircraft").json()
    assert live["count"] == 1
    (aircraft,) = live["aircraft"]
    assert aircraft["icao24"] == "393322" and aircraft["callsign"] == "AFR34ZG"
    stats = httpx.get(f"{served.url}/jet1090/stats").json()
    assert stats["applied"] == stats["received"] > 1000 and stats["malformed"] == 0

    track = httpx.get(f"{served.url}/jet1090/data/393322").json()
    assert len(track) > 50
    assert [p["timestamp"] for p in track] == sorted(p["timestamp"] for p in track)
    assert all(48.5 < p["latitude"] < 49.5 for p in track)
    bad = httpx.get(f"{served.url}/jet1090/data/not-an-icao")
    assert bad.status_code == 422 and "6 hexadecimal digits" in bad.text

    assert served.stop() == 0
    again = tangram_server(config)
    after = httpx.get(f"{again.url}/jet1090/data/393322").json()
    assert after == track


def test_replay_cli_reads_the_table_as_serve_does(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    # The distribution's spelling, a frontend sub-table and a non-default channel: serve
    # and `tangram jet1090 replay` must both read the same settings out of it.
    config = f"""
[core]
redis_url = "{redis_server.url}"
plugins = ["tangram_jet1090"]

[channel]
enabled = false
port = {{channel_port}}

[plugins.tangram-jet1090]
jet1090_channel = "custom-feed"
history_enabled = false
aircraft_db_cache = "{tmp_path / "none.sqb"}"

[plugins.tangram-jet1090.frontend]
trail = 42
"""
    served = tangram_server(config)
    wait_feed_subscribed(redis_server.url, "custom-feed")
    manifest = httpx.get(f"{served.url}/manifest.json").json()
    (entry,) = [p for p in manifest["plugins"] if p["name"] == "tangram_jet1090"]
    assert entry["config"] == {"trail": 42}
    replayer = subprocess.run(
        [sys.executable, "-m", "tangram", "jet1090", "replay", str(afr_slice(900, 1000)),
         "--speed", "100", "--config", str(served.config_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert replayer.returncode == 0, replayer.stderr
    wait_for(lambda: httpx.get(f"{served.url}/jet1090/aircraft").json()["count"] == 1)
    assert served.stop() == 0

    # The exact spelling with a frontend table was refused as an unknown key.
    exact = tmp_path / "exact.toml"
    exact.write_text("[plugins.tangram_jet1090]\n[plugins.tangram_jet1090.frontend]\nx = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "tangram", "jet1090", "replay", str(tmp_path / "nope.jsonl"),
         "--config", str(exact), "--redis-url", "redis://127.0.0.1:1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1 and "recording not found" in result.stderr, result.stderr


def test_trajectory_refuses_an_icao24_with_a_trailing_newline(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess], tmp_path: Path
) -> None:
    served = tangram_server(serve_config(redis_server.url, tmp_path))
    # `^...$` with re.match accepted "393322\n": `$` also matches before a final newline.
    for raw in ("393322%0A", "393322%0a", "%0A393322", "393322%0D%0A"):
        refused = httpx.get(f"{served.url}/jet1090/data/{raw}")
        assert refused.status_code == 422, (raw, refused.text)
        assert "6 hexadecimal digits" in refused.text
    assert httpx.get(f"{served.url}/jet1090/data/393322").status_code == 200


def test_serve_replays_a_configured_file_and_streams_it(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    recording = afr_slice(0, 600)  # taxi at CDG
    config = serve_config(
        redis_server.url,
        tmp_path,
        f'replay_file = "{recording}"',
        "replay_speed = 20",
        "replay_loop = true",
    )
    served = tangram_server(config)
    wait_feed_subscribed(redis_server.url)
    client = redis.Redis.from_url(redis_server.url)
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe("to:streaming-tab1:new-jet1090-data")
    box = b'{"northEastLat":49.1,"northEastLng":2.7,"southWestLat":48.9,"southWestLng":2.4}'
    # as the gateway passes on a push on the browser's private topic
    client.publish("from:streaming-tab1:bound-box", box)
    frames: list[Any] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(f["aircraft"] for f in frames):
        message = pubsub.get_message(timeout=1.0)
        if message and message["type"] == "message":
            frames.append(orjson.loads(message["data"]))
    assert any(a["icao24"] == "393322" for f in frames for a in f["aircraft"]), served.log()
    # the browser closes its tab: the gateway reports the leave, frames stop
    leave = b'{"id":"tab1","topic":"streaming-tab1","phx_ref":"r1","reason":"disconnect"}'
    client.publish("from:streaming-tab1:phx_leave", leave)
    wait_for(lambda: httpx.get(f"{served.url}/jet1090/stats").json()["streaming_clients"] == [])
    pubsub.close()
    client.close()


def test_replay_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tangram", "jet1090", "replay", *args],
            capture_output=True, text=True, timeout=30, cwd=tmp_path,
        )  # fmt: skip

    embedded = tmp_path / "embedded.toml"
    embedded.write_text('[core]\nredis_url = "embedded"\n')
    result = run("demo", "--config", str(embedded))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--redis-url" in result.stderr and "embedded" in result.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text("[plugins.tangram_jet1090]\nreplay_speed = 0\n")
    result = run("demo", "--config", str(bad), "--redis-url", "redis://127.0.0.1:1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "plugins.tangram_jet1090.replay_speed = 0" in result.stderr

    result = run(str(tmp_path / "nope.jsonl"), "--redis-url", "redis://127.0.0.1:1")
    assert result.returncode == 1 and "recording not found" in result.stderr
