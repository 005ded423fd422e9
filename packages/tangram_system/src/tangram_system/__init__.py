"""The ``tangram_system`` plugin: host metrics on the ``system`` channel.

Every second the service publishes four small messages to ``to:system:update-node``, one
per value, each ``{"el": <name>, "value": <value>}``: the format the tangram frontend
has always used, so that existing widgets keep working. The top-bar widget in
``frontend/`` renders them.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import psutil

import tangram

__all__ = ["CHANNEL", "format_uptime", "plugin", "publish_system_info", "system_messages"]

#: Redis channel the gateway relays to the browsers' ``system`` topic.
CHANNEL = "to:system:update-node"
INTERVAL_SECS = 1.0

plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path="dist-frontend")


def format_uptime(seconds: float) -> str:
    """``H:MM:SS``; hours keep counting past 24 rather than switching to days."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def system_messages(started_at: float, now: float | None = None) -> list[dict[str, Any]]:
    """The four ``update-node`` messages for this instant.

    ``uptime`` counts from ``started_at`` (the tangram process start), which is what a
    user watching the server wants to know; ``cpu_load`` is the system-wide CPU use since
    the previous call (psutil keeps that state).
    """
    now = time.time() if now is None else now
    return [
        {"el": "uptime", "value": format_uptime(now - started_at)},
        {"el": "info_utc", "value": int(now * 1000)},
        {"el": "cpu_load", "value": f"{psutil.cpu_percent(interval=None):.2f}%"},
        {"el": "ram_usage", "value": f"{psutil.virtual_memory().percent:.2f}%"},
    ]


@plugin.register_service()
async def publish_system_info(backend_state: tangram.BackendState) -> None:
    """Publish the metrics once a second, until the server stops."""
    redis = backend_state.redis_client
    started_at = psutil.Process().create_time()
    psutil.cpu_percent(interval=None)  # the first reading is meaningless; prime it
    loop = asyncio.get_running_loop()
    next_tick = loop.time()
    while True:
        for message in system_messages(started_at):
            await redis.publish(CHANNEL, json.dumps(message))
        # Schedule on a fixed grid so the clock does not drift by the publish time.
        next_tick = max(next_tick + INTERVAL_SECS, loop.time())
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
