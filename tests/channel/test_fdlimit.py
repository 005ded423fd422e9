"""The open-files limit: raised at start where allowed, one clear line when reached."""

from __future__ import annotations

import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tangram.testing import RedisServer, free_port, wait_for

SOFT, HARD = 90, 120  # low limits for this test's gateway process only


def _limit_fds() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT, HARD))


def test_fd_limit_raised_to_hard_and_exhaustion_logged(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    log_path = tmp_path / "channel.log"
    config = tmp_path / "tangram.toml"
    config.write_text("[channel]\n")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "tangram.channel", "--redis-url", redis_server.url,
                "--host", "127.0.0.1", "--port", str(port), "--config", str(config),
            ],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_limit_fds,
        )  # fmt: skip
    sockets: list[socket.socket] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: (
                process.poll() is not None
                or httpx.post(f"{base}/token", json={"channel": "x"}, timeout=1).is_success
            ),
            timeout=30,
        )
        assert process.poll() is None, log_path.read_text()
        with open(f"/proc/{process.pid}/limits") as limits:
            line = next(x for x in limits if x.startswith("Max open files"))
        assert line.split()[3:5] == [str(HARD), str(HARD)]  # soft raised to hard
        text = log_path.read_text()
        assert "the open-files limit (120) is below [channel] max_connections (10000)" in text
        # Hold more sockets than the process has descriptors for.
        for _ in range(HARD + 10):
            s = socket.create_connection(("127.0.0.1", port), timeout=0.5)
            sockets.append(s)

        # Those past what the limit allows are answered 503 (not closed silently),
        # with one log line (throttled), and the process lives on.
        refused = 0
        for s in sockets[-20:]:  # the last ones are surely past the bound
            try:
                refused += s.recv(64).startswith(b"HTTP/1.1 503")
            except TimeoutError:
                pass  # an accepted socket waiting for its upgrade request
        assert refused == 20
        wait_for(lambda: "refusing connections: 56 are open" in log_path.read_text(), timeout=10)
        time.sleep(0.5)
        assert log_path.read_text().count("refusing connections") == 1
        assert process.poll() is None
    finally:
        for s in sockets:
            s.close()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
