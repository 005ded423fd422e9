"""A lean Redis pub/sub reader for the jet1090 feed.

``tangram.redis.Subscriber`` awaits once per message, which costs more than decoding
the message itself at 10-20k messages/s. This reader speaks RESP directly: it reads
whatever bytes the socket has (often hundreds of messages), lets hiredis split them,
and hands each message to a plain synchronous callback, so a burst costs one await.
It reconnects with backoff like ``Subscriber`` and logs the gap.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
from redis.connection import parse_url

from tangram.redis import backoff_delays

__all__ = ["FeedReader"]

log = logging.getLogger(__name__)

#: ``on_message(channel, data)`` for SUBSCRIBE channels.
MessageHandler = Callable[[bytes, bytes], None]
#: ``on_pmessage(pattern, channel, data)`` for PSUBSCRIBE patterns.
PatternHandler = Callable[[bytes, bytes, bytes], None]


def _command(*parts: str | bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


class FeedReader:
    """Subscribe to ``channels`` and ``patterns`` on ``redis_url`` until cancelled."""

    def __init__(
        self,
        name: str,
        redis_url: str,
        channels: Sequence[str],
        patterns: Sequence[str],
        on_message: MessageHandler,
        on_pmessage: PatternHandler,
        read_size: int = 1 << 18,
    ) -> None:
        self.name = name
        self.redis_url = redis_url
        self.channels = list(channels)
        self.patterns = list(patterns)
        self.on_message = on_message
        self.on_pmessage = on_pmessage
        self.read_size = read_size
        #: Set once the subscriptions are active (tests and start-up wait for it).
        self.subscribed = asyncio.Event()
        self.reconnects = 0

    async def run(self) -> None:
        delays = backoff_delays()
        attempt = 0
        lost_at: float | None = None
        while True:
            writer: asyncio.StreamWriter | None = None
            try:
                reader, writer = await self._connect()
                await self._subscribe(reader, writer)
                self.subscribed.set()
                if lost_at is not None:
                    log.warning(
                        "%s: resubscribed after %.1f s; messages published meanwhile were lost",
                        self.name,
                        time.monotonic() - lost_at,
                    )
                    self.reconnects += 1
                lost_at, attempt = None, 0
                await self._pump(reader)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, RuntimeError) as exc:
                self.subscribed.clear()
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning("%s: Redis connection lost (%s); reconnecting", self.name, exc)
            finally:
                if writer is not None:
                    writer.close()
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        options: dict[str, Any] = parse_url(self.redis_url)  # type: ignore[no-untyped-call]
        limit = self.read_size * 2
        if "path" in options:
            reader, writer = await asyncio.open_unix_connection(options["path"], limit=limit)
        else:
            use_tls = self.redis_url.startswith("rediss://")
            reader, writer = await asyncio.open_connection(
                options.get("host", "127.0.0.1"),
                options.get("port", 6379),
                ssl=ssl.create_default_context() if use_tls else None,
                limit=limit,
            )
        if options.get("password"):
            auth = [options["username"]] if options.get("username") else []
            writer.write(_command("AUTH", *auth, options["password"]))
            await writer.drain()
            await self._expect_reply(reader)
        return reader, writer

    async def _expect_reply(self, reader: asyncio.StreamReader) -> Any:
        parser = hiredis.Reader()
        while True:
            reply = parser.gets()
            if reply is not False:
                if isinstance(reply, hiredis.ReplyError):
                    raise ConnectionError(f"Redis refused AUTH: {reply}")
                return reply
            data = await reader.read(4096)
            if not data:
                raise ConnectionError("connection closed during AUTH")
            parser.feed(data)

    async def _subscribe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.channels:
            writer.write(_command("SUBSCRIBE", *self.channels))
        if self.patterns:
            writer.write(_command("PSUBSCRIBE", *self.patterns))
        await writer.drain()
        # Confirmations are read (and skipped) by _pump; an error reply shows up there.

    async def _pump(self, reader: asyncio.StreamReader) -> None:
        parser = hiredis.Reader()
        feed, gets = parser.feed, parser.gets
        on_message, on_pmessage = self.on_message, self.on_pmessage
        read, size = reader.read, self.read_size
        while True:
            data = await read(size)
            if not data:
                raise ConnectionError("Redis closed the connection")
            feed(data)
            while (item := gets()) is not False:
                kind = item[0] if type(item) is list else None
                try:
                    if kind == b"message":
                        on_message(item[1], item[2])
                    elif kind == b"pmessage":
                        on_pmessage(item[1], item[2], item[3])
                except Exception:
                    # A handler bug must not cost the subscription (and the feed).
                    log.exception("%s: handler failed on %r", self.name, item[:3])
                if isinstance(item, hiredis.ReplyError):
                    raise RuntimeError(f"Redis refused the subscription: {item}")
