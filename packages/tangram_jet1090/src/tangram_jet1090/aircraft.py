"""The live picture: one state vector per ``icao24``, updated in place.

Records are plain dicts so that they serialise with orjson without conversion: the
streaming loop dumps them as they are, many times per second.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from tangram.entities import EntityTable

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


class AircraftTable(EntityTable):
    """State vectors keyed by ``icao24`` (the shared :class:`tangram.entities.EntityTable`:
    expiry by the time a message was *received*, so a decoder whose clock is off does
    not make every aircraft vanish or linger), with registrations from a database."""

    def __init__(self, expire_secs: float, registry: Registry | None = None) -> None:
        super().__init__("icao24", FIELDS, expire_secs)
        self.registry = registry

    def new_record(self, key: Hashable, ts: float) -> dict[str, Any]:
        record = super().new_record(key, ts)
        self._register(record)
        return record

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
