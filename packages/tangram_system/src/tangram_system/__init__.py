"""The ``tangram_system`` plugin: host metrics on the ``system`` channel.

Every second the service publishes four small messages to ``to:system:update-node``, one
per value, each ``{"el": <name>, "value": <value>}``: the format the tangram frontend
has always used, so that existing widgets keep working. The top-bar widget in
``frontend/`` renders them; ``GET /system/`` returns the latest round. The round lives in
the app's state slot (``METRICS``), filled by the plugin's lifespan.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import psutil
from fastapi import APIRouter, Depends

import tangram

__all__ = [
    "CHANNEL",
    "METRICS",
    "Metrics",
    "format_uptime",
    "plugin",
    "publish_system_info",
    "router",
    "system_messages",
]

#: Redis channel the gateway relays to the browsers' ``system`` topic.
CHANNEL = "to:system:update-node"
INTERVAL_SECS = 1.0


@dataclass
class Metrics:
    """Per running app: when the process started, and the last published round."""

    started_at: float
    latest: list[dict[str, Any]] = field(default_factory=list)


METRICS: tangram.StateSlot[Metrics] = tangram.StateSlot("tangram_system.metrics")

router = APIRouter(prefix="/system", tags=["system"])


@router.get("/")
async def latest(metrics: Annotated[Metrics, Depends(METRICS.dependency)]) -> list[dict[str, Any]]:
    """The last round of ``update-node`` messages (empty until the first one)."""
    return metrics.latest


@asynccontextmanager
async def lifespan(backend_state: tangram.BackendState) -> AsyncIterator[None]:
    with METRICS.bound(backend_state, Metrics(started_at=psutil.Process().create_time())):
        yield


plugin: tangram.Plugin[None] = tangram.Plugin(
    frontend_path="dist-frontend", routers=[router], lifespan=lifespan
)


def format_uptime(seconds: float) -> str:
    """Whole seconds as Python prints a ``timedelta``: ``3:00:05``, ``1 day, 3:00:05``
    (the upstream format, which existing widgets display as is)."""
    return str(timedelta(seconds=max(0, int(seconds))))


def _percent(read: Callable[[], float]) -> str:
    # psutil cannot read everything everywhere (load average in some containers);
    # the widget then shows the word rather than the service crashing every second.
    try:
        return f"{read():.2f}%"
    except Exception:
        return "Unavailable"


def _load_percent() -> float:
    """One-minute load average per logical CPU, as a percentage (upstream's cpu_load)."""
    load1: float = psutil.getloadavg()[0]
    return load1 / (psutil.cpu_count(logical=True) or 1) * 100


def system_messages(started_at: float, now: float | None = None) -> list[dict[str, Any]]:
    """The four ``update-node`` messages for this instant, in upstream's format.

    ``uptime`` counts from ``started_at`` (the tangram process start); ``info_utc`` is
    the server's clock in whole seconds, expressed in milliseconds.
    """
    now = time.time() if now is None else now
    return [
        {"el": "uptime", "value": format_uptime(now - started_at)},
        {"el": "info_utc", "value": 1000 * int(now)},
        {"el": "cpu_load", "value": _percent(_load_percent)},
        {"el": "ram_usage", "value": _percent(lambda: psutil.virtual_memory().percent)},
    ]


@plugin.register_service()
async def publish_system_info(backend_state: tangram.BackendState) -> None:
    """Publish the metrics once a second, until the server stops."""
    redis = backend_state.redis_client
    metrics = METRICS.get(backend_state)
    loop = asyncio.get_running_loop()
    next_tick = loop.time()
    while True:
        metrics.latest = system_messages(metrics.started_at)
        for message in metrics.latest:
            await redis.publish(CHANNEL, json.dumps(message))
        # Schedule on a fixed grid so the clock does not drift by the publish time.
        next_tick = max(next_tick + INTERVAL_SECS, loop.time())
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
