"""Shared fixtures: an in-process plugin runtime against a private Redis, and recordings."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from tangram_jet1090.config import Jet1090Config
from tangram_jet1090.receivers import avr, beast, sbs
from tangram_jet1090.runtime import Jet1090Runtime

from tangram.testing import RedisServer, free_port, wait_for_subscribers

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


def serve_config(redis_url: str, folder: Path, *plugin_lines: str, history: bool = True) -> str:
    """A ``tangram.toml`` for ``tangram serve`` with this plugin only, the channel off, no
    aircraft database, and history in ``folder/history.sqlite`` keeping every point (or
    ``history_enabled = false``); ``plugin_lines`` go into ``[plugins.tangram_jet1090]``."""
    if history:
        stored = f'history_path = "{folder / "history.sqlite"}"\nhistory_sample_secs = 0'
    else:
        stored = "history_enabled = false"
    extra = "".join(f"{line}\n" for line in plugin_lines)
    return f"""
[core]
redis_url = "{redis_url}"
plugins = ["tangram_jet1090"]

[channel]
enabled = false
port = {{channel_port}}

[plugins.tangram_jet1090]
{stored}
aircraft_db_cache = "{folder / "none.sqb"}"
{extra}"""


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


# -- receivers (Beast, AVR, SBS over TCP) ------------------------------------------------

#: BaseStation transmission type per jet1090 message kind (bds, or df without bds).
_SBS_TYPE = {"08": 1, "06": 2, "05": 3, "09": 4, "4": 5, "5": 6}


def receiver_feed(kind: str, start: float, end: float) -> bytes:
    """The AFR34ZG messages between ``start`` and ``end`` seconds into the flight as a
    receiver would serve them: Beast, AVR (from the raw frames) or SBS (from the
    decoded fields)."""
    out = []
    with gzip.open(SAMPLE, "rb") as src:
        for line in src:
            msg = orjson.loads(line)
            if not start <= msg["timestamp"] - SAMPLE_START < end:
                continue
            payload = bytes.fromhex(msg["frame"])
            if int(msg["df"]) < 16:  # short frame; the sample pads every frame to 14 bytes
                payload = payload[:7]
            if kind == "beast":
                out.append(
                    beast.encode(payload, ticks=int((msg["timestamp"] % 86400) * 12e6), signal=90)
                )
            elif kind == "avr":
                out.append(avr.encode(payload))
            elif (sbs_type := _SBS_TYPE.get(msg.get("bds") or msg["df"])) is not None:
                out.append(sbs.encode(msg, sbs_type))
    return b"".join(out)


class FeedServer:
    """A receiver on 127.0.0.1: each client gets ``data`` (in paced chunks), then the
    connection stays open and silent until ``stop()``, which also closes the port."""

    def __init__(self, data: bytes, port: int | None = None, chunk: int = 4096) -> None:
        self.data = data
        self.chunk = chunk
        self.port = port or free_port()
        self.clients = 0
        self._stopped = threading.Event()
        self._conns: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.clients += 1
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            for i in range(0, len(self.data), self.chunk):
                if self._stopped.is_set():
                    return
                conn.sendall(self.data[i : i + self.chunk])
                time.sleep(0.002)
            self._stopped.wait()
        except OSError:
            pass

    def stop(self) -> None:
        self._stopped.set()
        # shutdown wakes the thread blocked in accept(), which would keep the port bound
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


@pytest.fixture
def feed_server() -> Iterator[Callable[..., FeedServer]]:
    """``feed_server(data, port=None)`` -> a running FeedServer, stopped afterwards."""
    started: list[FeedServer] = []

    def start(data: bytes, port: int | None = None) -> FeedServer:
        server = FeedServer(data, port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def wait_feed_subscribed(redis_url: str, channel: str = "jet1090", timeout: float = 15) -> None:
    """Until a served jet1090 plugin has subscribed to its feed (its ``channel`` and the
    browsers' ``from:streaming-*`` pattern): a replay or a bound-box published before
    that is lost."""
    wait_for_subscribers(redis_url, channel, patterns=1, timeout=timeout)
