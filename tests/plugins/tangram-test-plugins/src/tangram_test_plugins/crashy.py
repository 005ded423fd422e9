"""A plugin with a service that always crashes next to one that keeps working."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

import tangram

router = APIRouter(prefix="/crashy")
plugin = tangram.Plugin(routers=[router])


@router.get("/")
async def alive() -> dict[str, str]:
    return {"status": "still serving"}


@plugin.register_service(priority=1)
async def crash(backend_state: tangram.BackendState) -> None:
    await backend_state.redis_client.incr("crashy:runs")
    raise RuntimeError("this service crashes on purpose")


@plugin.register_service(priority=2)
async def heartbeat(backend_state: tangram.BackendState) -> None:
    while True:
        await backend_state.redis_client.incr("crashy:heartbeats")
        await asyncio.sleep(0.2)
