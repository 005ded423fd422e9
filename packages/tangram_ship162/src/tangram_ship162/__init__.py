"""tangram_ship162: live AIS vessels next to the aircraft.

Reads NMEA 0183 (``!AIVDM``/``!AIVDO``) from TCP servers and UDP datagrams, decodes it
with pyais, and also takes upstream's decoded JSON on the Redis channel ``ship162``.
Ships run on the shared entity facility (:mod:`tangram.entities`): one state per
MMSI, streamed to each browser for its view, with a trajectory history. See
docs/ship162.md.
"""

from __future__ import annotations

import tangram
from tangram.entities import runtime_lifespan

from .api import router
from .cli import app as commands
from .config import Ship162Config
from .runtime import RUNTIME, Ship162Runtime

__all__ = ["RUNTIME", "Ship162Config", "Ship162Runtime", "plugin"]


lifespan = runtime_lifespan(
    RUNTIME, lambda state, base_dir: Ship162Runtime(plugin.config, state.redis_url, base_dir)
)


plugin: tangram.Plugin[Ship162Config] = tangram.Plugin(
    frontend_path="dist-frontend",
    routers=[router],
    config_class=Ship162Config,
    lifespan=lifespan,
    commands=commands,
)


@plugin.register_service()
async def listen(backend_state: tangram.BackendState) -> None:
    """The browsers' streaming topics and upstream's ship162 channel."""
    await RUNTIME.get(backend_state).listen_forever()


@plugin.register_service()
async def sources(backend_state: tangram.BackendState) -> None:
    """Read the NMEA sources (tcp:// and udp://)."""
    await RUNTIME.get(backend_state).sources_forever()


@plugin.register_service(priority=1)
async def stream(backend_state: tangram.BackendState) -> None:
    """Send every streaming browser its ships, every stream_interval_secs."""
    await RUNTIME.get(backend_state).feed.stream_forever(backend_state.redis_client)


@plugin.register_service(priority=1)
async def history_writer(backend_state: tangram.BackendState) -> None:
    """Write trajectory points in batches and prune old ones."""
    await RUNTIME.get(backend_state).feed.history_forever()


@plugin.register_service(priority=3)
async def replayer(backend_state: tangram.BackendState) -> None:
    """Play ``replay_file`` when configured (the simulated demo scene)."""
    await RUNTIME.get(backend_state).replay_forever()
