"""The running plugin: live table, streaming clients, history, and their loops.

One ``Jet1090Runtime`` exists per ``tangram serve``; the lifespan creates it and the
services run its loops. The feed callbacks (``ingest``, ``control``) are synchronous
and run inside the feed reader's batch loop; the loops only touch shared state
between awaits, so no locking is needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from tangram.entities import CONTROL_PATTERN, open_history, publish_frames, run_every
from tangram.state import StateSlot

from .aircraft import AircraftTable
from .aircraftdb import AircraftDatabase, download_database, is_fresh
from .config import Jet1090Config
from .feed import FeedReader
from .flight_history import FlightHistoryStore
from .history import HistoryStore
from .parse import MalformedMessage, UnknownMessage, Update, extract, parse_message
from .receivers_setup import build_receivers
from .replay import ReplayError, ReplayStats, replay
from .streaming import StreamingClients

__all__ = ["RUNTIME", "FeedStats", "Jet1090Runtime"]

log = logging.getLogger(__name__)

#: Each browser's private topic: its pushes and the gateway's lifecycle events.
CONTROL_PATTERNS = (CONTROL_PATTERN,)


@dataclass
class FeedStats:
    received: int = 0
    applied: int = 0
    malformed: int = 0
    unknown: int = 0
    expired: int = 0
    frames_sent: int = 0
    last_error: str | None = None


class Jet1090Runtime:
    def __init__(self, config: Jet1090Config, redis_url: str, base_dir: Path | None = None):
        self.config = config
        self.base_dir = base_dir
        self.table = AircraftTable(config.state_vector_expire)
        self.clients = StreamingClients()
        self.stats = FeedStats()
        self.replay_stats = ReplayStats()
        self.aircraft_db: AircraftDatabase | None = None
        self.history: HistoryStore | None = None
        if config.history_enabled:
            self.history = FlightHistoryStore(
                config.history_file(base_dir),
                retention_secs=config.history_retention_secs,
                sample_secs=config.history_sample_secs,
            )
        self.feed = FeedReader(
            "jet1090",
            redis_url,
            channels=[config.jet1090_channel],
            patterns=CONTROL_PATTERNS,
            on_message=self.ingest,
            on_pmessage=self.control,
        )
        #: Receivers read directly (``sources``), or None.
        self.receivers = build_receivers(config, base_dir, self.ingest_decoded, self.apply)

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        await open_history(self.history, "tangram_jet1090")
        cached = self.config.aircraft_db_file(self.base_dir)
        if cached.is_file():
            self._use_database(cached)

    async def close(self) -> None:
        if self.history is not None:
            await self.history.close()
        if self.aircraft_db is not None:
            self.aircraft_db.close()

    # -- feed callbacks (synchronous, hot path) ------------------------------------

    def ingest(self, channel: bytes, data: bytes) -> None:
        self._ingest(parse_message, data)

    def ingest_decoded(self, message: dict[str, Any]) -> None:
        """A message decoded in-process (``sources``): the same path as the feed's."""
        self._ingest(extract, message)

    def apply(self, icao24: str, timestamp: float, fields: dict[str, Any]) -> None:
        """The fields of a frame decoded in-process (already checked, see
        ``receivers.decode``): the same state and history updates, without a message."""
        stats = self.stats
        stats.received += 1
        record = self.table.update(icao24, timestamp, fields, time.time())
        stats.applied += 1
        if self.history is not None and "latitude" in fields:
            self.history.observe(record)

    def _ingest(self, read: Callable[[Any], Update], data: Any) -> None:
        stats = self.stats
        stats.received += 1
        try:
            icao24, timestamp, fields = read(data)
        except MalformedMessage as exc:
            stats.malformed += 1
            self._report(exc, data)
            return
        except UnknownMessage as exc:
            stats.unknown += 1
            self._report(exc, data)
            return
        record = self.table.update(icao24, timestamp, fields, time.time())
        stats.applied += 1
        if self.history is not None and "latitude" in fields:
            self.history.observe(record)

    def _report(self, exc: Exception, data: Any) -> None:
        shown = data[:120] if isinstance(data, bytes) else str(data)[:120]
        self.stats.last_error = f"{exc} in {shown!r}"
        # The first few are worth a warning; a broken feed must not flood the log.
        if self.stats.malformed + self.stats.unknown <= 5:
            log.warning("skipping a jet1090 message: %s", self.stats.last_error)

    def control(self, pattern: bytes, channel: bytes, data: bytes) -> None:
        self.clients.handle(channel.decode("utf-8", "replace"), data, time.monotonic())

    # -- loops (one service each) ----------------------------------------------------

    async def stream_forever(self, redis_client: aioredis.Redis) -> None:
        """Every ``stream_interval_secs``: expire, then send each client its frame."""
        interval = self.config.stream_interval_secs
        await run_every(interval, lambda: self.stream_once(redis_client), "streaming frames")

    async def stream_once(self, redis_client: aioredis.Redis) -> int:
        timeout = self.config.streaming_client_timeout_secs
        expired, sent = await publish_frames(redis_client, self.table, self.clients, timeout)
        self.stats.expired += expired
        self.stats.frames_sent += sent
        return sent

    async def receivers_forever(self, redis_client: aioredis.Redis) -> None:
        if self.receivers is not None:
            await self.receivers.run(redis_client)

    async def history_forever(self) -> None:
        if self.history is not None:
            await self.history.maintain()

    async def aircraft_db_refresh(self, http_client: httpx.AsyncClient) -> None:
        """Download the database when configured and missing or old; never raises."""
        url = self.config.aircraft_db_url
        target = self.config.aircraft_db_file(self.base_dir)
        if not url or is_fresh(target, self.config.aircraft_db_max_age_days):
            return
        try:
            await download_database(http_client, url, target)
        except Exception as exc:  # offline is a normal situation
            log.warning(
                "aircraft database not downloaded from %s (%s); registrations stay empty "
                "until it is reachable (set aircraft_db_url to another mirror, or unset it)",
                url,
                exc,
            )
            return
        self._use_database(target)

    def _use_database(self, path: Path) -> None:
        try:
            database = AircraftDatabase(path)
        except Exception as exc:  # a bad cache must not stop the plugin
            log.warning("%s is not a usable BaseStation database (%s); ignoring it", path, exc)
            return
        old, self.aircraft_db = self.aircraft_db, database
        self.table.set_registry(database.lookup)
        if old is not None:
            old.close()
        log.info("aircraft database: %s", path)

    async def replay_forever(self, redis_client: aioredis.Redis) -> None:
        path = self.config.replay_path(self.base_dir)
        if path is None:
            return
        # Publishing before our own subscription is active would lose the first messages.
        try:
            await asyncio.wait_for(self.feed.subscribed.wait(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("replay starts although the feed is not subscribed yet")
        log.info(
            "replaying %s on %r (speed %g%s)",
            path,
            self.config.jet1090_channel,
            self.config.replay_speed,
            ", loop" if self.config.replay_loop else "",
        )
        try:
            await replay(
                redis_client,
                path,
                self.config.jet1090_channel,
                speed=self.config.replay_speed,
                loop=self.config.replay_loop,
                stats=self.replay_stats,
            )
        except ReplayError as exc:
            # A wrong path stays wrong: report it once instead of restarting forever.
            log.error("plugins.tangram_jet1090.replay_file: %s", exc)

    def snapshot(self) -> dict[str, Any]:
        """Counters for ``GET /jet1090/stats``."""
        return {
            **asdict(self.stats),
            "aircraft": len(self.table),
            "streaming_clients": sorted(self.clients.clients),
            "history_points_written": self.history.written if self.history else None,
            "history_pending": len(self.history.pending) if self.history else None,
            "history_dropped": self.history.dropped if self.history else None,
            "aircraft_db": str(self.aircraft_db.path) if self.aircraft_db else None,
            "replay": asdict(self.replay_stats),
            "feed_reconnects": self.feed.reconnects,
        }


#: The running plugin of one app: set by the lifespan, read by services and routes.
RUNTIME: StateSlot[Jet1090Runtime] = StateSlot("tangram_jet1090.runtime")
