"""The periodic work of one gateway process: idle and slow sockets, liveness, reaping.

Every tick (at most 1 s): close sockets silent for ``heartbeat_timeout_secs`` (4009),
re-check the slow-client policy of sockets over their buffer limit, refresh this
process's liveness in Redis every third of the presence TTL, and reap the presence
entries of processes whose liveness expired (publishing their leaves).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time

from ..config import ChannelConfig
from ..resp import RedisDown
from .connection import CLOSE_IDLE, Connection
from .events import Events
from .limits import LogThrottle
from .presence import Presence

__all__ = ["Housekeeping"]

log = logging.getLogger(__name__)


class Housekeeping:
    """Runs :meth:`run` for the life of the gateway; :meth:`restore_presence` on demand."""

    def __init__(
        self,
        config: ChannelConfig,
        connections: set[Connection],
        presence: Presence,
        events: Events,
        stats: collections.Counter[str],
        presence_ttl: float,
        throttle: LogThrottle,
    ) -> None:
        self.config = config
        self.connections = connections
        self.presence = presence
        self.events = events
        self.stats = stats
        self.presence_ttl = presence_ttl
        self.throttle = throttle

    async def run(self) -> None:
        timeout = self.config.heartbeat_timeout_secs
        handshake = self.config.handshake_timeout_secs
        tick = min(1.0, timeout / 4, handshake / 4)
        last_beat = last_reap = 0.0
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            for conn in list(self.connections):
                if conn.closing:
                    continue
                http = conn.http
                if http is not None and now - http.started > handshake:
                    # Not the idle rule: a slow client feeding a byte at a time is busy.
                    self.stats["handshake_timeouts"] += 1
                    self.throttle.warning(
                        "handshake",
                        "closed an HTTP connection that did not complete a request within"
                        " %g s ([channel] handshake_timeout_secs)",
                        handshake,
                    )
                    conn.close_http(408, f"request not complete within {handshake:g} s")
                elif now - conn.last_seen > timeout:
                    self.stats["idle_closes"] += 1
                    if conn.ws is None:  # an HTTP client that went quiet
                        conn.close_http()
                    else:
                        conn.close(CLOSE_IDLE, f"no heartbeat for {timeout:g} s", "timeout")
                elif conn.over_since is not None:
                    conn.check_slow()
            if now - last_beat >= self.presence_ttl / 3:
                last_beat = now
                await self._beat()
            if now - last_reap >= 1.0:
                last_reap = now
                with contextlib.suppress(RedisDown):
                    for topic, client_id, ref in await self.presence.reap():
                        self.events.lifecycle(topic, client_id, ref, "phx_leave", "disconnect")

    async def restore_presence(self) -> None:
        """Re-record our presence entries; announce those that had gone (reaped)."""
        with contextlib.suppress(RedisDown):
            for topic, client_id, ref in await self.presence.restore():
                self.events.lifecycle(topic, client_id, ref, "phx_join")

    async def _beat(self) -> None:
        try:
            reaped = await asyncio.wait_for(self.presence.beat(), timeout=2)
            if reaped:
                log.warning(
                    "this gateway (instance %s) missed its liveness deadline, so its presence"
                    " entries may have been reaped; restoring them",
                    self.presence.instance,
                )
                await self.restore_presence()
        except (RedisDown, asyncio.TimeoutError):
            pass  # the link reconnects by itself; the gateway restores on reconnection
