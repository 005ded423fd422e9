"""tangram_jet1090: live aircraft from a jet1090 Mode S decoder.

jet1090 publishes decoded messages on Redis; this plugin keeps one state vector per
aircraft, streams each browser the aircraft inside its viewport, stores trajectories
(``GET /jet1090/data/{icao24}``) and can replay recordings, including a demo around
Paris. See docs/jet1090.md.
"""

from __future__ import annotations

import asyncio

import tangram
from tangram.entities import runtime_lifespan

from .api import router
from .api_history import router as history_router
from .cli import app as commands
from .config import Jet1090Config
from .runtime import RUNTIME, Jet1090Runtime

__all__ = ["RUNTIME", "Jet1090Config", "Jet1090Runtime", "plugin"]


lifespan = runtime_lifespan(
    RUNTIME, lambda state, base_dir: Jet1090Runtime(plugin.config, state.redis_url, base_dir)
)


plugin: tangram.Plugin[Jet1090Config] = tangram.Plugin(
    frontend_path="dist-frontend",
    routers=[router, history_router],
    config_class=Jet1090Config,
    lifespan=lifespan,
    commands=commands,
)


@plugin.register_service()
async def ingest(backend_state: tangram.BackendState) -> None:
    """Read the jet1090 channel and the browsers' streaming requests."""
    await RUNTIME.get(backend_state).feed.run()


@plugin.register_service()
async def receivers(backend_state: tangram.BackendState) -> None:
    """Read the receivers listed in ``sources`` (Beast, AVR, SBS over TCP), if any."""
    await RUNTIME.get(backend_state).receivers_forever(backend_state.redis_client)


@plugin.register_service(priority=1)
async def stream(backend_state: tangram.BackendState) -> None:
    """Send every streaming browser its frame, every stream_interval_secs."""
    await RUNTIME.get(backend_state).stream_forever(backend_state.redis_client)


@plugin.register_service(priority=1)
async def history_writer(backend_state: tangram.BackendState) -> None:
    """Write trajectory points in batches and prune old ones."""
    await RUNTIME.get(backend_state).history_forever()


@plugin.register_service(priority=2)
async def aircraft_database(backend_state: tangram.BackendState) -> None:
    """Download the BaseStation database in the background when configured, then
    check once a day whether the cached copy has become older than allowed."""
    while True:
        await RUNTIME.get(backend_state).aircraft_db_refresh(backend_state.http_client)
        await asyncio.sleep(86400)


@plugin.register_service(priority=3)
async def replayer(backend_state: tangram.BackendState) -> None:
    """Replay ``replay_file`` when configured (the demo)."""
    await RUNTIME.get(backend_state).replay_forever(backend_state.redis_client)
