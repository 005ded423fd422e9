"""Comm-B replies (DF20/21): only the registers tangram keeps, asked of rs1090 one by one.

A Comm-B reply does not say which register (BDS) its 56-bit message field holds, so
rs1090's full decoder tries every register it knows, a dozen of them, keeps the
plausible ones and weighs them against each other: 20-25 µs per reply, and replies
are a third of what a receiver hears. Only four registers carry state-vector fields:
2,0 (callsign), 4,0 (selected altitude), 5,0 (track, speeds, roll) and 6,0 (heading,
IAS, Mach, vertical rate). :func:`registers` asks rs1090 for those four alone (its
per-register decoders, the same validity checks), about half the cost.

Most of those calls fail, so a register is asked for only when its message field
passes the first rule of ICAO Doc 9871 for EHS registers: a field whose status bit
says "not available" is all zeros (and the reserved bits of 4,0 are zeros). rs1090
applies the same rule first, so this only spares calls that would fail; a test
checks it on the sample flight and on random message fields.

When two of them are plausible, rs1090's full decoder weighs them (it drops a 6,0
whose speeds contradict a plausible 5,0, for instance): :func:`registers` then
answers None and the caller asks the full decoder. On the sample flight (20,392
replies) the registers found this way equal the full decoder's in all but 7 replies
(0.03 %), each a lone 6,0 or 5,0 that the full decoder drops and these checks keep;
``tests/jet1090/test_receiver_commb.py`` holds that count.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any, cast

from rs1090 import _rust

__all__ = ["KEPT_REGISTERS", "registers"]

#: The registers that carry state-vector fields.
KEPT_REGISTERS = ("bds60", "bds40", "bds50", "bds20")
# rs1090's stubs describe its unpickling wrappers; the functions themselves return
# the pickle, loaded here only when the register is plausible.
_Decoder = Callable[[str], bytes]
# Most frequent first: a second plausible register ends the search sooner.
_DECODERS = (
    ("bds60", cast(_Decoder, _rust.decode_bds60)),
    ("bds40", cast(_Decoder, _rust.decode_bds40)),
    ("bds50", cast(_Decoder, _rust.decode_bds50)),
)
_BDS20 = cast(_Decoder, _rust.decode_bds20)
_EMPTY = bytes(7)


#: ``(status bit, value mask)`` pairs on a message field read as a 56-bit integer.
_Rules = tuple[tuple[int, int], ...]


def _rules(*fields: tuple[int, int, int], reserved: tuple[tuple[int, int], ...] = ()) -> _Rules:
    """``(status bit, value mask)`` per field of a 56-bit message field, from the
    ICAO bit numbers (1 is the first bit): ``(status, first, last)`` per field, and
    ``(first, last)`` of reserved runs (status mask 0: always checked)."""

    def mask(first: int, last: int) -> int:
        return ((1 << (last - first + 1)) - 1) << (56 - last)

    rules = [(1 << (56 - status), mask(first, last)) for status, first, last in fields]
    rules += [(0, mask(first, last)) for first, last in reserved]
    return tuple(rules)


#: Status rules per register (Doc 9871 tables A-2-64, A-2-80 and A-2-96).
_STATUS_RULES = {
    "bds60": _rules((1, 2, 12), (13, 14, 23), (24, 25, 34), (35, 36, 45), (46, 47, 56)),
    "bds40": _rules((1, 2, 13), (14, 15, 26), (27, 28, 39), reserved=((40, 47), (52, 53))),
    "bds50": _rules((1, 2, 11), (12, 13, 23), (24, 25, 34), (35, 36, 45), (46, 47, 56)),
}
_CHECKED = tuple((name, decoder, _STATUS_RULES[name]) for name, decoder in _DECODERS)


def _zeros_where_unavailable(field: int, rules: _Rules) -> bool:
    """Every field whose status bit is 0 (and every reserved run) is all zeros."""
    for status, value in rules:
        if not field & status and field & value:
            return False
    return True


def registers(payload: bytes) -> dict[str, dict[str, Any]] | None:
    """The kept registers a 14-byte DF20/21 ``payload`` plausibly holds, keyed as in
    jet1090's messages (``"bds60": {...}``); None when more than one is plausible
    (ask rs1090's full decoder)."""
    field = payload[4:11]
    if field == _EMPTY:
        return {}  # an empty reply: rs1090 reads nothing in it either
    hexed = payload.hex()
    bits = int.from_bytes(field, "big")
    found: dict[str, dict[str, Any]] = {}
    for name, decoder, rules in _CHECKED:
        if not _zeros_where_unavailable(bits, rules):
            continue
        try:
            answer = decoder(hexed)
        except (AssertionError, ValueError):  # rs1090: not this register
            continue
        if found:
            return None
        found[name] = pickle.loads(answer)
    # BDS 2,0 starts with its own number; anything else is refused without a call.
    if field[0] == 0x20:
        try:
            answer = _BDS20(hexed)
        except (AssertionError, ValueError):
            return found
        if found:
            return None
        found["bds20"] = pickle.loads(answer)
    return found
