"""The gateway of one process: listening socket, Redis links, joins and leaves.

:class:`Gateway` can run inside any asyncio loop (tests run it in-process);
production runs it in its own process (:mod:`tangram.channel.process`) on uvloop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
import secrets
import socket
import time
from collections.abc import Coroutine
from typing import Any

from ..config import ChannelConfig, TangramConfig
from ..errors import ChannelError
from ..resp import CommandClient, RedisDown
from .connection import CLOSE_IDLE, CLOSE_SHUTDOWN, Connection
from .http import OriginPolicy
from .hub import Hub
from .phoenix import Join, Membership, TokensUnavailable
from .presence import Presence
from .tokens import SECRET_KEY, TokenIssuer, resolve_secret, weak_secret
from .wire import encode_message

__all__ = ["Gateway"]

log = logging.getLogger(__name__)

#: How long a join waits for Redis to confirm the topic's subscription.
JOIN_TIMEOUT_SECS = 5.0
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
        self.hub = Hub(redis_url, self.stats)
        self.presence_ttl = presence_ttl
        self.presence = Presence(self.commands, self.instance, presence_ttl)
        #: None until the signing secret is known (it may live in an unreachable Redis).
        self.issuer: TokenIssuer | None = None
        self.slow_grace_secs = 2.0
        self.join_timeout_secs = JOIN_TIMEOUT_SECS
        self.port = self.config.port
        self._sock = sock
        self._reuse_port = reuse_port
        self._redis_timeout = redis_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refs = itertools.count(1)
        self._secret = ""
        self._resolving: asyncio.Task[None] | None = None

    def new_phx_ref(self) -> str:
        return f"{self.instance}.{next(self._refs)}"

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("gateway task failed", exc_info=task.exception())

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, then wait (about ``redis_timeout`` s per step) for Redis. Redis down is
        no error: the links retry with backoff and everything resumes once it is up
        (until then ``/token`` answers 503 and joins ``unavailable``)."""
        cfg = self.config
        if cfg.jwt_secret is not None:
            self._set_secret(cfg.jwt_secret)
        self.commands.listeners.append(self._redis_back)
        self.commands.start()
        self.hub.start()
        self._warn_if_exposed()
        loop = asyncio.get_running_loop()
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
        self.spawn(self._housekeeping())
        log.info(
            "channel gateway listening on %s:%d (instance %s)", cfg.host, self.port, self.instance
        )
        up = await self.commands.wait_up(self._redis_timeout)
        if up and await self.hub.pubsub.wait_up(self._redis_timeout):
            if self._resolving is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(self._resolving), self._redis_timeout)
        else:
            log.warning(
                "channel gateway: cannot reach Redis at %s yet; serving anyway and retrying"
                " (tokens and joins wait for it); check [core] redis_url",
                self.commands.where,
            )

    def check_token(self, token: str | None, topic: str) -> str | None:
        """The session's token check; raises TokensUnavailable while the secret is unknown."""
        if self.issuer is None:
            raise TokensUnavailable(
                "the shared signing secret is kept in Redis, which is unreachable; retrying"
            )
        return self.issuer.check(token, topic)

    def _set_secret(self, secret: str) -> None:
        cfg = self.config
        self._secret = secret
        self.issuer = TokenIssuer(secret, cfg.jwt_expiration_secs, cfg.id_length)

    async def _resolve_secret(self) -> None:
        try:
            secret = await resolve_secret(None, self.commands.execute)
        except Exception as exc:  # Redis went away again: the next connection retries
            log.warning("channel gateway: cannot read the shared secret from Redis (%s)", exc)
            return
        self._set_secret(secret)
        log.info("channel gateway: shared token secret resolved; tokens available")

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
        if not self._secret:
            if self._resolving is None or self._resolving.done():
                self._resolving = asyncio.get_running_loop().create_task(self._resolve_secret())
                self._tasks.add(self._resolving)
                self._resolving.add_done_callback(self._task_done)
        elif self.config.jwt_secret is None:
            # Redis may have lost its data (restart without persistence): restore ours.
            self.commands.send("SET", SECRET_KEY, self._secret, "NX")
        # Liveness first thing (survivors reap instances without it), then our entries.
        self.spawn(self._restore_presence())

    async def _restore_presence(self) -> None:
        """Re-record our presence entries; announce those that had gone (reaped)."""
        with contextlib.suppress(RedisDown):
            for topic, client_id in await self.presence.restore():
                self._lifecycle(topic, client_id, "phx_join")

    async def _housekeeping(self) -> None:
        timeout = self.config.heartbeat_timeout_secs
        tick = min(1.0, timeout / 4)
        last_beat = last_reap = 0.0
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for conn in list(self.connections):
                if now - conn.last_seen > timeout:
                    self.stats["idle_closes"] += 1
                    if conn.ws is None:  # an HTTP client that went quiet
                        conn.close_http()
                    else:
                        conn.close(CLOSE_IDLE, f"no heartbeat for {timeout:g} s", "timeout")
                elif conn.over_since is not None:
                    conn.check_slow()
            if now - last_beat >= self.presence_ttl / 3:
                last_beat = now
                await self._beat()
            if now - last_reap >= 1.0:
                last_reap = now
                with contextlib.suppress(RedisDown):
                    for topic, client_id in await self.presence.reap():
                        self._lifecycle(topic, client_id, "phx_leave", "disconnect")

    async def _beat(self) -> None:
        try:
            reaped = await asyncio.wait_for(self.presence.beat(), timeout=2)
            if reaped:
                log.warning(
                    "this gateway (instance %s) missed its liveness deadline, so its presence"
                    " entries may have been reaped; restoring them",
                    self.instance,
                )
                await self._restore_presence()
        except (RedisDown, asyncio.TimeoutError):
            pass  # the link reconnects by itself; _redis_back restores then

    # -- joins and leaves -------------------------------------------------------------

    async def join(self, conn: Connection, action: Join) -> None:
        m = action.membership
        session = conn.session
        assert session is not None
        if not await self._subscribed(m.topic):
            session.drop(m)
            self.hub.release(m.topic)
            conn.send_text(action.unavailable)
            log.warning("join of %r failed: Redis did not confirm the subscription", m.topic)
            return
        if conn.closing or session.members.get(m.topic) is not m:
            return
        first = self.hub.add(m.topic, conn)
        m.active = True
        conn.send_text(action.ok)
        if not m.active:
            return  # the reply itself overflowed a slow client, which was closed
        # Announced now, so that plugins always see the join before any leave.
        self._lifecycle(m.topic, m.client_id, "phx_join")
        if first:
            self._admin("channel.add", channel=m.topic, channels=sorted(self.hub.topics))
        try:
            state = await self.presence.track(m)
            members = sorted(state)
        except Exception as exc:  # Redis down or refusing: degrade, go on
            log.warning("presence of %r unavailable (%s); sending the joiner alone", m.topic, exc)
            state = {m.client_id: {"metas": [{"phx_ref": m.phx_ref}]}}
            members = self._members(m.topic)
        # members: every instance's, from the shared presence (the joiner included).
        self._admin("channel.join", channel=m.topic, id=m.client_id, members=members)
        if not m.active:
            return  # left (or disconnected) while Redis answered
        conn.send_text(
            encode_message(m.join_ref, None, m.topic, "presence_state", json.dumps(state).encode())
        )
        self.presence.announce_join(m)

    async def _subscribed(self, topic: str) -> bool:
        """Wait until Redis confirmed the topic's pattern (False after the timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.join_timeout_secs
        while True:
            future = self.hub.subscribe(topic)
            try:
                await asyncio.wait_for(asyncio.shield(future), deadline - loop.time())
                return True
            except asyncio.TimeoutError:
                return False
            except asyncio.CancelledError:
                # The topic's last member left meanwhile, dropping the pattern:
                # subscribe again. A cancellation of this task itself propagates.
                if not future.cancelled() or loop.time() >= deadline:
                    raise

    def leave(self, conn: Connection, m: Membership, reason: str) -> None:
        if not m.active:
            return
        m.active = False
        empty = self.hub.remove(m.topic, conn)
        self.presence.untrack(m)
        self._lifecycle(m.topic, m.client_id, "phx_leave", reason)
        self.spawn(self._admin_leave(m, reason, empty))

    async def _admin_leave(self, m: Membership, reason: str, empty: bool) -> None:
        # Queued after untrack's HDEL, so the shared presence no longer lists m.
        try:
            members = await self.presence.members(m.topic)
        except Exception:  # Redis down: the local view is the best there is
            members = self._members(m.topic)
        self._admin(
            "channel.leave", channel=m.topic, id=m.client_id, reason=reason, members=members
        )
        if empty:
            self._admin("channel.remove", channel=m.topic, channels=sorted(self.hub.topics))

    def _members(self, topic: str) -> list[str]:
        ids: set[str] = set()
        for member in self.hub.topics.get(topic, ()):
            session = getattr(member, "session", None)
            m = session.members.get(topic) if session is not None else None
            if m is not None and m.active:
                ids.add(m.client_id)
        return sorted(ids)

    def _lifecycle(self, topic: str, client_id: str, event: str, reason: str | None = None) -> None:
        payload: dict[str, str] = {"id": client_id, "topic": topic}
        if reason is not None:
            payload["reason"] = reason
        if not self.commands.send("PUBLISH", f"from:{topic}:{event}", json.dumps(payload)):
            self.stats["lifecycle_lost"] += 1

    def _admin(self, event: str, **payload: Any) -> None:
        self.commands.send("PUBLISH", f"to:admin:{event}", json.dumps(payload))
