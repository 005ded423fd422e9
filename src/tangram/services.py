"""Running plugin services under supervision.

A service that raises is logged with its traceback and restarted with backoff; the others
carry on. A service that returns is done and is not restarted. Plain (sync) functions run
in daemon threads of their own, so a blocking loop can neither stall the event loop nor
keep the process alive at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from .plugin import Plugin, ServiceSpec
from .redis import backoff_delays
from .redis_url import redact_url
from .resp import RECONNECT_DELAYS
from .state import BackendState

__all__ = ["ServiceSupervisor", "wait_for_redis"]

log = logging.getLogger(__name__)

#: A service that ran this long before failing is considered healthy again: its backoff
#: starts over.
HEALTHY_AFTER = 60.0


async def wait_for_redis(client: aioredis.Redis, url: str) -> None:
    """Return once Redis answers; log clearly (once, then every minute) while it does not.

    It retries on the one reconnect policy every Redis client in tangram follows
    (``tangram.resp.RECONNECT_DELAYS``), so services and the gateway notice a returning
    Redis at the same moment."""
    delays = RECONNECT_DELAYS
    attempt, last_report = 0, 0.0
    while True:
        try:
            await client.ping()
            if attempt:
                log.info("Redis at %s is reachable now", redact_url(url))
            return
        except (aioredis.ConnectionError, aioredis.TimeoutError, OSError) as exc:
            now = time.monotonic()
            if attempt == 0 or now - last_report > 60:
                last_report = now
                log.error(
                    "Redis at %s is not reachable (%s); services wait for it and retry. "
                    "Start Redis, fix [core] redis_url, or remove it to use an embedded server",
                    redact_url(url),
                    exc,
                )
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1


@dataclass
class _Running:
    plugin: str
    spec: ServiceSpec
    task: asyncio.Task[None] | None = None
    restarts: int = 0


@dataclass
class ServiceSupervisor:
    """Starts every enabled plugin's services in priority order once Redis is reachable."""

    state: BackendState
    plugins: dict[str, Plugin[Any]]
    running: list[_Running] = field(default_factory=list)
    _starter: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Schedule start-up in the background (the HTTP server does not wait for Redis)."""
        self._starter = asyncio.create_task(self._start(), name="tangram:services")

    async def _start(self) -> None:
        await wait_for_redis(self.state.redis_client, self.state.redis_url)
        specs = [
            _Running(plugin=name, spec=spec)
            for name, plugin in self.plugins.items()
            for spec in plugin.services
        ]
        specs.sort(key=lambda running: running.spec.priority)  # stable: plugin order kept
        for running in specs:
            running.task = asyncio.create_task(
                self._supervise(running), name=f"service:{running.spec.name}"
            )
            self.running.append(running)
            # Let each service reach its first await before the next (lower priority) starts.
            await asyncio.sleep(0)
        if specs:
            log.info("started %d service(s)", len(specs))

    async def _supervise(self, running: _Running) -> None:
        delays = backoff_delays(1.0, 60.0)
        spec = running.spec
        while True:
            started = time.monotonic()
            try:
                if spec.is_async:
                    await spec.func(self.state)  # type: ignore[misc]
                else:
                    await _in_thread(spec, self.state)
                log.info("service %s (plugin %s) finished", spec.name, running.plugin)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                if time.monotonic() - started > HEALTHY_AFTER:
                    running.restarts = 0
                delay = delays[min(running.restarts, len(delays) - 1)]
                running.restarts += 1
                log.exception(
                    "service %s (plugin %s) crashed; restarting in %.0f s (restart #%d)",
                    spec.name,
                    running.plugin,
                    delay,
                    running.restarts,
                )
                await asyncio.sleep(delay)

    async def stop(self, timeout: float = 3.0) -> None:
        tasks = [r.task for r in self.running if r.task is not None]
        if self._starter is not None:
            tasks.append(self._starter)
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                # Not waited for any longer: tangram.shutdown bounds what is left.
                log.warning("%s did not stop within %g s", task.get_name(), timeout)


async def _in_thread(spec: ServiceSpec, state: BackendState) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(exc: BaseException | None) -> None:
        if done.done():
            return
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)

    def target() -> None:
        try:
            spec.func(state)
        except BaseException as exc:
            loop.call_soon_threadsafe(settle, exc)
        else:
            loop.call_soon_threadsafe(settle, None)

    threading.Thread(target=target, name=f"service:{spec.name}", daemon=True).start()
    await done
