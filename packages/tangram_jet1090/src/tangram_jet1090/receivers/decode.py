"""Mode S frames -> jet1090 messages, with rs1090 (the decoder jet1090 is built on).

rs1090 decodes each frame on its own and checks the CRC of the frames that carry one
(DF11/17/18). What it cannot do frame by frame is kept here, per aircraft:

- CPR positions: airborne ones from the latest even/odd pair (``cpr.global_airborne``)
  or, without a fresh pair, near the aircraft's last position; surface ones near the
  aircraft's last position or else near the configured ``reference``.
- Identical frames (a level aircraft repeats its altitude reply) are decoded once
  while they stay in a bounded cache.
- Address/parity frames (DF0/4/5/16/20/21) have no checkable CRC: any bit error, or
  garbage, reads as some aircraft. They are kept only for aircraft confirmed by a
  CRC-checked frame in the last ``TRUST_SECS``, the usual defence of decoders.

Both tables only hold aircraft seen in CRC-checked frames and forget them after
``TRUST_SECS`` without one, so their size follows the real traffic, not the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import rs1090

from .cpr import global_airborne, local
from .crc import residual

__all__ = ["PAIR_SECS", "TRUST_SECS", "DecoderStats", "FrameDecoder"]

#: An even and an odd airborne frame further apart than this are not a pair.
PAIR_SECS = 10.0
#: An aircraft's last position is a usable reference for this long (seconds).
LOCAL_SECS = 30.0
#: Address/parity frames count for aircraft confirmed this recently (seconds).
TRUST_SECS = 300.0
_SWEEP_SECS = 30.0
#: Decoded frames remembered (about 10 MB): a reply that repeats, such as the altitude
#: of an aircraft in level flight, is decoded once. Cleared when full.
CACHE_SIZE = 32_768
_REFUSED: dict[str, Any] = {}


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


class FrameDecoder:
    def __init__(self, reference: tuple[float, float] | None = None) -> None:
        self.reference = reference
        self.stats = DecoderStats()
        self._trusted: dict[str, float] = {}
        #: icao24 -> [even (t, lat_cpr, lon_cpr) | None, odd ... | None, last (t, lat, lon) | None]
        self._cpr: dict[str, list[Any]] = {}
        self._next_sweep = 0.0
        self._cache: dict[bytes, dict[str, Any]] = {}

    def decode(self, payloads: list[bytes], timestamps: list[float]) -> list[dict[str, Any] | None]:
        """One jet1090 message (or None when rejected) per frame, in order."""
        out: list[dict[str, Any] | None] = [None] * len(payloads)
        if not payloads:
            return out
        stats, trusted = self.stats, self._trusted
        kept, checked = [], []
        for index, payload in enumerate(payloads):
            confirms = _check(payload)
            if confirms is None:
                stats.rejected += 1
                continue
            kept.append(index)
            checked.append(confirms)
        cache = self._cache
        decoded = [cache.get(payloads[index]) for index in kept]
        missing = [k for k, hit in enumerate(decoded) if hit is None]
        if missing:
            # rs1090's TypedDicts are plain dicts at run time; None: refused.
            fresh = cast(
                "list[dict[str, Any] | None]",
                rs1090.decode([payloads[kept[k]].hex() for k in missing]),
            )
            if len(cache) + len(missing) > CACHE_SIZE:
                cache.clear()
            for k, result in zip(missing, fresh, strict=True):
                decoded[k] = cache[payloads[kept[k]]] = _REFUSED if result is None else result
        for index, confirms, cached in zip(kept, checked, decoded, strict=True):
            icao = None if cached is None else cached.get("icao24")
            if cached is None or type(icao) is not str:  # refused, or a format without address
                stats.rejected += 1
                continue
            msg = dict(cached)  # the cached result stays as rs1090 gave it
            ts = timestamps[index]
            if confirms:
                trusted[icao] = ts
                if "lat_cpr" in msg:
                    self._position(icao, ts, msg)
            elif ts - trusted.get(icao, -TRUST_SECS - 1) > TRUST_SECS:
                stats.unconfirmed += 1
                continue
            msg["timestamp"] = ts
            msg["frame"] = payloads[index].hex()
            stats.decoded += 1
            out[index] = msg
        if timestamps[-1] >= self._next_sweep:
            self._sweep(timestamps[-1])
        return out

    def _position(self, icao: str, ts: float, msg: dict[str, Any]) -> None:
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
                return
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
            return
        state[2] = (ts, *position)
        msg["latitude"], msg["longitude"] = position
        self.stats.positions += 1

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + _SWEEP_SECS
        limit = now - TRUST_SECS
        for icao in [icao for icao, seen in self._trusted.items() if seen < limit]:
            del self._trusted[icao]
            self._cpr.pop(icao, None)


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
