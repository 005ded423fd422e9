"""Test helpers for tangram and for plugin authors (a pytest plugin, loaded automatically).

Fixtures:

- ``redis_server``: a private ``redis-server`` (or valkey) on a free loopback port, per
  test; ``.url``, ``.restart()``, ``.stop()``.
- ``tangram_server``: a factory starting a real ``tangram serve`` process on free ports
  with the given ``tangram.toml`` text; stopped (SIGINT) after the test.

Nothing here touches the Redis a developer may run on 127.0.0.1:6379.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "RedisServer",
    "TangramProcess",
    "free_port",
    "redis_server",
    "run_cli",
    "start_redis",
    "tangram_server",
    "wait_for",
    "wait_for_subscribers",
]


#: Debian's Chromium (``apt-get install chromium``; scripts/install-browser), for
#: Playwright's ``executable_path``: browser tests never download a browser.
CHROMIUM = "/usr/bin/chromium"
#: Flags for headless runs as root on a machine without Internet access (background
#: networking would only produce refused connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(
    predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05
) -> None:
    """Poll ``predicate`` until it returns a truthy value, else fail the test.

    Other exceptions (connection refused while a server starts...) count as "not yet";
    an ``AssertionError`` is a verdict (the server process died, say) and fails at once,
    so that a crash does not cost the whole timeout."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except AssertionError:
            raise
        except Exception as exc:
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last error: {last_exc!r})")


def wait_for_subscribers(
    redis_url: str, *channels: str, patterns: int = 0, timeout: float = 15.0
) -> None:
    """Wait until every one of ``channels`` has a subscriber and Redis holds at least
    ``patterns`` pattern subscriptions. Pub/sub keeps nothing, and a server that answers
    HTTP may not have confirmed its subscriptions yet: a test that publishes to a
    plugin right after start-up waits for this first, or its message may be lost."""
    import redis  # only for the tests that ask

    client = redis.Redis.from_url(redis_url)

    def subscribed() -> bool:
        counts = dict(client.pubsub_numsub(*channels)) if channels else {}
        return all(counts.get(c.encode(), 0) >= 1 for c in channels) and (
            patterns == 0 or int(client.pubsub_numpat()) >= patterns
        )

    try:
        wait_for(subscribed, timeout)
    finally:
        client.close()


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``tangram ARGS`` in a subprocess (wide terminal, captured output)."""
    return subprocess.run(
        [sys.executable, "-m", "tangram", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


def _redis_binary() -> str:
    for name in ("redis-server", "valkey-server"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("no redis-server or valkey-server on PATH; install redis-server")


@dataclass
class RedisServer:
    """A throw-away Redis server owned by a test."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    binary: str = field(default_factory=_redis_binary)
    #: ``requirepass``: clients (and ``url``) must authenticate.
    password: str | None = None
    #: More ``redis-server`` options, e.g. ``["--unixsocket", path]`` or TLS ones.
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password is not None else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--loglevel",
                "warning",
                *(["--requirepass", self.password] if self.password is not None else []),
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, downtime: float = 0.0) -> None:
        """Stop the server (clients see their connections drop) and start it again."""
        self.stop()
        time.sleep(downtime)
        self.start()


@contextlib.contextmanager
def start_redis(
    password: str | None = None, args: list[str] | None = None
) -> Iterator[RedisServer]:
    """Context manager form of the ``redis_server`` fixture (``password``, ``args``: see
    :class:`RedisServer`)."""
    with tempfile.TemporaryDirectory(prefix="tangram-test-redis-") as tmp:
        server = RedisServer(
            port=free_port(), workdir=Path(tmp), password=password, args=args or []
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private Redis server for one test."""
    with start_redis() as server:
        yield server


@dataclass
class TangramProcess:
    """A running ``tangram serve``: base URLs, its log, and how to stop it."""

    process: subprocess.Popen[str]
    config_path: Path
    http_port: int
    channel_port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def channel_url(self) -> str:
        return f"http://127.0.0.1:{self.channel_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ctrl_c(self) -> None:
        """SIGINT to the whole process group, as a terminal's Ctrl+C does (serve runs in a
        session of its own, so this reaches serve and whatever shares its group)."""
        os.killpg(self.process.pid, signal.SIGINT)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGINT (as Ctrl+C does), then wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"tangram serve did not stop within {timeout} s after SIGINT\n{self.log()}"
                ) from None
        return self.process.returncode


def start_tangram(
    config: str,
    tmp_path: Path,
    *,
    wait: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
    python: str = sys.executable,
) -> TangramProcess:
    """Start ``tangram serve`` with ``config`` (TOML text). ``{http_port}`` and
    ``{channel_port}`` in the text are replaced by free ports; ``[server]`` and
    ``[channel]`` ports are appended when the text does not set them. ``python`` is the
    interpreter whose tangram runs (another virtual environment's, for instance)."""
    http_port, channel_port = free_port(), free_port()
    text = textwrap.dedent(config).replace("{http_port}", str(http_port))
    text = text.replace("{channel_port}", str(channel_port))
    if "[server]" not in text:
        text += f"\n[server]\nport = {http_port}\n"
    if "[channel]" not in text:
        text += f"\n[channel]\nport = {channel_port}\n"
    config_path = tmp_path / "tangram.toml"
    config_path.write_text(text)
    log_path = tmp_path / "tangram-serve.log"
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [python, "-m", "tangram", "serve", "--config", str(config_path)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
        start_new_session=True,  # a process group of its own, like a shell job
    )
    log_file.close()
    served = TangramProcess(process, config_path, http_port, channel_port, log_path)
    if wait:

        def ready() -> bool:
            code = process.poll()
            if code is not None:
                raise AssertionError(
                    f"tangram serve exited early with code {code}:\n{served.log()}"
                )
            # 401: up, behind [server] access_key
            return httpx.get(f"{served.url}/manifest.json", timeout=1).status_code in (200, 401)

        try:
            wait_for(ready, timeout=timeout, interval=0.1)
        except AssertionError as exc:
            served.stop()
            raise AssertionError(f"tangram serve did not become ready: {exc}") from None
    return served


@pytest.fixture
def tangram_server(tmp_path: Path) -> Iterator[Callable[..., TangramProcess]]:
    """Factory: ``tangram_server(config_toml, wait=True, env=None) -> TangramProcess``."""
    started: list[TangramProcess] = []

    def factory(config: str = "", **kwargs: object) -> TangramProcess:
        sub = tmp_path / f"serve{len(started)}"
        sub.mkdir()
        served = start_tangram(config, sub, **kwargs)  # type: ignore[arg-type]
        started.append(served)
        return served

    yield factory
    for served in started:
        served.stop()
