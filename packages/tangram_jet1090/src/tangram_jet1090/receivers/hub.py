"""All receivers of one ``tangram serve``: read, deduplicate, decode, hand on.

Every chunk a source reads is parsed, stripped of frames already heard (from any
receiver) within the dedup window, decoded in one rs1090 batch, and each message is
handed to ``sink`` (the runtime's ingest path, or the Redis publisher with
``publish_decoded``) and to the recorder. All of it is synchronous, between awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import redis.asyncio as aioredis

from .avr import AvrParser
from .beast import BeastParser
from .decode import FrameDecoder
from .dedup import Deduplicator
from .publish import Publisher
from .record import Recorder
from .sbs import SbsParser
from .sources import ReceiverSource, SourceUrl

__all__ = ["ReceiverHub"]

log = logging.getLogger(__name__)

Parser = BeastParser | AvrParser | SbsParser
#: Receives every decoded message (a jet1090-format dict).
Sink = Callable[[dict[str, Any]], None]
_RATE_SECS = 1.0
_RECORD_SECS = 1.0


class ReceiverHub:
    def __init__(
        self,
        urls: list[SourceUrl],
        sink: Sink,
        reference: tuple[float, float] | None = None,
        dedup_window_secs: float = 1.0,
        silence_secs: float = 30.0,
        recorder: Recorder | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        #: With a publisher, messages go to Redis (and come back through the feed).
        self.sink: Sink = publisher if publisher is not None else sink
        self.publisher = publisher
        self.recorder = recorder
        self.decoder = FrameDecoder(reference)
        self.dedup = Deduplicator(dedup_window_secs)
        self.sources = [
            ReceiverSource(url, self.handle, silence_secs, on_connect=self._fresh) for url in urls
        ]
        self._parsers: dict[int, Parser] = {
            id(source): _parser(source.url.format) for source in self.sources
        }

    def _fresh(self, source: ReceiverSource) -> None:
        self._parsers[id(source)].reset()

    def handle(self, source: ReceiverSource, data: bytes, now: float) -> None:
        """Everything one read of ``source`` brought (synchronous, hot path)."""
        parser = self._parsers[id(source)]
        stats, dup = source.stats, self.dedup.is_duplicate
        before = self.dedup.duplicates
        messages: list[dict[str, Any] | None]
        if isinstance(parser, SbsParser):
            messages = []
            for key, message in parser.feed(data):
                if not dup(key, now):
                    message["timestamp"] = now
                    messages.append(message)
        else:
            payloads = [f.payload for f in parser.feed(data) if len(f.payload) > 2]
            fresh = [p for p in payloads if not dup(p, now)]
            messages = self.decoder.decode(fresh, [now] * len(fresh))
        stats.duplicates += self.dedup.duplicates - before
        self.dedup.prune(now)
        sink, recorder, count = self.sink, self.recorder, 0
        for decoded in messages:
            if decoded is None:
                continue
            count += 1
            try:
                sink(decoded)
            except Exception:  # a handler bug must not cost the rest of the chunk
                self._handler_failed(source, decoded)
            if recorder is not None:
                recorder.write(decoded)
        if count:
            stats.messages += count
            stats.last_message = now
        rejected = len(messages) - count
        if rejected:
            stats.errors["rejected"] = stats.errors.get("rejected", 0) + rejected
        _parser_errors(parser, stats.errors)

    def _handler_failed(self, source: ReceiverSource, message: dict[str, Any]) -> None:
        errors = source.stats.errors
        errors["internal"] = errors.get("internal", 0) + 1
        if errors["internal"] <= 5:  # the first few are worth a traceback, not a flood
            log.exception("receiver %s: failed to apply %.200r", source.url, message)

    async def run(self, redis_client: aioredis.Redis | None = None) -> None:
        """Run every source, the rate meter, the recorder and the publisher until
        cancelled (the publisher needs ``redis_client``)."""
        tasks = [asyncio.create_task(_supervise(source)) for source in self.sources]
        tasks.append(asyncio.create_task(self._rates()))
        if self.publisher is not None:
            if redis_client is None:
                raise ValueError("publish_decoded needs a Redis client")
            tasks.append(asyncio.create_task(self.publisher.run(redis_client)))
        if self.recorder is not None:
            tasks.append(asyncio.create_task(self._record()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self.recorder is not None:
                await self.recorder.close()

    async def _rates(self) -> None:
        last = {id(s): s.stats.messages for s in self.sources}
        then = time.monotonic()
        while True:
            await asyncio.sleep(_RATE_SECS)
            now = time.monotonic()
            for source in self.sources:
                count = source.stats.messages
                source.stats.messages_per_sec = (count - last[id(source)]) / (now - then)
                last[id(source)] = count
            then = now

    async def _record(self) -> None:
        assert self.recorder is not None
        while True:
            await asyncio.sleep(_RECORD_SECS)
            await self.recorder.flush()

    def snapshot(self) -> dict[str, Any]:
        """For ``GET /jet1090/receivers``."""
        return {
            "receivers": [source.stats.as_dict() for source in self.sources],
            "decoder": asdict(self.decoder.stats),
            "duplicates": self.dedup.duplicates,
            "recorded": self.recorder.written if self.recorder else None,
            "published": self.publisher.published if self.publisher else None,
        }


def _parser(kind: str) -> Parser:
    if kind == "beast":
        return BeastParser()
    return AvrParser() if kind == "avr" else SbsParser()


def _parser_errors(parser: Parser, errors: dict[str, int]) -> None:
    if isinstance(parser, BeastParser):
        errors["garbage_bytes"] = parser.garbage_bytes
        errors["truncated"] = parser.truncated
    else:
        errors["bad_lines"] = parser.bad_lines


async def _supervise(source: ReceiverSource) -> None:
    """A bug in one source's loop is logged and the loop restarted; others go on."""
    while True:
        try:
            await source.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("receiver %s: unexpected failure; restarting it in 5 s", source.url)
            source.stats.connected = False
            await asyncio.sleep(5)
