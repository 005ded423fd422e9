"""Replaying NMEA logs: the simulated demo in serve, and ``tangram ship162 replay``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tangram_ship162.replay import ReplayError, paced_lines, shift_tag_time, tag_time

from tangram.testing import RedisServer, TangramProcess

from .conftest import SAMPLE

WAIT = 20.0


async def test_tag_times_are_shifted_to_now_and_plain_logs_are_paced(tmp_path: Path) -> None:
    log = tmp_path / "log.nmea"
    log.write_bytes(
        b"\\c:1700000000*5F\\!AIVDM,1,1,,A,13HOI:0P1sP0MC0LD0h:THL1P000,0*47\r\n"
        b"\r\n"
        b"\\s:rx1,c:1700000001000*7D\\!AIVDM,1,1,,A,13HOI:0P1sP0MC0LD0h:THL1P000,0*47\r\n"
    )
    start = time.time()
    lines = [line async for line in paced_lines(log, speed=2.0)]
    assert len(lines) == 2
    times = [tag_time(line) for line in lines]
    assert times[0] is not None and times[1] is not None
    assert abs(times[0] - start) < 2 and times[1] - times[0] == pytest.approx(0.5, abs=1.0)
    assert lines[1].startswith(b"\\s:rx1,c:") and lines[1].endswith(b"0*47")
    # the rewritten tag block has a valid checksum
    assert shift_tag_time(b"\\c:1*00\\X", 1700000000) == b"\\c:1700000000*5F\\X"
    plain = [line async for line in paced_lines(SAMPLE, speed=100.0, lines_per_sec=100)]
    assert len(plain) == 898 - 0 and all(tag_time(line) is None for line in plain)
    with pytest.raises(ReplayError, match="not found"):
        [line async for line in paced_lines(tmp_path / "missing.nmea")]


async def test_serve_plays_the_simulated_demo_and_the_cli_publishes_a_log(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess], tmp_path: Path
) -> None:
    served = tangram_server(
        f"""
[core]
redis_url = "{redis_server.url}"
plugins = ["tangram_ship162"]

[plugins.tangram_ship162]
replay_file = "demo"
replay_speed = 10
history_path = "{tmp_path / "ships.sqlite"}"
"""
    )
    async with httpx.AsyncClient(base_url=served.url, timeout=WAIT) as http:
        deadline = time.monotonic() + WAIT
        while True:
            body = (await http.get("/ship162/ships")).json()
            named = [s for s in body["ship"] if s["shipname"] and s["latitude"] is not None]
            if len(named) >= 8:
                break
            assert time.monotonic() < deadline, body
            await asyncio.sleep(0.3)
        stats = (await http.get("/ship162/stats")).json()
        assert stats["simulated"] is True and stats["replay"]["timestamped"] is True
        assert stats["nmea"]["incomplete"] == stats["nmea"]["bad_checksum"] == 0
        # positions shifted to now: nothing expired, the history has a track
        assert all(time.time() - s["lastseen"] < 60 for s in named)
        assert "SIMULATED" in served.log()

        # the CLI decodes a log without tag blocks and publishes it on the channel
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "tangram",
                "ship162",
                "replay",
                str(SAMPLE),
                "--redis-url",
                redis_server.url,
                "--lines-per-sec",
                "5000",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert cli.returncode == 0, cli.stderr
        assert "replayed 898 lines in 1 round(s)" in cli.stdout
        deadline = time.monotonic() + WAIT
        while (stats := (await http.get("/ship162/stats")).json())["json"]["received"] < 764:
            assert time.monotonic() < deadline, stats
            await asyncio.sleep(0.3)
        assert stats["json"]["malformed"] == 0 and stats["ships"] > 100

    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "tangram",
            "ship162",
            "replay",
            str(tmp_path / "nope.nmea"),
            "--udp",
            "127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert missing.returncode == 2 and "nope.nmea: NMEA log not found" in missing.stderr
    assert "Traceback" not in missing.stderr
