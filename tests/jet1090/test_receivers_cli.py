"""``publish_decoded``, ``record_path`` and ``tangram jet1090 listen``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import redis
from tangram_jet1090.replay import iter_recording

from tangram.testing import RedisServer, TangramProcess, run_cli, wait_for

from .conftest import FeedServer, receiver_feed, serve_config


def test_publish_decoded_and_record_path(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    feed_server: Callable[..., FeedServer],
    tmp_path: Path,
) -> None:
    receiver = feed_server(receiver_feed("beast", 900, 1000))
    recording = tmp_path / "rec" / "feed.jsonl.gz"
    client = redis.Redis.from_url(redis_server.url)
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe("jet1090")
    served = tangram_server(
        serve_config(
            redis_server.url,
            tmp_path,
            f'sources = ["beast://{receiver.url}"]',
            "reference = [49.01, 2.55]",
            "publish_decoded = true",
            f'record_path = "{recording}"',
            history=False,
        )
    )
    published: list[dict[str, object]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=3.0)
        if message is None and published:
            break  # the receiver has sent everything
        if message and message["type"] == "message":
            published.append(orjson.loads(message["data"]))
    # jet1090's JSON, with the raw frame and the resolved positions
    assert len(published) >= 200
    assert all(m["icao24"] == "393322" and isinstance(m["frame"], str) for m in published)
    assert all(isinstance(m["df"], str) and isinstance(m["timestamp"], float) for m in published)
    assert any("latitude" in m for m in published)

    # the plugin applies them once, through its own jet1090 channel subscription
    def applied() -> bool:
        stats = httpx.get(f"{served.url}/jet1090/stats").json()
        figures = httpx.get(f"{served.url}/jet1090/receivers").json()
        counts = (stats["applied"], figures["published"], figures["receivers"][0]["messages"])
        return counts == (len(published),) * 3

    wait_for(applied, timeout=10)
    assert served.stop() == 0  # flushes the recording
    pubsub.close()
    client.close()

    recorded = list(iter_recording(recording))
    assert len(recorded) == len(published) and all(m["frame"] and m["df"] for m in recorded)
    replayed = run_cli(
        "jet1090", "replay", str(recording), "--speed", "1000", "--redis-url", redis_server.url
    )
    assert replayed.returncode == 0, replayed.stderr
    assert f"published {len(recorded)} messages" in replayed.stdout


def test_listen_prints_decoded_messages_and_a_summary(
    feed_server: Callable[..., FeedServer],
) -> None:
    receiver = feed_server(b"not a frame\n" + receiver_feed("avr", 900, 1000))
    listen = subprocess.Popen(
        [sys.executable, "-m", "tangram", "jet1090", "listen", f"avr://{receiver.url}",
         "--reference", "LFPG"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert listen.stdout is not None and listen.stderr is not None
    lines = [listen.stdout.readline() for _ in range(200)]
    listen.send_signal(signal.SIGINT)  # Ctrl+C
    # read through the same buffered pipe as readline (communicate would skip its buffer)
    out, err = listen.stdout.read(), listen.stderr.read()
    assert listen.wait(timeout=20) == 0, err
    messages = [orjson.loads(line) for line in lines + out.splitlines()]
    assert all(m["icao24"] == "393322" and "frame" in m for m in messages)
    assert any(m.get("callsign") == "AFR34ZG" for m in messages)
    summary = err.strip().splitlines()[-1]
    assert summary.startswith(f"avr://{receiver.url}: {len(messages)} messages in ")
    assert "bad_lines 1" in summary and "Traceback" not in err


def test_listen_errors_are_one_clear_line() -> None:
    result = run_cli("jet1090", "listen", "udp://127.0.0.1:30005")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "beast://HOST:PORT" in result.stderr
    result = run_cli("jet1090", "listen", "beast://127.0.0.1:30005", "--reference", "ZZZZ")
    assert result.returncode == 1 and "not a known ICAO airport code" in result.stderr
