"""HTTP routes under ``/jet1090``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from .runtime import RUNTIME, Jet1090Runtime

__all__ = ["router"]

router = APIRouter(prefix="/jet1090", tags=["jet1090"])

#: Checked with ``fullmatch``: ``$`` would also accept a trailing newline (``%0A``).
_ICAO24 = re.compile(r"[0-9a-fA-F]{6}")

#: This app's runtime (the plugin's lifespan stores it; 503 while it is not running).
Runtime = Annotated[Jet1090Runtime, Depends(RUNTIME.dependency)]


@router.get("/data/{icao24}")
async def trajectory(
    icao24: str, runtime: Runtime, since: float | None = None
) -> list[dict[str, Any]]:
    """Recent trajectory of one aircraft, oldest point first (``timestamp`` and the
    state-vector fields at that time); ``since`` (UNIX s) shortens it."""
    if not _ICAO24.fullmatch(icao24):
        raise HTTPException(
            422, f"icao24 {icao24!r} is not 6 hexadecimal digits (for example 393322)"
        )
    if runtime.history is None:
        raise HTTPException(
            404, "history is disabled; set history_enabled = true in [plugins.tangram_jet1090]"
        )
    await runtime.history.flush()  # include the points of the last second
    points: list[dict[str, Any]] = await runtime.history.trajectory(icao24, since)
    return points


@router.get("/aircraft")
async def aircraft(runtime: Runtime) -> dict[str, Any]:
    """The whole live picture (what a browser with no viewport would get)."""
    return {"count": len(runtime.table), "aircraft": list(runtime.table.records.values())}


@router.get("/stats")
async def stats(runtime: Runtime) -> dict[str, Any]:
    """Feed counters: messages received, applied, malformed and unknown, etc."""
    return runtime.snapshot()
