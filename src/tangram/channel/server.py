"""The gateway of one process: listening socket, Redis links, and the parts it wires.

:class:`Gateway` owns the lifecycle (listen, Redis links, stop) and hands each
concern to its own module: the signing secret (:mod:`.secret`), joins and leaves
(:mod:`.joins`), periodic work (:mod:`.housekeeping`), the events it publishes
(:mod:`.events`) and presence (:mod:`.presence`). Connections see it only through
:class:`~tangram.channel.connection.Host`.

It can run inside any asyncio loop (tests run it in-process); production runs it in
its own process (:mod:`tangram.channel.process`) on uvloop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import secrets
import socket
from collections.abc import Coroutine
from typing import Any

from ..config import ChannelConfig, TangramConfig
from ..errors import ChannelError
from ..resp import CommandClient, RedisDown
from .actions import Join, Membership
from .connection import CLOSE_SHUTDOWN, Connection
from .events import Events
from .fdlimit import handle_fd_exhaustion, raise_fd_limit
from .housekeeping import Housekeeping
from .http import HttpResponse, OriginPolicy, handle_http
from .hub import Hub
from .joins import Joins
from .limits import InboundBudget, LogThrottle
from .phoenix import Session
from .presence import Presence
from .secret import SigningSecret
from .tokens import weak_secret
from .websocket import WebSocketSide

__all__ = ["PRESENCE_TTL_SECS", "Gateway"]

log = logging.getLogger(__name__)

#: Liveness TTL of a gateway process's presence entries: long enough that a busy or
#: briefly paused process is not reaped (and a reaped one restores itself anyway).
PRESENCE_TTL_SECS = 10.0


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


class Gateway:
    """WebSocket <-> Redis gateway for one process."""

    def __init__(
        self,
        config: TangramConfig,
        redis_url: str,
        *,
        sock: socket.socket | None = None,
        reuse_port: bool = False,
        redis_timeout: float = 2.0,
        presence_ttl: float = PRESENCE_TTL_SECS,
    ) -> None:
        self.tangram_config = config
        self.config: ChannelConfig = config.channel
        self.redis_url = redis_url
        self.instance = secrets.token_hex(6)
        self.origins = OriginPolicy(config)
        self.stats: collections.Counter[str] = collections.Counter()
        self.connections: set[Connection] = set()
        self.commands = CommandClient(redis_url)
        self._reply_dirty: list[WebSocketSide] = []  # push acks queued in this reply batch
        self.commands.batch_listeners.append(self._flush_replies)
        self.hub = Hub(redis_url, self.stats)
        self.presence_ttl = presence_ttl
        self.presence = Presence(self.commands, self.instance, presence_ttl)
        self.events = Events(self.commands, self.stats)
        self.secret = SigningSecret(self.config, self.commands, self.spawn)
        self.joins = Joins(self.hub, self.presence, self.events, self.spawn)
        self.inbound = InboundBudget(self.config.max_pending_bytes)
        self.throttle = LogThrottle(log)
        self.housekeeping = Housekeeping(
            self.config,
            self.connections,
            self.presence,
            self.events,
            self.stats,
            presence_ttl,
            self.throttle,
        )
        self.slow_grace_secs = 2.0
        self.port = self.config.port
        self._sock = sock
        self._reuse_port = reuse_port
        self._redis_timeout = redis_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refs = itertools.count(1)

    @property
    def join_timeout_secs(self) -> float:
        """How long a join waits for Redis to confirm the topic's subscription."""
        return self.joins.timeout_secs

    @join_timeout_secs.setter
    def join_timeout_secs(self, value: float) -> None:
        self.joins.timeout_secs = value

    def new_phx_ref(self) -> str:
        return f"{self.instance}.{next(self._refs)}"

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("gateway task failed", exc_info=task.exception())

    # -- what connections need (connection.Host) ----------------------------------------

    def new_session(self, user_token: str | None) -> Session:
        return Session(self.secret.check_token, self.new_phx_ref, user_token)

    def answer_http(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> HttpResponse:
        return handle_http(
            method, path, headers, body, policy=self.origins, issuer=self.secret.issuer,
            api_key=self.config.token_api_key, admin_key=self.config.admin_key,
            stats={
                **self.stats,
                "open_connections": len(self.connections),
                "pending_bytes": self.inbound.used,
            },
        )  # fmt: skip

    def flush_later(self, conn: WebSocketSide) -> None:
        """Flush ``conn``'s queued frames when the current Redis reply batch ends."""
        self._reply_dirty.append(conn)

    def _flush_replies(self) -> None:
        dirty, self._reply_dirty = self._reply_dirty, []
        for conn in dirty:
            conn.flush()

    async def join(self, conn: WebSocketSide, action: Join) -> None:
        await self.joins.join(conn, action)

    def leave(self, conn: WebSocketSide, m: Membership, reason: str) -> None:
        self.joins.leave(conn, m, reason)

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, then wait (about ``redis_timeout`` s per step) for Redis. Redis down is
        no error: the links retry with backoff and everything resumes once it is up
        (until then ``/token`` answers 503 and joins ``unavailable``)."""
        cfg = self.config
        self.commands.listeners.append(self._redis_back)
        self.commands.start()
        self.hub.start()
        self._warn_if_exposed()
        loop = asyncio.get_running_loop()
        fd_limit, allowed = raise_fd_limit(cfg.max_connections)
        if allowed < cfg.max_connections:  # past the fd limit: a 503, not a silent close
            self.config = cfg = cfg.model_copy(update={"max_connections": allowed})
        handle_fd_exhaustion(loop, self.throttle, self.connections, fd_limit)
        try:
            if self._sock is not None:
                self._server = await loop.create_server(
                    lambda: Connection(self), sock=self._sock, backlog=1024
                )
            else:
                self._server = await loop.create_server(
                    lambda: Connection(self),
                    cfg.host,
                    cfg.port,
                    backlog=1024,
                    reuse_port=self._reuse_port or None,
                )
        except OSError as exc:
            await self._stop_redis()
            raise ChannelError(
                f"cannot listen on {cfg.host}:{cfg.port} ({exc.strerror or exc}); "
                f"{cfg.host}:{cfg.port} is already in use or not available; set [channel] port"
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]
        self.spawn(self.housekeeping.run())
        log.info(
            "channel gateway listening on %s:%d (instance %s)", cfg.host, self.port, self.instance
        )
        up = await self.commands.wait_up(self._redis_timeout)
        if up and await self.hub.pubsub.wait_up(self._redis_timeout):
            await self.secret.wait_resolved(self._redis_timeout)
        else:
            log.warning(
                "channel gateway: cannot reach Redis at %s yet; serving anyway and retrying"
                " (tokens and joins wait for it); check [core] redis_url",
                self.commands.where,
            )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close(CLOSE_SHUTDOWN, "server shutting down")
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(RedisDown, asyncio.TimeoutError):
            await asyncio.wait_for(self.presence.leave(), timeout=2)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        await self._stop_redis()

    async def _stop_redis(self) -> None:
        await self.hub.stop()
        await self.commands.stop()

    def _warn_if_exposed(self) -> None:
        cfg = self.config
        if _is_loopback(cfg.host):
            return
        if cfg.token_api_key is None:
            log.warning(
                "!!! [channel] binds %s without token_api_key: anyone who can reach"
                " port %d can mint join tokens for any topic. Set [channel]"
                " token_api_key.",
                cfg.host,
                cfg.port,
            )
        if cfg.jwt_secret is not None and weak_secret(cfg.jwt_secret):
            log.warning(
                "!!! [channel] jwt_secret is weak (short or well known) while binding"
                " %s: use 32+ random characters, or unset it for a random one.",
                cfg.host,
            )

    def _redis_back(self) -> None:
        """After every (re)connection of the command link."""
        self.secret.redis_back()
        # Liveness first thing (survivors reap instances without it), then our entries.
        self.spawn(self.housekeeping.restore_presence())
