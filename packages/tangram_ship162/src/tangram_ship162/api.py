"""HTTP routes under ``/ship162``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from .runtime import RUNTIME, Ship162Runtime, parse_mmsi

__all__ = ["MAX_RESULTS", "router"]

router = APIRouter(prefix="/ship162", tags=["ship162"])

#: Search answers at most this many ships.
MAX_RESULTS = 50

Runtime = Annotated[Ship162Runtime, Depends(RUNTIME.dependency)]


@router.get("/ships")
async def ships(runtime: Runtime) -> dict[str, Any]:
    """The whole live picture: ``{"count", "ship": [...]}``."""
    return {"count": len(runtime.table), "ship": list(runtime.table.records.values())}


@router.get("/data/{mmsi}")
async def trajectory(
    mmsi: str, runtime: Runtime, since: float | None = None
) -> list[dict[str, Any]]:
    """Recent trajectory of one ship, oldest point first; ``since`` (UNIX s) shortens it."""
    key = parse_mmsi(mmsi)
    if key is None:
        raise HTTPException(
            422, f"mmsi {mmsi!r} is not a number of up to 9 digits (e.g. 227006760)"
        )
    if runtime.history is None:
        raise HTTPException(
            404, "history is disabled; set history_enabled = true in [plugins.tangram_ship162]"
        )
    await runtime.history.flush()  # include the points of the last second
    return await runtime.history.trajectory(key, since)


@router.get("/search")
async def search(
    runtime: Runtime, q: Annotated[str, Query(min_length=1, max_length=64)]
) -> dict[str, Any]:
    """Live ships whose name, call sign or MMSI contains ``q`` (case-insensitive);
    at most ``MAX_RESULTS``, exact MMSI and name-prefix matches first."""
    needle = q.strip().upper()
    found: list[tuple[int, dict[str, Any]]] = []
    for record in runtime.table.records.values():
        mmsi = str(record["mmsi"])
        name = (record["shipname"] or "").upper()
        callsign = (record["callsign"] or "").upper()
        if needle == mmsi or needle == callsign:
            rank = 0
        elif name.startswith(needle) or mmsi.startswith(needle):
            rank = 1
        elif needle in name or needle in callsign or needle in mmsi:
            rank = 2
        else:
            continue
        found.append((rank, record))
    found.sort(key=lambda item: (item[0], item[1]["shipname"] or "~", item[1]["mmsi"]))
    return {"count": len(found), "ship": [record for _, record in found[:MAX_RESULTS]]}


@router.get("/stats")
async def stats(runtime: Runtime) -> dict[str, Any]:
    """Counters: lines, messages, noise by kind (with samples), sources, streaming."""
    return runtime.snapshot()
