"""Append decoded messages to a ``.jsonl.gz`` that ``tangram jet1090 replay`` plays.

Lines are buffered by the ingest path and compressed and written once a second by a
worker thread, so the event loop never waits on zlib or the disk. Each flush appends
one gzip member; gzip readers (and the replayer) read the members as one stream, so
a file survives restarts and keeps growing.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

__all__ = ["MAX_PENDING", "Recorder"]

log = logging.getLogger(__name__)

#: Lines waiting for the writer beyond which new ones are dropped (a stuck disk).
MAX_PENDING = 1_000_000


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending: list[bytes] = []
        self.written = 0
        self.dropped = 0
        self.failing = False
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jet1090-record")

    def write(self, message: dict[str, Any]) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.dropped += 1
            return
        self.pending.append(orjson.dumps(message))

    async def flush(self) -> int:
        batch, self.pending = self.pending, []
        if not batch:
            return 0
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer, self._append, batch)
        except OSError as exc:
            self.dropped += len(batch)
            if not self.failing:
                log.error("record_path %s: cannot write (%s); messages are dropped", self.path, exc)
            self.failing = True
            return 0
        if self.failing:
            log.info("record_path %s: writing again", self.path)
        self.failing = False
        self.written += len(batch)
        return len(batch)

    def _append(self, batch: list[bytes]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(self.path, "ab", compresslevel=6) as out:
            out.write(b"\n".join(batch) + b"\n")

    async def close(self) -> None:
        try:
            await self.flush()
        finally:
            self._writer.shutdown(wait=True)
