"""Publish a jet1090 recording on Redis as if the decoder were running now.

Each line of a ``.jsonl`` (or ``.jsonl.gz``) file is one jet1090 message. Timestamps
are shifted so that the first message is "now" and the original spacing is kept
(divided by ``speed``); otherwise every aircraft would be older than the expiry
window and vanish at once. Messages due at the same moment go out in one pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
import redis.asyncio as aioredis

from tangram.entities.recording import open_recording
from tangram.errors import TangramError

__all__ = ["ReplayError", "ReplayStats", "iter_recording", "replay"]

log = logging.getLogger(__name__)

#: Sleep only when the next message is at least this far ahead (seconds).
_MIN_SLEEP = 0.005
#: Publish at most this many messages per pipeline.
_BATCH = 500


class ReplayError(TangramError):
    """The recording cannot be read."""


@dataclass
class ReplayStats:
    published: int = 0
    skipped: int = 0
    rounds: int = 0
    #: The first line that was skipped (number, start of its text), for error messages.
    first_skipped: tuple[int, str] | None = None

    def skip(self, number: int, line: bytes) -> None:
        self.skipped += 1
        if self.first_skipped is None:
            self.first_skipped = (number, line[:80].decode("utf-8", "replace").strip())


def _open(path: Path) -> IO[bytes]:
    return open_recording(
        path,
        ReplayError,
        "recording not found; expected a .jsonl or .jsonl.gz file of jet1090 messages "
        "(one JSON object per line)",
    )


def iter_recording(path: Path, stats: ReplayStats | None = None) -> Iterator[dict[str, Any]]:
    """Messages with a numeric ``timestamp``; other lines are skipped (and counted)."""
    stats = stats if stats is not None else ReplayStats()
    with _open(path) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                msg = orjson.loads(line)
            except orjson.JSONDecodeError:
                stats.skip(number, line)
                continue
            if type(msg) is dict and type(msg.get("timestamp")) in (int, float):
                yield msg
            else:
                stats.skip(number, line)


async def replay(
    redis_client: aioredis.Redis,
    path: Path,
    channel: str,
    speed: float = 1.0,
    loop: bool = False,
    stats: ReplayStats | None = None,
) -> ReplayStats:
    """Publish ``path`` on ``channel``; with ``loop``, forever."""
    if speed <= 0:
        raise ReplayError(f"replay speed {speed!r} must be greater than 0, for example 1 or 10")
    stats = stats or ReplayStats()
    _open(path).close()  # fail early and clearly
    while True:
        published = stats.published
        await _one_round(redis_client, path, channel, speed, stats)
        stats.rounds += 1
        if stats.published == published:
            raise ReplayError(_nothing_published(path, stats))
        if stats.rounds == 1 and stats.skipped:
            number, text = stats.first_skipped or (0, "")
            log.warning(
                "%s: skipped %d line(s) that are not jet1090 messages (first: line %d, %r)",
                path,
                stats.skipped,
                number,
                text,
            )
        if not loop:
            return stats
        log.info("replay of %s: round %d done, starting again", path.name, stats.rounds)


def _nothing_published(path: Path, stats: ReplayStats) -> str:
    where = ""
    if stats.first_skipped is not None:
        number, text = stats.first_skipped
        where = f" ({stats.skipped} line(s) skipped, the first is line {number}: {text!r})"
    return (
        f"{path}: no jet1090 message to replay{where}; expected one JSON object per line "
        'with a numeric "timestamp", as jet1090 publishes them (.jsonl or .jsonl.gz)'
    )


async def _one_round(
    redis_client: aioredis.Redis, path: Path, channel: str, speed: float, stats: ReplayStats
) -> None:
    first: float | None = None
    start = time.time()
    pipe = redis_client.pipeline(transaction=False)
    queued = 0
    for msg in iter_recording(path, stats):
        ts = float(msg["timestamp"])
        if first is None:
            first = ts
        due = start + (ts - first) / speed
        ahead = due - time.time()
        if ahead > _MIN_SLEEP or queued >= _BATCH:
            if queued:
                await pipe.execute()
                stats.published += queued
                queued = 0
            ahead = due - time.time()
            if ahead > _MIN_SLEEP:
                await asyncio.sleep(ahead)
        msg["timestamp"] = max(due, start)
        pipe.publish(channel, orjson.dumps(msg))
        queued += 1
    if queued:
        await pipe.execute()
        stats.published += queued
