"""Play an NMEA log as if a receiver were sending it now.

With tag-block timestamps (``\\c:...``), lines keep their original spacing divided by
``speed`` and their timestamps are shifted so that the first line is "now" (ships
would otherwise be older than the expiry and vanish at once). Without them, lines
come at ``lines_per_sec`` times ``speed``. Gzipped logs are read as they are.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tangram.entities.recording import open_recording
from tangram.errors import TangramError

__all__ = ["ReplayError", "ReplayStats", "paced_lines", "shift_tag_time"]

#: ``c:<time>`` inside a leading tag block.
_TAG_TIME = re.compile(rb"^\\([^\\]*?)\bc:(\d+(?:\.\d+)?)")
_MIN_SLEEP = 0.005
#: Lines read before checking the clock again when no sleep is due.
_BATCH = 200


class ReplayError(TangramError):
    """The log cannot be read."""


@dataclass
class ReplayStats:
    lines: int = 0
    rounds: int = 0
    timestamped: bool = False


def _open(path: Path) -> IO[bytes]:
    return open_recording(
        path,
        ReplayError,
        "NMEA log not found; expected a text file of !AIVDM sentences, one per line "
        '(optionally gzipped), or "demo"',
    )


def tag_time(line: bytes) -> float | None:
    match = _TAG_TIME.match(line)
    if match is None:
        return None
    value = float(match.group(2))
    return value / 1000.0 if value > 1e11 else value


def shift_tag_time(line: bytes, new_time: float) -> bytes:
    """The line with its tag block's ``c:`` replaced (and the block's checksum redone)."""
    if not line.startswith(b"\\"):
        return line
    end = line.find(b"\\", 1)
    if end < 0:
        return line
    block = line[1:end]
    body = block.split(b"*", 1)[0]
    fields = [b"c:%d" % int(new_time) if f.startswith(b"c:") else f for f in body.split(b",")]
    body = b",".join(fields)
    check = 0
    for byte in body:
        check ^= byte
    return b"\\%s*%02X\\%s" % (body, check, line[end + 1 :])


async def paced_lines(
    path: Path,
    speed: float = 1.0,
    loop: bool = False,
    lines_per_sec: float = 50.0,
    stats: ReplayStats | None = None,
) -> AsyncIterator[bytes]:
    """The log's lines at their pace, timestamps shifted to now; forever with ``loop``."""
    if speed <= 0:
        raise ReplayError(f"replay speed {speed!r} must be greater than 0, for example 1 or 10")
    stats = stats if stats is not None else ReplayStats()
    _open(path).close()  # fail early and clearly
    while True:
        start = time.time()
        first: float | None = None
        n = 0
        with _open(path) as lines:
            for raw in lines:
                line = raw.strip()
                if not line:
                    continue
                ts = tag_time(line)
                if ts is not None:
                    stats.timestamped = True
                    if first is None:
                        first = ts
                    due = start + (ts - first) / speed
                    line = shift_tag_time(line, max(due, start))
                else:
                    due = start + n / (lines_per_sec * speed)
                n += 1
                ahead = due - time.time()
                if ahead > _MIN_SLEEP:
                    await asyncio.sleep(ahead)
                elif n % _BATCH == 0:
                    await asyncio.sleep(0)  # let the rest of the server run
                stats.lines += 1
                yield line
        stats.rounds += 1
        if n == 0:
            raise ReplayError(f"{path}: no line to replay (the file is empty)")
        if not loop:
            return
