"""The Mode S parity check (24-bit CRC, generator 0x1FFF409), sans-I/O.

The last 24 bits of a frame are the CRC of the rest, XORed with the aircraft address
(address/parity formats), with an interrogator identifier (DF11), or with nothing
(DF17/18). ``residual`` is what is left after removing the CRC: 0 for a clean
DF17/18, the interrogator identifier for DF11, the address for the others.
"""

from __future__ import annotations

__all__ = ["residual"]

_GENERATOR = 0xFFF409


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc = ((crc << 1) ^ _GENERATOR) if crc & 0x800000 else crc << 1
        table.append(crc & 0xFFFFFF)
    return tuple(table)


_TABLE = _table()


def residual(frame: bytes) -> int:
    """CRC of everything but the last 3 bytes, XORed with those 3 bytes."""
    crc, table = 0, _TABLE
    for byte in frame[:-3]:
        crc = ((crc << 8) & 0xFFFFFF) ^ table[(crc >> 16) ^ byte]
    return crc ^ int.from_bytes(frame[-3:], "big")
