"""The running plugin: NMEA sources and the Redis channel in, ships out.

Everything about streaming, expiry and history is the shared entity facility
(:mod:`tangram.entities`); this module decodes and counts. Callbacks are synchronous
and run on the event loop, so no locking is needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tangram.entities import (
    EntityFeed,
    EntityTable,
    HistoryStore,
    StreamingClients,
    open_history,
)
from tangram.state import StateSlot

from .config import Ship162Config
from .nmea import NmeaDecoder
from .replay import ReplayError, ReplayStats, paced_lines
from .sources import Source, SourceState, parse_source, run_source
from .upstream import MalformedJson, parse_json
from .vessel import FIELDS, HISTORY_COLUMNS, UnknownMessage

__all__ = ["EVENT", "RUNTIME", "TYPE_NAME", "JsonStats", "Ship162Runtime", "parse_mmsi"]

log = logging.getLogger(__name__)

#: The event of the ship frames on each browser's private topic.
EVENT = "new-ship162-data"
#: ``typeName`` of ships in the web app's entity store and ``selectedEntities``.
TYPE_NAME = "ship162_ship"


def parse_mmsi(value: object) -> int | None:
    text = str(value)
    return int(text) if text.isdigit() and len(text) <= 9 else None


@dataclass
class JsonStats:
    received: int = 0
    malformed: int = 0
    unknown: int = 0
    last_error: str | None = None


class Ship162Runtime:
    def __init__(self, config: Ship162Config, redis_url: str, base_dir: Path | None = None):
        self.config = config
        self.redis_url = redis_url
        self.base_dir = base_dir
        history = None
        if config.history_enabled:
            history = HistoryStore(
                config.history_file(base_dir),
                key=("mmsi", "INTEGER"),
                columns=HISTORY_COLUMNS,
                retention_secs=config.history_retention_secs,
                sample_secs=config.history_sample_secs,
                name="ship162-history",
            )
        self.feed = EntityFeed(
            EntityTable("mmsi", FIELDS, config.expire_secs, max_entities=config.max_ships),
            StreamingClients(
                EVENT, key="mmsi", list_name="ship", type_name=TYPE_NAME, parse_id=parse_mmsi
            ),
            history,
            interval_secs=config.stream_interval_secs,
            client_timeout_secs=config.streaming_client_timeout_secs,
        )
        self.decoder = NmeaDecoder(max_pending=config.max_pending_fragments)
        self.json = JsonStats()
        self.sources = {parse_source(s).name: SourceState() for s in config.sources}
        self.replay_stats = ReplayStats()
        self.replay_path = config.replay_path(base_dir)
        #: The demo scene is simulated: the web app and the log say so.
        self.simulated = config.replay_file == "demo"
        #: Set once the Redis subscriptions are active.
        self.subscribed = asyncio.Event()

    @property
    def table(self) -> EntityTable:
        return self.feed.table

    @property
    def history(self) -> HistoryStore | None:
        return self.feed.history

    async def open(self) -> None:
        await open_history(self.history, "tangram_ship162")

    async def close(self) -> None:
        if self.history is not None:
            await self.history.close()

    # -- input (synchronous) ---------------------------------------------------------

    def on_line(self, line: bytes, source: str = "") -> None:
        """One NMEA line from a source or the replayer."""
        try:
            decoded = self.decoder.feed(line, source, time.time())
        except Exception as exc:  # pyais surprises are noise too, never fatal
            self.decoder.stats.refuse("invalid", line, f"decoder error {exc!r}")
            return
        if decoded is not None:
            mmsi, timestamp, fields, _ = decoded
            self.feed.update(mmsi, timestamp, fields)

    def on_json(self, channel: str, data: bytes) -> None:
        """One message of upstream's ship162 channel."""
        stats = self.json
        stats.received += 1
        try:
            mmsi, timestamp, fields = parse_json(data)
        except (MalformedJson, UnknownMessage) as exc:
            if isinstance(exc, MalformedJson):
                stats.malformed += 1
            else:
                stats.unknown += 1
            stats.last_error = f"{exc} in {data[:120]!r}"
            if stats.malformed + stats.unknown <= 5:
                log.warning("skipping a ship162 message: %s", stats.last_error)
            return
        self.feed.update(mmsi, timestamp, fields)

    # -- loops (one service each) ------------------------------------------------------

    async def listen_forever(self) -> None:
        channels = [self.config.redis_channel] if self.config.redis_channel else []
        await self.feed.listen(self.redis_url, channels, self.on_json, self.subscribed)

    async def sources_forever(self) -> None:
        """Read every source; one that fails (a busy UDP port) retries on its own."""
        tasks = [asyncio.ensure_future(self._source(parse_source(v))) for v in self.config.sources]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _source(self, source: Source) -> None:
        state = self.sources[source.name]
        while True:
            try:
                await run_source(source, self.on_line, state)
            except OSError as exc:
                if state.last_error != str(exc):
                    log.error("AIS source %s: %s; retrying every 10 s", source.name, exc)
                state.last_error = str(exc)
            await asyncio.sleep(10)

    async def replay_forever(self) -> None:
        path = self.replay_path
        if path is None:
            return
        what = "SIMULATED AIS scene (not real ships)" if self.simulated else "NMEA log"
        log.info("replaying %s %s (speed %g)", what, path, self.config.replay_speed)
        lines = paced_lines(
            path,
            speed=self.config.replay_speed,
            loop=self.config.replay_loop,
            lines_per_sec=self.config.replay_lines_per_sec,
            stats=self.replay_stats,
        )
        try:
            async for line in lines:
                self.on_line(line, "replay")
        except ReplayError as exc:
            log.error("plugins.tangram_ship162.replay_file: %s", exc)

    def snapshot(self) -> dict[str, Any]:
        """Counters for ``GET /ship162/stats``."""
        decode = asdict(self.decoder.stats)
        history = self.history
        return {
            "ships": len(self.table),
            "simulated": self.simulated,
            "nmea": {**decode, "pending_fragments": self.decoder.pending},
            "json": asdict(self.json),
            **asdict(self.feed.counters),
            "streaming_clients": sorted(self.feed.clients.clients),
            "sources": {name: asdict(state) for name, state in self.sources.items()},
            "history_points_written": history.written if history else None,
            "history_dropped": history.dropped if history else None,
            "replay": asdict(self.replay_stats),
        }


#: The running plugin of one app: set by the lifespan, read by services and routes.
RUNTIME: StateSlot[Ship162Runtime] = StateSlot("tangram_ship162.runtime")
