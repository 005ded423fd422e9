"""The live picture: one state vector per ``icao24``, updated in place.

Records are plain dicts so that they serialise with orjson without conversion: the
streaming loop dumps them as they are, many times per second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["FIELDS", "HISTORY_COLUMNS", "STATE_VECTOR", "AircraftTable", "Registry"]

#: The one definition of the state vector: every field in the order it is sent, with
#: the SQLite type of its column in the trajectory history, or None when it is not a
#: per-point value (identity and bookkeeping; ``icao24`` and ``lastseen`` are the
#: history's key and ``timestamp`` columns). Both lists below derive from it.
STATE_VECTOR: tuple[tuple[str, str | None], ...] = (
    ("icao24", None),
    ("firstseen", None),
    ("lastseen", None),
    ("callsign", "TEXT"),
    ("registration", None),
    ("typecode", None),
    ("squawk", "TEXT"),
    ("latitude", "REAL"),
    ("longitude", "REAL"),
    ("altitude", "REAL"),
    ("selected_altitude", "REAL"),
    ("groundspeed", "REAL"),
    ("vertical_rate", "REAL"),
    ("track", "REAL"),
    ("ias", "REAL"),
    ("tas", "REAL"),
    ("mach", "REAL"),
    ("roll", "REAL"),
    ("heading", "REAL"),
    ("nacp", None),
    ("count", None),
)

#: Every state-vector field, in the order they are sent.
FIELDS = tuple(name for name, _ in STATE_VECTOR)
#: ``(name, SQLite type)`` stored with each trajectory point.
HISTORY_COLUMNS = tuple((name, sql) for name, sql in STATE_VECTOR if sql is not None)

#: ``icao24 -> (registration, typecode)`` or None when unknown.
Registry = Callable[[str], "tuple[str | None, str | None] | None"]


class AircraftTable:
    """State vectors keyed by ``icao24``, expiring when not updated for a while.

    Expiry uses the time a message was *received*, not its ``timestamp``: a decoder
    whose clock is off must not make every aircraft vanish or linger.
    """

    def __init__(self, expire_secs: float, registry: Registry | None = None) -> None:
        self.expire_secs = expire_secs
        self.registry = registry
        self.records: dict[str, dict[str, Any]] = {}
        self._received: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records.values())

    def get(self, icao24: str) -> dict[str, Any] | None:
        return self.records.get(icao24)

    def update(
        self, icao24: str, timestamp: float | None, fields: dict[str, Any], now: float
    ) -> dict[str, Any]:
        """Apply the fields one message carries; returns the updated record."""
        ts = now if timestamp is None else timestamp
        record = self.records.get(icao24)
        if record is None:
            record = dict.fromkeys(FIELDS)
            record["icao24"] = icao24
            record["firstseen"] = ts
            record["lastseen"] = ts
            record["count"] = 0
            self._register(record)
            self.records[icao24] = record
        record.update(fields)
        if ts > record["lastseen"]:
            record["lastseen"] = ts
        record["count"] += 1
        self._received[icao24] = now
        return record

    def expire(self, now: float) -> int:
        """Drop aircraft not heard from for ``expire_secs``; returns how many."""
        limit = now - self.expire_secs
        stale = [icao for icao, seen in self._received.items() if seen < limit]
        for icao in stale:
            del self._received[icao]
            del self.records[icao]
        return len(stale)

    def set_registry(self, registry: Registry) -> None:
        """Use a (newly available) aircraft database, also for aircraft already known."""
        self.registry = registry
        for record in self.records.values():
            self._register(record)

    def _register(self, record: dict[str, Any]) -> None:
        if self.registry is None:
            return
        found = self.registry(record["icao24"])
        if found is not None:
            record["registration"], record["typecode"] = found
