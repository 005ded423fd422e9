"""Redis helpers for plugins (redis-py based): a pattern subscriber that survives Redis
restarts, and :func:`from_url`, a ``redis.asyncio.Redis`` for any URL tangram accepts
(see :mod:`tangram.redis_url`). High-rate paths use the lean :mod:`tangram.resp` instead.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .redis_url import RedisAddress, parse_redis_url
from .resp.link import RECONNECT_DELAYS, backoff_delays

__all__ = ["Subscriber", "backoff_delays", "from_url"]

log = logging.getLogger(__name__)

StateT = TypeVar("StateT")


def from_url(url: str, **options: Any) -> aioredis.Redis:
    """A ``redis.asyncio.Redis`` for ``url`` (``redis``, ``rediss``, ``unix``, ``valkey``,
    ``valkeys``), parsed like every Redis URL in tangram; ``options`` go to its connection
    pool, as with ``redis.asyncio.Redis.from_url`` (which it replaces: same behaviour,
    more schemes). Raises :class:`tangram.redis_url.RedisUrlError` for an unusable URL."""
    return _client(parse_redis_url(url), **options)


def _client(address: RedisAddress, **options: Any) -> aioredis.Redis:
    kwargs: dict[str, Any] = {
        "db": address.db,
        "username": address.username,
        "password": address.password,
    }
    if address.path is not None:
        kwargs.update(connection_class=UnixDomainSocketConnection, path=address.path)
    else:
        kwargs.update(host=address.host, port=address.port)
    if address.tls:
        kwargs.update(
            connection_class=SSLConnection,
            ssl_ca_certs=address.ssl_ca_certs,
            ssl_cert_reqs="required" if address.verify else "none",
            ssl_check_hostname=address.verify,
        )
    client = aioredis.Redis(connection_pool=aioredis.ConnectionPool(**kwargs, **options))
    client.auto_close_connection_pool = True  # as from_url does: aclose() closes the pool
    return client


class Subscriber(abc.ABC, Generic[StateT]):
    """Listen to Redis channel patterns (PSUBSCRIBE) and handle each message.

    Subclass it and implement :meth:`message_handler`. ``subscribe()`` starts a
    background task; when the Redis connection drops, the task reconnects with
    backoff, subscribes again and logs how long messages could not be received.
    An exception in the handler is logged and does not stop the subscriber.
    """

    def __init__(
        self,
        name: str,
        redis_url: str,
        channels: Sequence[str],
        initial_state: StateT,
    ) -> None:
        if isinstance(channels, str):
            channels = [channels]
        self.name = name
        self.redis_url = redis_url
        self._address = parse_redis_url(redis_url)
        self.channels = list(channels)
        self.state = initial_state
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    @abc.abstractmethod
    async def message_handler(self, event: str, payload: str, pattern: str, state: StateT) -> None:
        """Handle one message: ``event`` is the channel it was published on, ``payload``
        the decoded text, ``pattern`` the subscription pattern that matched."""

    async def subscribe(self) -> None:
        """Start listening; returns once the first subscription is active (or after 5 s
        if Redis is down, in which case the task keeps trying in the background)."""
        if self._task is not None and not self._task.done():
            return
        self._subscribed.clear()
        self._task = asyncio.create_task(self._run(), name=f"subscriber:{self.name}")
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)
        except asyncio.TimeoutError:
            log.warning(
                "%s: Redis not reachable yet at %s; still trying",
                self.name,
                self._address.display(),
            )

    async def cleanup(self) -> None:
        """Stop listening and close the connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def is_active(self) -> bool:
        """True while the background task runs (even when waiting for Redis to return)."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        delays = RECONNECT_DELAYS
        attempt = 0
        lost_at: float | None = None
        while True:
            client = _client(self._address, decode_responses=False)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(*self.channels)
                self._subscribed.set()
                if lost_at is not None:
                    log.warning(
                        "%s: resubscribed to %s after %.1f s without Redis; messages published"
                        " meanwhile were not received",
                        self.name,
                        ", ".join(self.channels),
                        time.monotonic() - lost_at,
                    )
                else:
                    log.debug("%s: subscribed to %s", self.name, ", ".join(self.channels))
                lost_at, attempt = None, 0
                await self._listen(pubsub)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning("%s: Redis connection lost (%s); reconnecting", self.name, exc)
            except RedisError as exc:
                if lost_at is None:
                    lost_at = time.monotonic()
                log.error("%s: Redis error: %s; reconnecting", self.name, exc)
            finally:
                await _close_quietly(pubsub, client)
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1

    async def _listen(self, pubsub: aioredis.client.PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is None or message["type"] != "pmessage":
                continue
            event = _text(message["channel"])
            payload = _text(message["data"])
            pattern = _text(message["pattern"])
            try:
                await self.message_handler(event, payload, pattern, self.state)
            except Exception:
                log.exception("%s: message handler failed on %r", self.name, event)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, channels={self.channels!r})"


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


async def _close_quietly(pubsub: aioredis.client.PubSub, client: aioredis.Redis) -> None:
    for closer in (pubsub.aclose, client.aclose):
        try:
            await asyncio.wait_for(closer(), timeout=1)
        except Exception:
            pass
