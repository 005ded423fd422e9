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
from .decode import Decoded, FrameDecoder, jet1090_message
from .dedup import Deduplicator
from .publish import Publisher
from .record import Recorder
from .sbs import SbsParser
from .sources import ReceiverSource, SourceUrl

__all__ = ["Apply", "ReceiverHub", "Sink"]

log = logging.getLogger(__name__)

Parser = BeastParser | AvrParser | SbsParser
#: Receives every decoded message (a jet1090-format dict).
Sink = Callable[[dict[str, Any]], None]
#: ``apply(icao24, timestamp, fields)``: the state-vector fields of one decoded frame,
#: straight into the state table (no jet1090 message is built for it).
Apply = Callable[[str, float, dict[str, Any]], object]
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
        apply: Apply | None = None,
    ) -> None:
        #: With a publisher, messages go to Redis (and come back through the feed).
        self.sink: Sink = publisher if publisher is not None else sink
        #: Frames decoded here skip building a jet1090 message when nobody needs one.
        self.apply = apply if publisher is None else None
        self.publisher = publisher
        self.recorder = recorder
        # Messages handed on (published, recorded, printed) carry every Comm-B register
        # rs1090 reads; the state table needs only the kept ones (see decode.py).
        self.decoder = FrameDecoder(reference, complete=self.apply is None or recorder is not None)
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
        stats = source.stats
        before = self.dedup.duplicates
        if isinstance(parser, SbsParser):
            dup, messages = self.dedup.is_duplicate, []
            for key, message in parser.feed(data):
                if not dup(key, now):
                    message["timestamp"] = now
                    messages.append(message)
            offered, count = len(messages), self._deliver(source, messages)
        else:
            fresh = self.dedup.fresh(parser.payloads(data), now)
            decoded = self.decoder.updates(fresh, [now] * len(fresh))
            accepted = [d for d in decoded if d is not None]
            offered, count = len(fresh), len(accepted)
            if self.apply is not None:
                self._apply(source, accepted)
            else:
                self._deliver(source, [jet1090_message(d) for d in accepted])
        stats.duplicates += self.dedup.duplicates - before
        self.dedup.prune(now)
        if count:
            stats.messages += count
            stats.last_message = now
        rejected = offered - count
        if rejected:
            stats.errors["rejected"] = stats.errors.get("rejected", 0) + rejected
        _parser_errors(parser, stats.errors)

    def _apply(self, source: ReceiverSource, accepted: list[Decoded]) -> None:
        apply, recorder = self.apply, self.recorder
        assert apply is not None
        for decoded in accepted:
            try:
                apply(decoded[0], decoded[1], decoded[2])
            except Exception:  # a handler bug must not cost the rest of the chunk
                self._handler_failed(source, jet1090_message(decoded))
            if recorder is not None:
                recorder.write(jet1090_message(decoded))

    def _deliver(self, source: ReceiverSource, messages: list[dict[str, Any]]) -> int:
        sink, recorder = self.sink, self.recorder
        for message in messages:
            try:
                sink(message)
            except Exception:  # a handler bug must not cost the rest of the chunk
                self._handler_failed(source, message)
            if recorder is not None:
                recorder.write(message)
        return len(messages)

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
