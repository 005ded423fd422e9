"""``tangram serve``: start everything in order and stop it in reverse.

Order: plugins, Redis (configured, local, or embedded), the channel gateway (its own
process), the HTTP server; then, once Redis answers, the plugins' services. SIGINT and
SIGTERM stop it all within a few seconds, every wait bounded (LIFESPAN_STOP_SECS here,
the supervisor's and the channel's own limits, then :mod:`tangram.shutdown` for what
plugins leave behind); a second signal exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from . import __version__
from .config import TangramConfig
from .discovery import load_plugins
from .embedded_redis import DEFAULT_LOCAL, EmbeddedRedis, redis_reply
from .errors import TangramError
from .http_limits import bounded_h11_protocol
from .plugin import Plugin
from .redis import from_url
from .redis_url import redact_url
from .server import channel_public_url, create_app
from .services import ServiceSupervisor
from .shutdown import bounded
from .state import BackendState

__all__ = ["Started", "bind_socket", "resolve_redis", "serve", "started"]

log = logging.getLogger(__name__)

#: How long a plugin's lifespan may take to exit before serve stops without it.
LIFESPAN_STOP_SECS = 3.0


async def resolve_redis(
    config: TangramConfig, local: tuple[str, int] = DEFAULT_LOCAL
) -> tuple[str, EmbeddedRedis | None]:
    """The Redis URL to use, and the embedded server if one had to be started (``local``
    is where an unconfigured tangram looks for a running Redis first)."""
    url = config.core.redis_url
    if url is not None and url != "embedded":
        return url, None
    if url is None:
        reply = await asyncio.to_thread(redis_reply, *local)
        if reply is not None and reply.startswith(b"+PONG"):
            log.info("using the Redis running on %s:%d", *local)
            return f"redis://{local[0]}:{local[1]}/0", None
        if reply is not None:
            log.warning(
                "the Redis on %s:%d needs a password, so an embedded Redis is started "
                "instead; to use that one, set [core] redis_url = "
                '"redis://:PASSWORD@%s:%d/0"',
                *local,
                *local,
            )
    embedded = EmbeddedRedis()
    return await embedded.start(), embedded


def bind_socket(host: str, port: int, what: str, source: str) -> socket.socket:
    """Bind now so that a busy port is a one-line error, not a traceback from uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be bound ({exc.strerror})"
        )
        raise TangramError(
            f"{source}: [{what}] {host}:{port} {reason}; stop the other program or set "
            f"[{what}] port to a free port"
        ) from None
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    # We install our own handlers so that shutdown continues with our clean-up code.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Started:
    """What :func:`started` hands over: serve it with ``server.serve(sockets=[sock])``."""

    state: BackendState
    server: uvicorn.Server
    sock: socket.socket
    channel_url: str | None


@asynccontextmanager
async def started(config: TangramConfig) -> AsyncIterator[Started]:
    """Everything ``tangram serve`` runs, ready to serve; stopped in reverse on exit.

    Shared by :func:`serve` (signals, until Ctrl+C) and :class:`tangram.Runtime` (a
    background thread). ``config.core.redis_url`` becomes the effective URL."""
    loaded = load_plugins(config)
    sock = bind_socket(config.server.host, config.server.port, "server", config.source_name)
    async with AsyncExitStack() as stack:
        stack.callback(sock.close)
        if config.channel.enabled and config.channel.port != 0:
            # Before anything starts: browsers must not be sent to whatever listens there.
            bind_socket(
                config.channel.host, config.channel.port, "channel", config.source_name
            ).close()
        redis_url, embedded = await resolve_redis(config)
        if embedded is not None:
            stack.push_async_callback(embedded.stop)
        config.core.redis_url = redis_url  # the effective URL, for plugins and the channel

        redis_client = from_url(redis_url, health_check_interval=30)
        stack.push_async_callback(redis_client.aclose)
        http_client = httpx.AsyncClient(timeout=30)
        stack.push_async_callback(http_client.aclose)
        state = BackendState(redis_client, http_client, config, loaded.plugins)

        channel_url = await _start_channel(config, redis_url, stack)
        app = create_app(state, lambda: _lifespan(state, loaded.plugins))
        limits = config.server
        server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                lifespan="on",
                timeout_graceful_shutdown=3,
                # h11 with bounded request heads, never httptools (no size limit).
                http=bounded_h11_protocol(limits.max_header_bytes, limits.header_timeout_secs),
                h11_max_incomplete_event_size=limits.max_header_bytes,
            )
        )
        names = ", ".join(loaded.plugins) or "none"
        log.info(
            "tangram %s serving http://%s:%d (API docs at /docs); channel %s; Redis %s; "
            "plugins: %s",
            __version__,
            config.server.host,
            config.server.port,
            channel_url or "disabled",
            redact_url(redis_url),
            names,
        )
        yield Started(state, server, sock, channel_url)


