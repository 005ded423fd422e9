"""Turn one jet1090 message (JSON bytes) into state-vector field updates.

jet1090 has changed its key names over versions (``IAS``/``ias``, ``NACp``/``nacp``,
``selected_mcp``/``selected_altitude``) and nests Comm-B replies either flat
(``"bds": "60", "IAS": ...``) or per register (``"bds60": {...}``). Both forms map to
the same state-vector fields here, so the rest of the plugin never sees the difference.
This runs once per message at 10-20k messages/s: it is a single pass over the keys
with dictionary look-ups, no per-field branching.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

__all__ = [
    "KNOWN_DF",
    "MalformedMessage",
    "UnknownMessage",
    "Update",
    "parse_message",
    "extract",
]

#: Downlink formats jet1090 decodes; anything else is counted as unknown.
KNOWN_DF = frozenset({"0", "4", "5", "11", "16", "17", "18", "20", "21"})

#: Numeric message keys -> state-vector field (both casings of every key).
NUMERIC_FIELDS: dict[str, str] = {
    "altitude": "altitude",
    "latitude": "latitude",
    "longitude": "longitude",
    "groundspeed": "groundspeed",
    "track": "track",
    "vertical_rate": "vertical_rate",
    # BDS 6,0 (Mode S EHS): the only vertical rate of aircraft without ADS-B.
    "vrate_barometric": "vertical_rate",
    "IAS": "ias",
    "ias": "ias",
    "TAS": "tas",
    "tas": "tas",
    "Mach": "mach",
    "mach": "mach",
    "roll": "roll",
    "heading": "heading",
    "NACp": "nacp",
    "nacp": "nacp",
    "selected_mcp": "selected_altitude",
    "selected_altitude": "selected_altitude",
}

#: (icao24, timestamp or None, {field: value})
Update = tuple[str, "float | None", dict[str, Any]]


class MalformedMessage(ValueError):
    """Not JSON, not an object, or without a usable ``icao24``/``timestamp``."""


class UnknownMessage(ValueError):
    """Well-formed but of a downlink format this plugin does not know."""


def parse_message(data: bytes | str) -> Update:
    """Decode and extract one message; raises MalformedMessage / UnknownMessage."""
    try:
        msg = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    return extract(msg)


def extract(msg: Any) -> Update:
    """Field updates carried by an already-decoded message (only fields present)."""
    if type(msg) is not dict:
        raise MalformedMessage(f"expected a JSON object, got {type(msg).__name__}")
    icao24 = msg.get("icao24")
    if type(icao24) is not str or len(icao24) != 6:
        raise MalformedMessage(f"icao24 {icao24!r} is not 6 hexadecimal digits")
    try:
        int(icao24, 16)
    except ValueError:
        raise MalformedMessage(f"icao24 {icao24!r} is not 6 hexadecimal digits") from None
    df = msg.get("df")
    if df is not None:
        if type(df) is int:
            df = str(df)
        if df not in KNOWN_DF:
            raise UnknownMessage(f"unknown downlink format {df!r}")
    timestamp = msg.get("timestamp")
    if timestamp is not None:
        if type(timestamp) not in (float, int) or not math.isfinite(timestamp):
            raise MalformedMessage(f"timestamp {timestamp!r} is not a number of seconds")
        timestamp = float(timestamp)

    fields: dict[str, Any] = {}
    _collect(msg, fields)
    for key, value in msg.items():
        # Nested Comm-B replies ("bds40": {...}); "bds40": true in BDS 1,7 is a flag.
        if type(value) is dict and key.startswith("bds"):
            _collect(value, fields)
    if "latitude" in fields or "longitude" in fields:
        lat, lon = fields.get("latitude"), fields.get("longitude")
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            fields.pop("latitude", None)
            fields.pop("longitude", None)
    return icao24.lower(), timestamp, fields


def _collect(msg: dict[str, Any], fields: dict[str, Any]) -> None:
    numeric = NUMERIC_FIELDS
    for key, value in msg.items():
        target = numeric.get(key)
        if target is not None:
            # bool is an int subclass: exclude it; null means "not decoded".
            kind = type(value)
            if (kind is float and math.isfinite(value)) or kind is int:
                fields[target] = value
        elif key == "callsign":
            if type(value) is str:
                callsign = value.strip()
                # '#' marks characters the decoder could not read.
                if callsign and "#" not in callsign:
                    fields["callsign"] = callsign
        elif key == "squawk":
            if type(value) is str and value:
                fields["squawk"] = value
            elif type(value) is int:
                fields["squawk"] = f"{value:04d}"
