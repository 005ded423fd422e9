"""Lean Redis connections for the gateway: commands and pub/sub over asyncio + hiredis.

Both kinds keep themselves alive: they reconnect with backoff, and a PING probe
catches a connection that is wedged without an error. Commands are written in call
order on one connection and answered in that order, so a socket's publishes reach
Redis in the order the socket sent them, without awaiting each one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import hiredis

from ..redis import backoff_delays

__all__ = ["CommandClient", "PubSubClient", "RedisDown"]

log = logging.getLogger(__name__)

PROBE_SECS = 5.0


class RedisDown(ConnectionError):
    """The Redis connection is down right now (it is being re-established)."""


def _pack(args: tuple[Any, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: _Link) -> None:
        self.owner = owner
        self.reader = hiredis.Reader()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        owner = self.owner
        try:
            while (item := self.reader.gets()) is not False:
                try:
                    owner.on_reply(item)
                except Exception:  # a bug must not cost the connection (and everyone's feed)
                    log.exception("%s: failed to handle a Redis reply", owner.name)
        except hiredis.ProtocolError as exc:
            log.error("%s: Redis protocol error (%s); reconnecting", owner.name, exc)
            owner.abort()
        owner.on_batch_end()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Link:
    """One Redis connection that is re-established whenever it drops."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.up = False
        self._transport: asyncio.Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._probe_pending = False
        self._pending: list[bytes] = []
        #: Called after every (re)connection, once the link is usable.
        self.listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        """Connect in the background, and keep reconnecting (with backoff) for good."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"redis:{self.name}")

    async def wait_up(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the first connection; True once it is up."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self.up

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.abort()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def write(self, *args: Any) -> None:
        """Queue a command; all commands queued in one loop iteration go out in one
        write (many sockets pushing at once cost one syscall, not one each)."""
        if self._transport is None:
            raise RedisDown(f"Redis at {self.url} is unreachable")
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush_writes)
        self._pending.append(_pack(args))

    def _flush_writes(self) -> None:
        pending, self._pending = self._pending, []
        if self._transport is not None and pending:
            self._transport.write(b"".join(pending))

    def on_reply(self, item: Any) -> None:
        raise NotImplementedError

    def on_batch_end(self) -> None:
        pass

    async def on_connected(self) -> None:
        pass

    def on_disconnected(self) -> None:
        pass

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        parts = urlsplit(self.url)
        proto: _Protocol
        if parts.scheme == "unix":
            transport, proto = await loop.create_unix_connection(
                lambda: _Protocol(self), parts.path
            )
        else:
            transport, proto = await loop.create_connection(
                lambda: _Protocol(self), parts.hostname or "127.0.0.1", parts.port or 6379
            )
        self._transport = transport
        return proto

    def auth_args(self) -> tuple[str, ...] | None:
        parts = urlsplit(self.url)
        if parts.password is None:
            return None
        return ("AUTH", unquote(parts.username or "default"), unquote(parts.password))

    def probe(self) -> None:
        raise NotImplementedError

    async def _run(self) -> None:
        delays = backoff_delays(0.05, 2.0)
        attempt = 0
        lost_at: float | None = None
        while True:
            try:
                proto = await asyncio.wait_for(self._connect(), timeout=5)
                await self.on_connected()
            except asyncio.CancelledError:
                self.abort()
                raise
            except Exception as exc:
                self.abort()
                self._transport = None
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning(
                        "%s: cannot reach Redis at %s (%s); retrying", self.name, self.url, exc
                    )
            else:
                self.up = True
                self._ready.set()
                for listener in self.listeners:
                    listener()
                if lost_at is not None:
                    log.warning(
                        "%s: Redis is back after %.1f s; messages published meanwhile"
                        " were not delivered",
                        self.name,
                        time.monotonic() - lost_at,
                    )
                lost_at, attempt = None, 0
                await self._watch(proto)
                lost_at = time.monotonic()
                log.warning("%s: lost the Redis connection; reconnecting", self.name)
            self.up = False
            self._transport = None
            self._pending.clear()
            self.on_disconnected()
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1

    async def _watch(self, proto: _Protocol) -> None:
        # A PING per quiet period: unanswered by the next one, the link is wedged.
        self._probe_pending = False
        while True:
            done, _ = await asyncio.wait({proto.closed}, timeout=PROBE_SECS)
            if done:
                return
            if self._probe_pending:
                log.warning("%s: Redis did not answer a PING within %g s", self.name, PROBE_SECS)
                self.abort()
                await proto.closed
                return
            self._probe_pending = True
            self.probe()


class CommandClient(_Link):
    """Pipelined commands on one connection; replies resolve futures in order."""

    def __init__(self, url: str, name: str = "channel-commands") -> None:
        super().__init__(url, name)
        self._waiting: deque[asyncio.Future[Any] | None] = deque()
        self._db = urlsplit(url).path.strip("/") or "0"

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Send a command now (raises :class:`RedisDown`); the future gets the reply."""
        if not self.up:
            raise RedisDown(f"Redis at {self.url} is unreachable")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.write(*args)
        self._waiting.append(future)
        return future

    def send(self, *args: Any) -> bool:
        """Fire and forget (replies are discarded); False when Redis is down."""
        if not self.up:
            return False
        self.write(*args)
        self._waiting.append(None)
        return True

    async def execute(self, *args: Any) -> Any:
        reply = await self.call(*args)
        if isinstance(reply, hiredis.ReplyError):
            raise reply
        return reply

    def probe(self) -> None:
        self.send("PING")

    def on_reply(self, item: Any) -> None:
        # Any reply proves the link alive; replies come back in command order.
        self._probe_pending = False
        if self._waiting:
            future = self._waiting.popleft()
            if future is not None and not future.done():
                future.set_result(item)

    async def on_connected(self) -> None:
        self.up = True
        try:
            auth = self.auth_args()
            if auth is not None:
                await asyncio.wait_for(self.execute(*auth), timeout=5)
            await asyncio.wait_for(self.execute("SELECT", self._db), timeout=5)
        finally:
            self.up = False

    def on_disconnected(self) -> None:
        while self._waiting:
            future = self._waiting.popleft()
            if future is not None and not future.done():
                future.set_exception(RedisDown(f"lost the connection to Redis at {self.url}"))


