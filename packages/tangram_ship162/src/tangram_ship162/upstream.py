"""Decoded JSON from upstream's ship162 decoder (Redis channel ``ship162``).

One JSON object per message with an ``mmsi`` (number or digits) and, optionally, a
``timestamp`` (UNIX s) and the decoded fields. Both pyais's names (``lat``, ``lon``,
``msg_type``...) and the state's own names (``latitude``, ``ship_name``...) are read,
since decoders differ; values go through the same checks as NMEA input.
"""

from __future__ import annotations

from typing import Any

import orjson

from .vessel import fields_of

__all__ = ["MalformedJson", "parse_json"]

_ALIASES = {
    "latitude": "lat",
    "longitude": "lon",
    "ship_name": "shipname",
    "name": "shipname",
    "call_sign": "callsign",
    "type": "msg_type",
    "message_type": "msg_type",
    "sog": "speed",
    "cog": "course",
}


class MalformedJson(Exception):
    """Not a JSON object with an MMSI."""


def parse_json(data: bytes) -> tuple[int, float | None, dict[str, Any]]:
    """``(mmsi, timestamp, fields)``; MalformedJson or UnknownMessage otherwise."""
    try:
        msg = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise MalformedJson(f"not JSON ({exc})") from None
    if type(msg) is not dict:
        raise MalformedJson("not a JSON object")
    for alias, name in _ALIASES.items():
        if alias in msg and name not in msg:
            msg[name] = msg[alias]
    mmsi = msg.get("mmsi")
    if isinstance(mmsi, str) and mmsi.isdigit():
        msg["mmsi"] = int(mmsi)
    timestamp = msg.get("timestamp")
    if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool):
        timestamp = None
    if msg.get("msg_type") is None:
        # No type: take what is there (a position, static data, or both).
        msg["msg_type"] = 1 if "lat" in msg else 5
        if "lat" in msg:
            _merge_static(msg)
    for key in ("ship_type", "status"):
        if key in msg and not isinstance(msg[key], int):
            msg.pop(key)
    try:
        mmsi, fields = fields_of(msg)
    except (TypeError, ValueError) as exc:
        raise MalformedJson(f"unexpected values ({exc})") from None
    if not fields:
        raise MalformedJson("no usable ship field (position, name, ...)")
    return mmsi, timestamp, fields


def _merge_static(msg: dict[str, Any]) -> None:
    # A flat record with both position and names: read it as a type 19 (both halves).
    if any(k in msg for k in ("shipname", "callsign", "destination", "ship_type")):
        msg["msg_type"] = 19
