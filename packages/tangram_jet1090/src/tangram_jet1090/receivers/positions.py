"""Per-aircraft CPR state: which even/odd frames make a pair, which reference a
lone frame is decoded near (the math is in ``cpr``)."""

from __future__ import annotations

from typing import Any, Protocol

from .cpr import global_airborne, local

__all__ = ["LOCAL_SECS", "PAIR_SECS", "Counters", "PositionTracker"]

#: An even and an odd airborne frame further apart than this are not a pair.
PAIR_SECS = 10.0
#: An aircraft's last position is a usable airborne reference for this long (seconds).
LOCAL_SECS = 30.0
#: ... and a surface reference (taxiing is slow) for this long.
SURFACE_REFERENCE_SECS = 300.0


class Counters(Protocol):
    """Where the tracker counts (the decoder's stats)."""

    positions: int
    #: Surface positions dropped for want of a reference (set ``reference``).
    no_reference: int


class PositionTracker:
    """Airborne positions from the latest even/odd pair or near the aircraft's last
    position; surface positions near its last position or else near ``reference``."""

    def __init__(self, reference: tuple[float, float] | None, counters: Counters) -> None:
        self.reference = reference
        self.counters = counters
        #: icao24 -> [even (t, cpr) | None, odd (t, cpr) | None, last (t, lat, lon) | None]
        self._state: dict[str, list[Any]] = {}

    def forget(self, icao: str) -> None:
        self._state.pop(icao, None)

    def position(self, icao: str, ts: float, msg: dict[str, Any]) -> tuple[float, float] | None:
        """The position a CPR frame of aircraft ``icao`` gives, if any (``msg``: rs1090's
        answer, with ``lat_cpr``)."""
        state = self._state.get(icao)
        if state is None:
            state = self._state[icao] = [None, None, None]
        odd = msg.get("parity") == "odd"
        cpr = (msg["lat_cpr"], msg["lon_cpr"])
        last = state[2]
        position: tuple[float, float] | None = None
        if msg.get("bds") == "06":
            if last is not None and ts - last[0] <= SURFACE_REFERENCE_SECS:
                reference: tuple[float, float] | None = (last[1], last[2])
            else:
                reference = self.reference
            if reference is None:
                self.counters.no_reference += 1
                return None
            position = local(cpr, odd, reference, surface=True)
        else:
            state[1 if odd else 0] = (ts, cpr)
            other = state[0 if odd else 1]
            if other is not None and ts - other[0] <= PAIR_SECS:
                even_cpr, odd_cpr = (other[1], cpr) if odd else (cpr, other[1])
                position = global_airborne(even_cpr, odd_cpr, latest_odd=odd)
            if position is None and last is not None and ts - last[0] <= LOCAL_SECS:
                position = local(cpr, odd, (last[1], last[2]), surface=False)
        if position is None:
            return None
        state[2] = (ts, *position)
        self.counters.positions += 1
        return position
