"""The ``reference`` position: ``[lat, lon]`` or an ICAO airport code, resolved offline."""

from __future__ import annotations

import functools
import math
from typing import Any

__all__ = ["resolve_reference"]


@functools.lru_cache(maxsize=1)
def _airports() -> dict[str, Any]:
    import airportsdata  # loading the table takes ~0.2 s: only when a code is used

    airports: dict[str, Any] = airportsdata.load("ICAO")
    return airports


def resolve_reference(value: str | list[float] | tuple[float, float]) -> tuple[float, float]:
    """``(lat, lon)``; raises ValueError saying what is wrong and what is expected."""
    if isinstance(value, str):
        code = value.strip().upper()
        airport = _airports().get(code)
        if airport is None:
            raise ValueError(
                f"{value!r} is not a known ICAO airport code; expected a code such as "
                '"LFPG", or the receiver position as [latitude, longitude]'
            )
        return float(airport["lat"]), float(airport["lon"])
    if len(value) != 2:
        raise ValueError(f"{list(value)!r} is not [latitude, longitude]")
    lat, lon = float(value[0]), float(value[1])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(
            f"[{lat}, {lon}] is not a position; expected [latitude, longitude] in degrees, "
            "for example [49.01, 2.55]"
        )
    return lat, lon
