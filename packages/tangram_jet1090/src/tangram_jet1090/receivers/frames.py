"""One frame -> what the decoder caches: rs1090's full answer and the state-vector
fields extracted from it, and which frames are checked by a CRC."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any, cast

from rs1090 import _rust

from ..parse import MalformedMessage, UnknownMessage, extract
from .crc import residual

__all__ = ["REFUSED", "Entry", "cache_entry", "check", "full_decode"]

#: A decoded frame as cached: ``(icao24, message, fields, confirms)``.
Entry = tuple[str, dict[str, Any], dict[str, Any], bool]
REFUSED: Entry = ("", {}, {}, False)
# rs1090's stub describes its unpickling wrapper; the function returns the pickle.
_decode_1090 = cast(Callable[[str], bytes], _rust.decode_1090)


def cache_entry(result: dict[str, Any] | None, confirms: bool) -> Entry:
    """Cache entry of rs1090's answer: its state-vector fields extracted once."""
    if result is None:
        return REFUSED
    try:
        icao, _, fields = extract(result)
    except (MalformedMessage, UnknownMessage):  # no address, or a format we do not know
        return REFUSED
    # CPR fields are turned into a position per aircraft, never taken as they are.
    fields.pop("latitude", None)
    fields.pop("longitude", None)
    return (icao, result, fields, confirms)


def full_decode(payload: bytes) -> dict[str, Any] | None:
    """rs1090's full decoding of one frame (None: refused). Its TypedDicts are plain
    dicts at run time."""
    return cast("dict[str, Any] | None", pickle.loads(_decode_1090(payload.hex())))


def check(payload: bytes) -> bool | None:
    """None: not a valid frame; True: CRC-checked, confirms its aircraft; False: fine,
    but only for aircraft already confirmed (address/parity, or DF11 to a radar)."""
    df = payload[0] >> 3
    if (len(payload) == 7) != (df < 16):  # DF0-15 are 56 bits, the others 112
        return None
    if df == 17:
        return True  # rs1090 checks the CRC of DF17 itself and refuses bad ones
    if df == 18:
        return True if residual(payload) == 0 else None
    if df == 11:
        # The residual is the interrogator's identifier; 0 for squitters.
        remainder = residual(payload)
        return None if remainder > 0x7F else remainder == 0
    return False
