"""Mode S frames -> jet1090 messages, with rs1090 (the decoder jet1090 is built on).

rs1090 decodes each frame on its own and checks the CRC of the frames that carry one
(DF11/17/18). What it cannot do frame by frame is kept here, per aircraft:

- CPR positions: airborne ones from the latest even/odd pair (``cpr.global_airborne``)
  or, without a fresh pair, near the aircraft's last position; surface ones near the
  aircraft's last position or else near the configured ``reference``.
- Address/parity frames (DF0/4/5/16/20/21) have no checkable CRC: any bit error, or
  garbage, reads as some aircraft. They are kept only for aircraft confirmed by a
  CRC-checked frame in the last ``TRUST_SECS``, the usual defence of decoders.

Decoding is most of the cost of a receiver (one rs1090 call per chunk read, a few µs
per frame, and rs1090 holds the GIL, so a thread would not help), hence two bounded
caches of rs1090's own answers, with the state-vector fields already extracted:

- by whole frame: a reply that repeats (the altitude of an aircraft in level flight,
  its Comm-B capability registers) is decoded once;
- by the first 32 bits of short surveillance replies (DF0/4/5): everything rs1090
  reads in them is there (altitude or identity code and flags); the rest is the
  address, recovered from the parity with our CRC. Aircraft at the same altitude
  share these, so most of them never reach rs1090.

Both tables of aircraft only hold aircraft seen in CRC-checked frames and forget them
after ``TRUST_SECS`` without one, so their size follows the real traffic, not the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import rs1090

from ..parse import MalformedMessage, UnknownMessage, extract
from .cpr import global_airborne, local
from .crc import residual

__all__ = [
    "CACHE_SIZE",
    "HEADER_CACHE_SIZE",
    "PAIR_SECS",
    "TRUST_SECS",
    "Decoded",
    "DecoderStats",
    "FrameDecoder",
    "jet1090_message",
]

#: An even and an odd airborne frame further apart than this are not a pair.
PAIR_SECS = 10.0
#: An aircraft's last position is a usable reference for this long (seconds).
LOCAL_SECS = 30.0
#: Address/parity frames count for aircraft confirmed this recently (seconds).
TRUST_SECS = 300.0
_SWEEP_SECS = 30.0
#: Decoded frames remembered (about 10 MB). Cleared when full.
CACHE_SIZE = 32_768
#: Decoded DF0/4/5 headers remembered (a few MB). Cleared when full.
HEADER_CACHE_SIZE = 16_384
#: Short surveillance replies whose first 32 bits say all rs1090 reads in them.
_HEADER_DF = frozenset({0, 4, 5})

#: One decoded frame: ``(icao24, timestamp, fields, message, payload, position)``:
#: the state-vector ``fields`` it updates (position included), rs1090's ``message``
#: (shared with the cache: never mutate it or ``fields``; see :func:`jet1090_message`),
#: the raw ``payload`` and the CPR ``(lat, lon)`` or None.
Decoded = tuple[str, float, dict[str, Any], dict[str, Any], bytes, "tuple[float, float] | None"]
#: A cached frame: ``(icao24, message, fields, confirms)``.
_Entry = tuple[str, dict[str, Any], dict[str, Any], bool]
_REFUSED: _Entry = ("", {}, {}, False)


@dataclass
class DecoderStats:
    decoded: int = 0
    #: Frames refused: wrong length, bad CRC, unknown format, undecodable.
    rejected: int = 0
    #: Address/parity frames of aircraft not confirmed by a CRC-checked frame.
    unconfirmed: int = 0
    positions: int = 0
    #: Surface positions dropped for want of a reference (set ``reference``).
    no_reference: int = 0
    #: Frames handed to rs1090 (the others came from a cache).
    rs1090_calls: int = 0


def jet1090_message(decoded: Decoded) -> dict[str, Any]:
    """The jet1090 JSON message of a decoded frame (to publish or record)."""
    icao24, ts, _, message, payload, position = decoded
    msg = dict(message)
    msg["icao24"] = icao24
    if position is not None:
        msg["latitude"], msg["longitude"] = position
    msg["timestamp"] = ts
    msg["frame"] = payload.hex()
    return msg


class FrameDecoder:
    def __init__(self, reference: tuple[float, float] | None = None) -> None:
        self.reference = reference
        self.stats = DecoderStats()
        self._trusted: dict[str, float] = {}
        #: icao24 -> [even (t, lat_cpr, lon_cpr) | None, odd ... | None, last (t, lat, lon) | None]
        self._cpr: dict[str, list[Any]] = {}
        self._next_sweep = 0.0
        self._cache: dict[bytes, _Entry] = {}
        #: first 4 bytes of a DF0/4/5 frame -> (message without address, fields)
        self._headers: dict[bytes, tuple[dict[str, Any], dict[str, Any]]] = {}

    def decode(self, payloads: list[bytes], timestamps: list[float]) -> list[dict[str, Any] | None]:
        """One jet1090 message (or None when rejected) per frame, in order."""
        return [
            None if d is None else jet1090_message(d) for d in self.updates(payloads, timestamps)
        ]

    def updates(self, payloads: list[bytes], timestamps: list[float]) -> list[Decoded | None]:
        """One :data:`Decoded` (or None when rejected) per frame, in order."""
        n = len(payloads)
        out: list[Decoded | None] = [None] * n
        if not n:
            return out
        entries = self._entries(payloads)
        stats, trusted, position_of = self.stats, self._trusted, self._position
        rejected = unconfirmed = 0
        for index, entry in enumerate(entries):
            if entry is None or entry is _REFUSED:
                rejected += 1
                continue
            icao, message, fields, confirms = entry
            ts = timestamps[index]
            position = None
            if confirms:
                trusted[icao] = ts
                if "lat_cpr" in message:
                    position = position_of(icao, ts, message)
                    if position is not None:
                        fields = {**fields, "latitude": position[0], "longitude": position[1]}
            elif ts - trusted.get(icao, -TRUST_SECS - 1) > TRUST_SECS:
                unconfirmed += 1
                continue
            out[index] = (icao, ts, fields, message, payloads[index], position)
        stats.rejected += rejected
        stats.unconfirmed += unconfirmed
        stats.decoded += n - rejected - unconfirmed
        if timestamps[-1] >= self._next_sweep:
            self._sweep(timestamps[-1])
        return out

    def _entries(self, payloads: list[bytes]) -> list[_Entry | None]:
        """Each frame's cached decoding, decoding the others in one rs1090 call.
        None: not a valid frame."""
        cache, headers = self._cache, self._headers
        entries: list[_Entry | None] = [None] * len(payloads)
        missing: list[tuple[int, bool]] = []
        for index, payload in enumerate(payloads):
            entry = cache.get(payload)
            if entry is not None:
                entries[index] = entry
                continue
            if len(payload) == 7 and payload[0] >> 3 in _HEADER_DF:
                known = headers.get(payload[:4])
                if known is not None:
                    entries[index] = (f"{residual(payload):06x}", *known, False)
                    continue
            confirms = _check(payload)
            if confirms is not None:
                missing.append((index, confirms))
        if not missing:
            return entries
        self.stats.rs1090_calls += len(missing)
        # rs1090's TypedDicts are plain dicts at run time; None: refused.
        fresh = cast(
            "list[dict[str, Any] | None]",
            rs1090.decode([payloads[index].hex() for index, _ in missing]),
        )
        if len(cache) + len(missing) > CACHE_SIZE:
            cache.clear()
        if len(headers) + len(missing) > HEADER_CACHE_SIZE:
            headers.clear()
        for (index, confirms), result in zip(missing, fresh, strict=True):
            payload = payloads[index]
            entry = _entry(result, confirms)
            cache[payload] = entries[index] = entry
            if entry is not _REFUSED and len(payload) == 7 and payload[0] >> 3 in _HEADER_DF:
                headers[payload[:4]] = (entry[1], entry[2])
        return entries

    def _position(self, icao: str, ts: float, msg: dict[str, Any]) -> tuple[float, float] | None:
        state = self._cpr.get(icao)
        if state is None:
            state = self._cpr[icao] = [None, None, None]
        odd = msg.get("parity") == "odd"
        cpr = (msg["lat_cpr"], msg["lon_cpr"])
        last = state[2]
        position: tuple[float, float] | None = None
        if msg.get("bds") == "06":
            if last is not None and ts - last[0] <= TRUST_SECS:
                reference: tuple[float, float] | None = (last[1], last[2])
            else:
                reference = self.reference
            if reference is None:
                self.stats.no_reference += 1
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
        self.stats.positions += 1
        return position

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + _SWEEP_SECS
        limit = now - TRUST_SECS
        for icao in [icao for icao, seen in self._trusted.items() if seen < limit]:
            del self._trusted[icao]
            self._cpr.pop(icao, None)


def _entry(result: dict[str, Any] | None, confirms: bool) -> _Entry:
    """Cache entry of rs1090's answer: its state-vector fields extracted once."""
    if result is None:
        return _REFUSED
    try:
        icao, _, fields = extract(result)
    except (MalformedMessage, UnknownMessage):  # no address, or a format we do not know
        return _REFUSED
    # CPR fields are turned into a position per aircraft, never taken as they are.
    fields.pop("latitude", None)
    fields.pop("longitude", None)
    return (icao, result, fields, confirms)


def _check(payload: bytes) -> bool | None:
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
