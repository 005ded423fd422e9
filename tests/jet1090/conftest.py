"""Shared fixtures: an in-process plugin runtime against a private Redis, and recordings."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from tangram_jet1090.config import Jet1090Config
from tangram_jet1090.runtime import Jet1090Runtime

from tangram.testing import RedisServer

#: The project's shared sample data sits beside the repository (``../shared/data``), both
#: in a developer's checkout and in CI's clone.
SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared/data/traffic-2.13/full_flight_short.jsonl.gz"
)
#: Start of the AFR34ZG recording (UNIX s).
SAMPLE_START = 1720248189.5


def slice_recording(target: Path, start: float, end: float) -> Path:
    """Write the AFR34ZG messages between ``start`` and ``end`` seconds into the flight."""
    with gzip.open(SAMPLE, "rb") as src, gzip.open(target, "wb") as out:
        for line in src:
            ts = orjson.loads(line)["timestamp"] - SAMPLE_START
            if start <= ts < end:
                out.write(line)
    return target


@pytest.fixture
def afr_slice(tmp_path: Path) -> Callable[[float, float], Path]:
    """``afr_slice(start, end)``: a .jsonl.gz of part of the AFR34ZG flight."""

    def make(start: float, end: float) -> Path:
        return slice_recording(tmp_path / f"afr-{start:g}-{end:g}.jsonl.gz", start, end)

    return make


@dataclass
class Running:
    runtime: Jet1090Runtime
    redis: aioredis.Redis
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


@pytest.fixture
async def start_runtime(
    redis_server: RedisServer, tmp_path: Path
) -> AsyncIterator[Callable[..., Any]]:
    """``await start_runtime(**config)`` -> Running, with feed, stream and history loops."""
    started: list[Running] = []

    async def start(**options: Any) -> Running:
        options.setdefault("history_path", str(tmp_path / "history.sqlite"))
        options.setdefault("aircraft_db_cache", str(tmp_path / "basestation.sqb"))
        config = Jet1090Config.model_validate(options)
        runtime = Jet1090Runtime(config, redis_server.url, base_dir=tmp_path)
        await runtime.open()
        client = aioredis.Redis.from_url(redis_server.url)
        running = Running(runtime, client)
        running.tasks = [
            asyncio.create_task(runtime.feed.run()),
            asyncio.create_task(runtime.stream_forever(client)),
            asyncio.create_task(runtime.history_forever()),
        ]
        await asyncio.wait_for(runtime.feed.subscribed.wait(), timeout=5)
        started.append(running)
        return running

    yield start
    for running in started:
        for task in running.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await running.runtime.close()
        await running.redis.aclose()