async def serve(config: TangramConfig) -> None:
    """Run tangram until SIGINT/SIGTERM."""
    async with started(config) as running:
        _install_signal_handlers(running.server)
        await running.server.serve(sockets=[running.sock])
        log.info("shutting down")


async def _start_channel(
    config: TangramConfig, redis_url: str, stack: AsyncExitStack
) -> str | None:
    if not config.channel.enabled:
        return None
    from .channel import ChannelProcess

    channel = ChannelProcess(config, redis_url)
    try:
        await channel.start()
    except TangramError as exc:
        # Serving a page whose live updates point nowhere (or at another program) would
        # only hide the problem.
        raise TangramError(
            f"{config.source_name}: the channel gateway did not start: {exc}; fix that or "
            "set [channel] enabled = false"
        ) from None
    stack.push_async_callback(channel.stop)
    # The port actually bound ([channel] port = 0 picks one), for the manifest and plugins,
    # as config.core.redis_url is the Redis actually used.
    config.channel.port = channel.port
    return channel_public_url(config)


@asynccontextmanager
async def _lifespan(state: BackendState, plugins: dict[str, Plugin[Any]]) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        healthy: dict[str, Plugin[Any]] = {}
        for name, plugin in plugins.items():
            if plugin.lifespan is not None:
                try:
                    context = plugin.lifespan(state)
                    await context.__aenter__()
                except Exception:
                    log.exception(
                        "plugin %s: lifespan failed at start-up; its services are not started", name
                    )
                    continue
                stack.push_async_exit(_bounded_exit(name, context))
            healthy[name] = plugin
        supervisor = ServiceSupervisor(state, healthy)
        supervisor.start()
        # What exists now (modules, the app, plugin state) lives as long as the server:
        # out of the collector's way, so that each full collection does not walk it
        # again (measured: a third of a receiver's decoding cost went to such walks).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await supervisor.stop()


def _bounded_exit(
    name: str, context: AbstractAsyncContextManager[Any]
) -> Callable[..., Awaitable[bool]]:
    """Exit a plugin's lifespan within LIFESPAN_STOP_SECS; its errors are logged, so that
    the other plugins' clean-up still runs."""

    async def exit_(*exc_info: Any) -> bool:
        try:
            await bounded(
                context.__aexit__(*exc_info), LIFESPAN_STOP_SECS, f"plugin {name}: lifespan exit"
            )
        except Exception:
            log.exception("plugin %s: lifespan failed at shutdown", name)
        return False

    return exit_


def _install_signal_handlers(server: uvicorn.Server) -> None:
    loop = asyncio.get_running_loop()
    first: list[float] = []

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if not first:
            first.append(loop.time())
            log.info("received %s, stopping", name)
            server.should_exit = True
        elif loop.time() - first[0] > 1.0:
            # A user pressing Ctrl+C again. Duplicates within a second are ignored: tools
            # such as `timeout` signal both the process and its group.
            log.warning("second %s: exiting now", name)
            os._exit(130)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
