"""HTTP routes for looking back and searching: ``/jet1090/search``, ``/history``, ``/at``.

Every client-controlled value is bounded here, with a 422 naming the parameter; the
queries themselves (history_query.py, live_search.py) run in a worker thread.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from .api import _ICAO24
from .history import HistoryStore
from .history_query import (
    Box,
    TooManyPoints,
    picture_at,
    search_flights,
    slice_points,
    stored_range,
)
from .live_search import search_live
from .runtime import RUNTIME, Jet1090Runtime

__all__ = [
    "MAX_LOOKBACK_SECS",
    "MAX_QUERY_CHARS",
    "MAX_SLICE_POINTS",
    "MAX_SPAN_SECS",
    "router",
]

router = APIRouter(prefix="/jet1090", tags=["jet1090"])

#: Longest search text (after trimming).
MAX_QUERY_CHARS = 32
#: Longest history slice (``stop - start``), and most points one slice may hold.
MAX_SPAN_SECS = 86400.0
MAX_SLICE_POINTS = 100_000
#: Default and longest look-back of the picture at a past instant.
DEFAULT_LOOKBACK_SECS = 60.0
MAX_LOOKBACK_SECS = 600.0

Runtime = Annotated[Jet1090Runtime, Depends(RUNTIME.dependency)]


def _unprocessable(name: str, problem: str) -> HTTPException:
    return HTTPException(422, f"{name}: {problem}")


def _query_text(q: str) -> str:
    text = q.strip()
    if not 1 <= len(text) <= MAX_QUERY_CHARS:
        raise _unprocessable(
            "q", f"expected 1 to {MAX_QUERY_CHARS} characters after trimming, got {len(text)}"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise _unprocessable("q", "control characters are not allowed")
    return text


def _finite(name: str, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise _unprocessable(name, f"expected a finite number, got {value}")
    return value


async def _store(runtime: Jet1090Runtime) -> HistoryStore:
    if runtime.history is None:
        raise HTTPException(
            404, "history is disabled; set history_enabled = true in [plugins.tangram_jet1090]"
        )
    await runtime.history.flush()  # include the points of the last second
    return runtime.history


@router.get("/search")
async def search(
    runtime: Runtime,
    q: Annotated[str, Query(max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Past flights whose callsign, icao24, registration or a squawk contains ``q``,
    newest first (1-2 characters: prefixes only)."""
    text = _query_text(q)
    store = await _store(runtime)
    found: list[dict[str, Any]] = await asyncio.to_thread(search_flights, store.path, text, limit)
    return found


@router.get("/search/live")
async def search_live_aircraft(
    runtime: Runtime,
    q: Annotated[str, Query(max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Live aircraft matching ``q`` (callsign, icao24, registration, squawk), ranked,
    each with a ``score``."""
    return search_live(runtime.table.records.values(), _query_text(q), limit)


@router.get("/history/range")
async def history_range(runtime: Runtime) -> dict[str, Any]:
    """The stored time range (``start``/``stop``, null when empty) and retention."""
    store = await _store(runtime)
    bounds: dict[str, Any] = await asyncio.to_thread(stored_range, store.path)
    return {**bounds, "retention_secs": store.retention_secs}


@router.get("/history/{icao24}")
async def history(
    icao24: str,
    runtime: Runtime,
    start: float | None = None,
    stop: float | None = None,
) -> list[dict[str, Any]]:
    """One aircraft's points between ``start`` and ``stop`` (UNIX s), in time order."""
    if not _ICAO24.fullmatch(icao24):
        raise _unprocessable("icao24", f"{icao24!r} is not 6 hexadecimal digits (e.g. 393322)")
    end = _finite("stop", stop)
    end = time.time() if end is None else end
    begin = _finite("start", start)
    begin = end - 3600 if begin is None else begin
    if begin > end:
        raise _unprocessable("start", f"start {begin} is after stop {end}")
    if end - begin > MAX_SPAN_SECS:
        raise _unprocessable(
            "start", f"stop - start is {end - begin:g} s, at most {MAX_SPAN_SECS:g} s allowed"
        )
    store = await _store(runtime)
    try:
        points: list[dict[str, Any]] = await asyncio.to_thread(
            slice_points, store.path, icao24, begin, end, MAX_SLICE_POINTS
        )
    except TooManyPoints:
        raise _unprocessable(
            "start", f"more than {MAX_SLICE_POINTS} points in this slice; narrow start/stop"
        ) from None
    return points


@router.get("/at")
async def at(
    runtime: Runtime,
    t: float,
    north: float | None = None,
    south: float | None = None,
    east: float | None = None,
    west: float | None = None,
    lookback: float = DEFAULT_LOOKBACK_SECS,
) -> dict[str, Any]:
    """The picture at instant ``t``: each aircraft's latest point in ``(t - lookback,
    t]``, inside the optional box, as a stream frame."""
    _finite("t", t)
    if not 0 < lookback <= MAX_LOOKBACK_SECS:  # also refuses nan
        raise _unprocessable(
            "lookback", f"expected more than 0 and at most {MAX_LOOKBACK_SECS:g} s, got {lookback}"
        )
    box = _box(north, south, east, west)
    store = await _store(runtime)
    count, aircraft = await asyncio.to_thread(picture_at, store.path, t, lookback, box)
    lookup = runtime.aircraft_db.lookup if runtime.aircraft_db is not None else None
    if lookup is not None:
        for state in aircraft:
            found = lookup(state["icao24"])
            if found is not None:
                state["registration"], state["typecode"] = found
    return {"timestamp": t, "count": count, "aircraft": aircraft}


def _box(
    north: float | None, south: float | None, east: float | None, west: float | None
) -> Box | None:
    given = {"north": north, "south": south, "east": east, "west": west}
    if all(value is None for value in given.values()):
        return None
    missing = [name for name, value in given.items() if value is None]
    if north is None or south is None or east is None or west is None:
        raise _unprocessable(missing[0], "a box needs all of north, south, east and west")
    for name, value, bound in (
        ("north", north, 90),
        ("south", south, 90),
        ("east", east, 180),
        ("west", west, 180),
    ):
        if not -bound <= value <= bound:  # also refuses nan
            raise _unprocessable(name, f"expected a number in [-{bound}, {bound}], got {value}")
    if south > north:
        raise _unprocessable("south", f"south {south} is north of north {north}")
    return Box(north, south, east, west)
