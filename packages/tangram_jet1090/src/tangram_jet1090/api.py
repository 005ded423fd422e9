"""HTTP routes under ``/jet1090``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException

from . import _running

__all__ = ["router"]

router = APIRouter(prefix="/jet1090", tags=["jet1090"])

_ICAO24 = re.compile(r"^[0-9a-fA-F]{6}$")


def _runtime() -> Any:
    runtime = _running.current
    if runtime is None:
        raise HTTPException(503, "the jet1090 plugin is not running (is it in core.plugins?)")
    return runtime


@router.get("/data/{icao24}")
async def trajectory(icao24: str, since: float | None = None) -> list[dict[str, Any]]:
    """Recent trajectory of one aircraft, oldest point first (``timestamp`` and the
    state-vector fields at that time); ``since`` (UNIX s) shortens it."""
    if not _ICAO24.match(icao24):
        raise HTTPException(
            422, f"icao24 {icao24!r} is not 6 hexadecimal digits (for example 393322)"
        )
    runtime = _runtime()
    if runtime.history is None:
        raise HTTPException(
            404, "history is disabled; set history_enabled = true in [plugins.tangram_jet1090]"
        )
    await runtime.history.flush()  # include the points of the last second
    points: list[dict[str, Any]] = await runtime.history.trajectory(icao24, since)
    return points


@router.get("/aircraft")
async def aircraft() -> dict[str, Any]:
    """The whole live picture (what a browser with no viewport would get)."""
    runtime = _runtime()
    return {"count": len(runtime.table), "aircraft": list(runtime.table.records.values())}


@router.get("/stats")
async def stats() -> dict[str, Any]:
    """Feed counters: messages received, applied, malformed and unknown, etc."""
    snapshot: dict[str, Any] = _runtime().snapshot()
    return snapshot


@router.get("/receivers")
async def receivers() -> dict[str, Any]:
    """Per-receiver figures for ``sources``: connected, messages/s, last message, errors."""
    hub = _runtime().receivers
    if hub is None:
        return {"receivers": [], "decoder": None, "duplicates": 0}
    snapshot: dict[str, Any] = hub.snapshot()
    return snapshot
