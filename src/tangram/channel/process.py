"""Running the gateway in its own process(es), isolated from plugins.

``tangram serve`` uses :class:`ChannelProcess`; each worker is ``python -m
tangram.channel`` on uvloop. With ``[channel] workers > 1`` the workers share the
port through ``SO_REUSEPORT`` and coordinate through Redis (presence, secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from urllib.parse import urlsplit

from ..config import TangramConfig
from ..errors import ChannelError

__all__ = ["CONFIG_ENV", "PARENT_ENV", "REDIS_URL_ENV", "ChannelProcess", "public_url"]

#: The whole configuration as JSON (kept out of argv: it may hold secrets).
CONFIG_ENV = "TANGRAM_CHANNEL_CONFIG_JSON"
#: The Redis URL (kept out of argv, which every local user can read: it may hold a password).
REDIS_URL_ENV = "TANGRAM_CHANNEL_REDIS_URL"
PARENT_ENV = "TANGRAM_CHANNEL_PARENT_PID"
READY = "TANGRAM-CHANNEL-READY"
FAILED = "TANGRAM-CHANNEL-ERROR"
#: Restart backoff of a worker that died: 1 s doubling to 30 s, reset after a minute up.
RESTART_MIN_SECS = 1.0
RESTART_MAX_SECS = 30.0
STABLE_SECS = 60.0

log = logging.getLogger(__name__)


def public_url(config: TangramConfig) -> str:
    """Where browsers reach the channel: ``[channel] public_url``, else
    ``http://host:port`` with a wildcard bind address shown as ``localhost``."""
    channel = config.channel
    if channel.public_url:
        return channel.public_url.rstrip("/")
    host = channel.host
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{channel.port}"


def _check_port(host: str, port: int) -> None:
    """Fail fast, before any worker starts, when another program holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ChannelError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); {host}:{port} is"
                " already in use or not available; set [channel] port"
            ) from None


def _pick_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class ChannelProcess:
    """The gateway worker processes: ``await start()``, ``await stop()``.

    After start-up every worker is supervised: one that exits (crash, OOM killer,
    ``kill -9``) is logged with its exit code and restarted with backoff (1 s,
    doubling to 30 s; back to 1 s once a worker stayed up for a minute) until
    :meth:`stop`."""

    def __init__(
        self, config: TangramConfig, redis_url: str, *, presence_ttl: float | None = None
    ) -> None:
        self.config = config
        self.redis_url = redis_url
        self.presence_ttl = presence_ttl
        self.processes: list[asyncio.subprocess.Process] = []
        self.port = config.channel.port
        self.restarts = 0
        self._env: dict[str, str] = {}
        self._supervisors: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def url(self) -> str:
        return f"http://{urlsplit(public_url(self.config)).hostname}:{self.port}"

    async def start(self, timeout: float = 30.0) -> None:
        """Start the workers; return once all listen (raises ChannelError otherwise).

        Redis need not be up: workers listen at once and connect to it by themselves."""
        channel = self.config.channel
        config = self.config.model_copy(deep=True)
        if channel.port != 0:
            _check_port(channel.host, channel.port)
        elif channel.workers > 1:
            config.channel.port = _pick_port(channel.host)
        self._stopping = False
        self._env = {
            **os.environ,
            CONFIG_ENV: config.model_dump_json(),
            PARENT_ENV: str(os.getpid()),
            REDIS_URL_ENV: self.redis_url,
        }
        try:
            for _ in range(channel.workers):
                self.processes.append(await self._spawn())
            # Workers start in parallel; each reports its port once it listens.
            ready = [self._wait_ready(proc) for proc in self.processes]
            ports = await asyncio.wait_for(asyncio.gather(*ready), timeout)
            self.port = ports[0]
        except asyncio.TimeoutError:
            await self.stop()
            raise ChannelError(f"the channel gateway did not start within {timeout:g} s") from None
        except BaseException:
            await self.stop()
            raise
        # Replacements must bind the very port the first workers got (port = 0 case).
        config.channel.port = self.port
        self._env[CONFIG_ENV] = config.model_dump_json()
        self._supervisors = [
            asyncio.create_task(self._supervise(slot), name=f"channel-worker-{slot}")
            for slot in range(len(self.processes))
        ]

    async def _spawn(self) -> asyncio.subprocess.Process:
        workers = self.config.channel.workers
        args = ["--reuse-port" if workers > 1 else "--no-reuse-port"]
        if self.presence_ttl is not None:
            args += ["--presence-ttl", str(self.presence_ttl)]
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tangram.channel",
            *args,
            stdout=asyncio.subprocess.PIPE,
            env=self._env,
            # Own session: a terminal's Ctrl+C reaches serve only, which stops the workers
            # in order (they die with serve anyway: PR_SET_PDEATHSIG in __main__).
            start_new_session=True,
        )

    async def _supervise(self, slot: int) -> None:
        loop = asyncio.get_running_loop()
        delay = RESTART_MIN_SECS
        while not self._stopping:
            proc = self.processes[slot]
            started = loop.time()
            code = await proc.wait()
            if self._stopping:
                return
            if loop.time() - started > STABLE_SECS:
                delay = RESTART_MIN_SECS
            log.error(
                "channel gateway worker %d (pid %d) exited with code %s; restarting it in %g s",
                slot,
                proc.pid,
                code,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_MAX_SECS)
            if self._stopping:
                return
            spawning = asyncio.ensure_future(self._spawn())
            try:
                replacement = await asyncio.shield(spawning)
            except asyncio.CancelledError:
                # stop() came while the process was being created: do not leave it behind.
                with contextlib.suppress(Exception):
                    orphan = await spawning
                    orphan.kill()
                    await orphan.wait()
                raise
            except OSError as exc:
                log.error("cannot restart channel gateway worker %d: %s", slot, exc)
                continue  # proc has exited: the next round waits no time, then backs off
            self.processes[slot] = replacement  # before any await: stop() must see it
            try:
                port = await asyncio.wait_for(self._wait_ready(replacement), 30)
            except (ChannelError, asyncio.TimeoutError) as exc:
                log.error("channel gateway worker %d failed to restart: %s", slot, exc)
                with contextlib.suppress(ProcessLookupError):
                    replacement.kill()
                continue
            self.restarts += 1
            log.warning(
                "channel gateway worker %d restarted (pid %d, port %d)", slot, replacement.pid, port
            )

    async def _wait_ready(self, proc: asyncio.subprocess.Process) -> int:
        assert proc.stdout is not None
        while True:
            line = (await proc.stdout.readline()).decode(errors="replace").strip()
            if not line:
                code = await proc.wait()
                raise ChannelError(f"the channel gateway exited with code {code} at start-up")
            if line.startswith(READY):
                return int(line.split()[1])
            if line.startswith(FAILED):
                await proc.wait()
                raise ChannelError(line[len(FAILED) :].strip())

    async def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM every worker, SIGKILL those still alive after ``timeout`` s."""
        self._stopping = True
        supervisors, self._supervisors = self._supervisors, []
        for task in supervisors:
            task.cancel()
        for task in supervisors:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        procs, self.processes = self.processes, []
        for proc in procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
