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

#: Nested Comm-B registers with no state-vector field (capabilities, ACAS, the
#: registration of BDS 2,1): never read.
_NOTHING_KEPT = frozenset({"bds10", "bds17", "bds18", "bds19", "bds21", "bds30"})
_CALLSIGN, _SQUAWK = "callsign", "squawk"
#: Message key -> state-vector field (``_CALLSIGN``/``_SQUAWK``: checked as text).
_ROLE: dict[str, str] = {**NUMERIC_FIELDS, "callsign": _CALLSIGN, "squawk": _SQUAWK}
_HEX_DIGITS = "0123456789abcdefABCDEF"

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
    # strip(): every character a hex digit, without int()'s signs, spaces, underscores
    if type(icao24) is not str or len(icao24) != 6 or icao24.strip(_HEX_DIGITS):
        raise MalformedMessage(f"icao24 {icao24!r} is not 6 hexadecimal digits")
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
    nested = _collect(msg, fields)
    # Nested Comm-B replies ("bds40": {...}) come after the top-level keys.
    for register in nested:
        _collect(register, fields)
    if "latitude" in fields or "longitude" in fields:
        lat, lon = fields.get("latitude"), fields.get("longitude")
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            fields.pop("latitude", None)
            fields.pop("longitude", None)
    return icao24.lower(), timestamp, fields


def _collect(msg: dict[str, Any], fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Copy the known fields of ``msg`` into ``fields``; returns the nested Comm-B
    registers worth reading. One dictionary look-up per key: rs1090's messages
    carry a dozen keys or more, and this runs for every message."""
    role, nested = _ROLE, []
    for key, value in msg.items():
        target = role.get(key)
        if target is None:
            if type(value) is dict and key.startswith("bds") and key not in _NOTHING_KEPT:
                nested.append(value)
            continue
        kind = type(value)
        if target is _CALLSIGN:
            if kind is str:
                callsign = value.strip()
                # '#' marks characters the decoder could not read.
                if callsign and "#" not in callsign:
                    fields["callsign"] = callsign
        elif target is _SQUAWK:
            if kind is str and value:
                fields["squawk"] = value
            elif kind is int:
                fields["squawk"] = f"{value:04d}"
        # bool is not int here; null means "not decoded"; x - x is 0 unless inf/nan.
        elif kind is int or (kind is float and value - value == 0.0):
            fields[target] = value
    return nested
