"""Publish a jet1090 recording on Redis as if the decoder were running now.

Each line of a ``.jsonl`` (or ``.jsonl.gz``) file is one jet1090 message. Timestamps
are shifted so that the first message is "now" and the original spacing is kept
(divided by ``speed``); otherwise every aircraft would be older than the expiry
window and vanish at once. Messages due at the same moment go out in one pipeline.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
import redis.asyncio as aioredis

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


def _open(path: Path) -> IO[bytes]:
    if not path.is_file():
        raise ReplayError(
            f"{path}: recording not found; expected a .jsonl or .jsonl.gz file of jet1090 "
            "messages (one JSON object per line)"
        )
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def iter_recording(path: Path) -> Iterator[dict[str, Any]]:
    """Messages with a numeric ``timestamp``; other lines are skipped (and counted)."""
    with _open(path) as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                msg = orjson.loads(line)
            except orjson.JSONDecodeError:
                log.debug("%s: skipping a line that is not JSON", path)
                continue
            if type(msg) is dict and type(msg.get("timestamp")) in (int, float):
                yield msg


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
        await _one_round(redis_client, path, channel, speed, stats)
        stats.rounds += 1
        if not loop:
            return stats
        if stats.published == 0:
            raise ReplayError(f"{path}: no message with a numeric timestamp; nothing to replay")
        log.info("replay of %s: round %d done, starting again", path.name, stats.rounds)


async def _one_round(
    redis_client: aioredis.Redis, path: Path, channel: str, speed: float, stats: ReplayStats
) -> None:
    first: float | None = None
    start = time.time()
    pipe = redis_client.pipeline(transaction=False)
    queued = 0
    for msg in iter_recording(path):
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
