"""One state per MMSI: the fields, and how a decoded AIS message updates them.

Positions come from types 1, 2, 3 (class A), 18, 19 (class B) and 27 (long range);
static and voyage data from types 5 (class A) and 24 (class B, parts A and B) and
the static half of 19. Each message only sets the fields it carries, so static data
merges with positions whatever their order. AIS marks unknown values with sentinels
(latitude 91, longitude 181, speed 102.3, course 360, heading 511): those become None.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FIELDS",
    "HISTORY_COLUMNS",
    "POSITION_TYPES",
    "STATE_VECTOR",
    "STATIC_TYPES",
    "UnknownMessage",
    "fields_of",
    "ship_type_text",
    "status_text",
]

#: Every field of a ship's state, in the order sent, with its SQLite history column
#: type (None: not stored per point). ``mmsi`` and ``lastseen`` are the history's key
#: and ``timestamp``.
STATE_VECTOR: tuple[tuple[str, str | None], ...] = (
    ("mmsi", None),
    ("firstseen", None),
    ("lastseen", None),
    ("shipname", "TEXT"),
    ("callsign", None),
    ("imo", None),
    ("ship_type", None),
    ("ship_type_text", None),
    ("latitude", "REAL"),
    ("longitude", "REAL"),
    ("speed", "REAL"),
    ("course", "REAL"),
    ("heading", "REAL"),
    ("status", "INTEGER"),
    ("status_text", None),
    ("length", None),
    ("width", None),
    ("draught", None),
    ("destination", None),
    ("eta", None),
    ("count", None),
)
FIELDS = tuple(name for name, _ in STATE_VECTOR)
HISTORY_COLUMNS = tuple((name, sql) for name, sql in STATE_VECTOR if sql is not None)

POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
STATIC_TYPES = frozenset({5, 24})

_STATUS = (
    "under way using engine",
    "at anchor",
    "not under command",
    "restricted manoeuvrability",
    "constrained by draught",
    "moored",
    "aground",
    "engaged in fishing",
    "under way sailing",
)
_SPECIAL_TYPES = {
    30: "fishing",
    31: "towing",
    32: "towing (large)",
    33: "dredging",
    34: "diving",
    35: "military",
    36: "sailing",
    37: "pleasure craft",
    50: "pilot vessel",
    51: "search and rescue",
    52: "tug",
    53: "port tender",
    54: "anti-pollution",
    55: "law enforcement",
    58: "medical transport",
}
_TYPE_DECADES = {
    2: "wing in ground",
    4: "high-speed craft",
    6: "passenger",
    7: "cargo",
    8: "tanker",
    9: "other",
}


class UnknownMessage(Exception):
    """An AIS message type that carries nothing for the ship table."""


def status_text(status: int | None) -> str | None:
    if status is None or not 0 <= status < len(_STATUS):
        return None
    return _STATUS[status]


def ship_type_text(code: int | None) -> str | None:
    """The ITU-R M.1371 category of a ship type code (70-79: cargo...)."""
    if code is None or code <= 0:
        return None
    return _SPECIAL_TYPES.get(code) or _TYPE_DECADES.get(code // 10) or "other"


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("@", " ").strip()
    return value or None


def _position(msg: dict[str, Any], fields: dict[str, Any]) -> None:
    lat, lon = msg.get("lat"), msg.get("lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            fields["latitude"], fields["longitude"] = float(lat), float(lon)
    speed = msg.get("speed")
    if isinstance(speed, (int, float)) and 0 <= speed < 102.2:
        fields["speed"] = float(speed)
    course = msg.get("course")
    if isinstance(course, (int, float)) and 0 <= course < 360:
        fields["course"] = float(course)
    heading = msg.get("heading")
    if isinstance(heading, (int, float)) and 0 <= heading < 360:
        fields["heading"] = float(heading)
    status = msg.get("status")
    if status is not None and msg.get("msg_type") != 18 and msg.get("msg_type") != 19:
        code = int(status)
        fields["status"] = code
        fields["status_text"] = status_text(code)


def _dimensions(msg: dict[str, Any], fields: dict[str, Any]) -> None:
    bow, stern = msg.get("to_bow") or 0, msg.get("to_stern") or 0
    port, starboard = msg.get("to_port") or 0, msg.get("to_starboard") or 0
    if bow + stern > 0:
        fields["length"] = bow + stern
    if port + starboard > 0:
        fields["width"] = port + starboard


def _static(msg: dict[str, Any], fields: dict[str, Any]) -> None:
    for name in ("shipname", "callsign", "destination"):
        text = _text(msg.get(name))
        if text is not None:
            fields[name] = text
    code = msg.get("ship_type")
    if code is not None and int(code) > 0:
        fields["ship_type"] = int(code)
        fields["ship_type_text"] = ship_type_text(int(code))
    imo = msg.get("imo")
    if isinstance(imo, int) and imo > 0:
        fields["imo"] = imo
    draught = msg.get("draught")
    if isinstance(draught, (int, float)) and draught > 0:
        fields["draught"] = float(draught)
    month, day = msg.get("month"), msg.get("day")
    if month and day:  # 0 means "not available"
        hour, minute = msg.get("hour", 24), msg.get("minute", 60)
        time = f" {hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else ""
        fields["eta"] = f"{month:02d}-{day:02d}{time}"
    _dimensions(msg, fields)


def fields_of(msg: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``(mmsi, fields)`` of one decoded message (pyais ``asdict(enum_as_int=True)``)."""
    kind = msg.get("msg_type")
    mmsi = msg.get("mmsi")
    if not isinstance(mmsi, int) or isinstance(mmsi, bool) or not 0 < mmsi < 1_000_000_000:
        raise UnknownMessage(f"message type {kind} without a valid MMSI ({mmsi!r})")
    fields: dict[str, Any] = {}
    if kind in POSITION_TYPES:
        _position(msg, fields)
        if kind == 19:
            _static(msg, fields)
    elif kind in STATIC_TYPES:
        _static(msg, fields)
    else:
        raise UnknownMessage(f"message type {kind} carries no ship position nor static data")
    return mmsi, fields
