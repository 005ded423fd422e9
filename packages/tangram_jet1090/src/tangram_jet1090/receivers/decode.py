"""Mode S frames -> jet1090 messages, with rs1090 (the decoder jet1090 is built on).

rs1090 decodes each frame on its own and checks the CRC of the frames that carry one
(DF11/17/18). What it cannot do frame by frame is kept here, per aircraft:

- CPR positions (``positions``): airborne ones from the latest even/odd pair
  or, without a fresh pair, near the aircraft's last position; surface ones near the
  aircraft's last position or else near the configured ``reference``.
- Address/parity frames (DF0/4/5/16/20/21) have no checkable CRC: any bit error, or
  garbage, reads as some aircraft. They are kept only for aircraft confirmed by a
  CRC-checked frame in the last ``TRUST_SECS``, the usual defence of decoders.

Decoding is most of the cost of a receiver (about 10 µs per frame in rs1090, which
holds the GIL, so a thread would not help), hence two bounded caches of rs1090's own
answers, with the state-vector fields already extracted:

- by whole frame: a reply that repeats (the altitude of an aircraft in level flight,
  its Comm-B capability registers) is decoded once;
- by the first 32 bits of short surveillance replies (DF0/4/5): everything rs1090
  reads in them is there (altitude or identity code and flags); the rest is the
  address, recovered from the parity with our CRC. Aircraft at the same altitude
  share these, so most of them never reach rs1090.

Comm-B replies (DF20/21) are a DF4/5 header and a register: the header comes from
the second cache (as the DF4/5 reply with the same 32 bits), and only the registers
with state-vector fields are decoded (``commb``), by a decoder made with
``complete=False``: the receivers' path straight into the state table. The default
asks rs1090 for every register, as ``publish_decoded``, ``record_path`` and
``listen`` need: they hand jet1090 messages on.

Both tables of aircraft only hold aircraft seen in CRC-checked frames and forget them
after ``TRUST_SECS`` without one, so their size follows the real traffic, not the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .commb import registers
from .crc import residual
from .frames import REFUSED, Entry, cache_entry, check, full_decode
from .positions import PositionTracker

__all__ = [
    "CACHE_SIZE",
    "HEADER_CACHE_SIZE",
    "TRUST_SECS",
    "Decoded",
    "DecoderStats",
    "FrameDecoder",
    "jet1090_message",
]

#: Address/parity frames count for aircraft confirmed this recently (seconds).
TRUST_SECS = 300.0
_SWEEP_SECS = 30.0
#: Decoded frames remembered (about 10 MB). Cleared when full.
CACHE_SIZE = 32_768
#: Decoded DF0/4/5 headers remembered (a few MB). Cleared when full.
HEADER_CACHE_SIZE = 16_384
#: Short surveillance replies whose first 32 bits say all rs1090 reads in them.
_HEADER_DF = frozenset({0, 4, 5})
_COMMB_DF = frozenset({20, 21})
#: XORed into the first byte of a DF20/21 reply, the DF4/5 reply with the same header.
_COMMB_TO_SHORT = (20 ^ 4) << 3

#: One decoded frame: ``(icao24, timestamp, fields, message, payload, position)``:
#: the state-vector ``fields`` it updates (position included), rs1090's ``message``
#: (shared with the cache: never mutate it or ``fields``; see :func:`jet1090_message`),
#: the raw ``payload`` and the CPR ``(lat, lon)`` or None.
Decoded = tuple[str, float, dict[str, Any], dict[str, Any], bytes, "tuple[float, float] | None"]
_NOTHING: dict[str, Any] = {}


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
    #: Frames handed to rs1090's full decoder (the others came from a cache or, for
    #: Comm-B replies, from its per-register decoders).
    rs1090_calls: int = 0
    #: Comm-B replies decoded register by register (``commb``).
    commb_registers: int = 0


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
    def __init__(self, reference: tuple[float, float] | None = None, complete: bool = True) -> None:
        #: Every register of Comm-B replies in the messages, not only the kept ones.
        self.complete = complete
        self.stats = DecoderStats()
        self._trusted: dict[str, float] = {}
        self.tracker = PositionTracker(reference, self.stats)
        self._next_sweep = 0.0
        self._cache: dict[bytes, Entry] = {}
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
        stats, trusted, position_of = self.stats, self._trusted, self.tracker.position
        rejected = unconfirmed = 0
        for index, entry in enumerate(entries):
            if entry is None or entry is REFUSED:
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

    def _entries(self, payloads: list[bytes]) -> list[Entry | None]:
        """Each frame's decoding: from a cache, by register (Comm-B), or from rs1090's
        full decoder, all in one call. None: not a valid frame."""
        cache, trusted = self._cache, self._trusted
        entries: list[Entry | None] = [None] * len(payloads)
        missing: list[tuple[int, bool]] = []
        #: Address/parity frames of aircraft not (yet) confirmed: decoded only if a
        #: frame of this very chunk confirms them, else ``updates`` drops them.
        later: list[tuple[int, str]] = []
        for index, payload in enumerate(payloads):
            entry = cache.get(payload)
            if entry is not None:
                entries[index] = entry
                continue
            confirms = check(payload)
            if confirms is None:
                continue
            if confirms or payload[0] >> 3 == 11:  # DF11's parity holds no address
                missing.append((index, confirms))
                continue
            icao = f"{residual(payload):06x}"
            if icao not in trusted:
                later.append((index, icao))
                continue
            entry = self._parity_frame(payload, icao)
            if entry is None:
                missing.append((index, False))
            else:
                entries[index] = entry
        if missing:
            self._decode(payloads, missing, entries)
        if later:
            confirmed = {e[0] for e in entries if e is not None and e[3]}
            missing = []
            for index, icao in later:
                if icao not in confirmed:  # not cached: the next chunk may confirm it
                    entries[index] = (icao, _NOTHING, _NOTHING, False)
                elif (entry := self._parity_frame(payloads[index], icao)) is not None:
                    entries[index] = entry
                else:
                    missing.append((index, False))
            if missing:
                self._decode(payloads, missing, entries)
        return entries

    def _parity_frame(self, payload: bytes, icao: str) -> Entry | None:
        """An address/parity frame of aircraft ``icao`` without rs1090's full decoder:
        a DF0/4/5 reply from the header cache, a Comm-B reply by register. None: ask
        the full decoder."""
        if len(payload) == 7:
            known = self._headers.get(payload[:4])  # only DF0/4/5 headers are kept
            return None if known is None else (icao, *known, False)
        if self.complete or payload[0] >> 3 not in _COMMB_DF:
            return None
        entry = self._commb(payload, icao)
        if entry is not None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[payload] = entry
        return entry

    def _decode(
        self, payloads: list[bytes], missing: list[tuple[int, bool]], entries: list[Entry | None]
    ) -> None:
        """Fill ``entries`` of the ``missing`` frames (index, confirms) with rs1090's full
        decoder."""
        cache, headers = self._cache, self._headers
        self.stats.rs1090_calls += len(missing)
        # One call per frame, not rs1090's list API: that one hands the list to a thread
        # pool whose threads then spin, 100-200 µs of CPU per call on the other core
        # (a call per read), for no gain on reads of this size (``full_decode``).
        fresh = [full_decode(payloads[index]) for index, _ in missing]
        if len(cache) + len(missing) > CACHE_SIZE:
            cache.clear()
        if len(headers) + len(missing) > HEADER_CACHE_SIZE:
            headers.clear()
        for (index, confirms), result in zip(missing, fresh, strict=True):
            payload = payloads[index]
            entry = cache_entry(result, confirms)
            cache[payload] = entries[index] = entry
            if entry is not REFUSED and len(payload) == 7 and payload[0] >> 3 in _HEADER_DF:
                headers[payload[:4]] = (entry[1], entry[2])

    def _commb(self, payload: bytes, icao: str) -> Entry | None:
        """A Comm-B reply of aircraft ``icao`` from its header and its kept registers;
        None: ask rs1090's full decoder (more than one register plausible)."""
        found = registers(payload)
        if found is None:
            return None
        key = bytes([payload[0] ^ _COMMB_TO_SHORT]) + payload[1:4]
        header = self._headers.get(key)
        if header is None:
            # The DF4/5 reply with this header (any address: it is dropped).
            short = full_decode(key + bytes(3))
            entry = cache_entry(short, False)
            if entry is REFUSED:
                return None
            if len(self._headers) >= HEADER_CACHE_SIZE:
                self._headers.clear()
            header = self._headers[key] = (entry[1], entry[2])
        message = {**header[0], "df": str(payload[0] >> 3), **found}
        message["icao24"] = icao
        self.stats.commb_registers += 1
        return cache_entry(message, False)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + _SWEEP_SECS
        limit = now - TRUST_SECS
        for icao in [icao for icao, seen in self._trusted.items() if seen < limit]:
            del self._trusted[icao]
            self.tracker.forget(icao)