class PubSubClient(_Link):
    """One pattern-subscription connection; messages go to ``on_message``."""

    def __init__(
        self,
        url: str,
        on_message: Callable[[bytes, bytes, bytes], None],
        on_batch_end: Callable[[], None],
        name: str = "channel-pubsub",
    ) -> None:
        super().__init__(url, name)
        self._on_message = on_message
        self._flush = on_batch_end
        self.patterns: set[bytes] = set()
        self._confirm: dict[bytes, asyncio.Future[None]] = {}

    def psubscribe(self, pattern: bytes) -> asyncio.Future[None]:
        """Subscribe (now, or on reconnection); the future resolves once confirmed."""
        future = self._confirm.get(pattern)
        if pattern in self.patterns and future is not None:
            return future
        self.patterns.add(pattern)
        future = asyncio.get_running_loop().create_future()
        self._confirm[pattern] = future
        if self.up:
            self.write("PSUBSCRIBE", pattern)
        return future

    def punsubscribe(self, pattern: bytes) -> None:
        self.patterns.discard(pattern)
        future = self._confirm.pop(pattern, None)
        if future is not None and not future.done():
            future.cancel()
        if self.up:
            self.write("PUNSUBSCRIBE", pattern)

    def probe(self) -> None:
        self.write("PING")

    def on_reply(self, item: Any) -> None:
        self._probe_pending = False
        if not isinstance(item, list):
            return  # +OK to AUTH, or PONG before any subscription
        kind = item[0]
        if kind == b"pmessage":
            self._on_message(item[1], item[2], item[3])
        elif kind == b"psubscribe":
            future = self._confirm.get(item[1])
            if item[1] in self.patterns and future is not None and not future.done():
                future.set_result(None)

    def on_batch_end(self) -> None:
        self._flush()

    async def on_connected(self) -> None:
        auth = self.auth_args()
        if auth is not None:
            self.write(*auth)
        if self.patterns:
            self.write("PSUBSCRIBE", *sorted(self.patterns))

    def on_disconnected(self) -> None:
        # Subscriptions are re-made on reconnection; joins wait for the new confirmation.
        for pattern in self.patterns:
            future = self._confirm.get(pattern)
            if future is None or future.done():
                self._confirm[pattern] = asyncio.get_running_loop().create_future()
