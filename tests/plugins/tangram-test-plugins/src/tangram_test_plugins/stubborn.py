"""A plugin that will not stop: a service that swallows its cancellation, one stuck in a
worker thread, and a lifespan whose exit never ends. ``tangram serve`` must stop anyway."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import tangram


@contextlib.asynccontextmanager
async def lifespan(backend_state: tangram.BackendState) -> AsyncIterator[None]:
    yield
    print("stubborn: lifespan exit starts a very long clean-up", flush=True)
    await asyncio.sleep(3600)


plugin = tangram.Plugin(lifespan=lifespan)


@plugin.register_service()
async def ignores_cancellation(backend_state: tangram.BackendState) -> None:
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print("stubborn: cancelled, carrying on", flush=True)


@plugin.register_service()
async def stuck_in_a_thread(backend_state: tangram.BackendState) -> None:
    await asyncio.to_thread(time.sleep, 3600)
