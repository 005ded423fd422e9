"""The Redis password of `tangram serve` stays out of command lines and logs (issue 8,
item 11): a real serve against a real password-protected Redis."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from tangram.testing import TangramProcess, start_redis, wait_for

Serve = Callable[..., TangramProcess]


def _cmdlines(pid: int) -> dict[int, bytes]:
    """The raw /proc/<pid>/cmdline of a process and all its descendants."""
    found = {}
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        found[proc.pid] = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    return found


def test_password_is_in_no_command_line_and_no_log_line(tangram_server: Serve) -> None:
    password = f"pw-{secrets.token_hex(12)}"
    with start_redis(password=password) as redis:
        url = redis.url
        assert password in url
        redis.stop()  # down at start-up: the "cannot reach Redis" warnings are logged too
        served = tangram_server(f'[core]\nredis_url = "{url}"\nplugins = ["crashy"]\n')
        wait_for(lambda: "cannot reach Redis" in served.log(), timeout=15)
        redis.start()

        def token_ok() -> bool:
            # The gateway authenticated: its shared secret comes from this Redis.
            answer = httpx.post(f"{served.channel_url}/token", json={"channel": "system"})
            return answer.status_code == 200

        wait_for(token_ok, timeout=20, interval=0.2)
        lines = _cmdlines(served.process.pid)
        assert len(lines) >= 2  # serve and its channel worker
        assert any(b"tangram.channel" in line for line in lines.values())
        for pid, line in lines.items():
            assert password.encode() not in line, f"pid {pid}: {line!r}"
        served.stop()
        log = served.log()
        assert "cannot reach Redis at redis://:***@127.0.0.1" in log
        assert "Redis :***@" not in log and "Redis redis://:***@127.0.0.1" in log  # INFO line
        assert password not in log
