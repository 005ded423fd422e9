"""Beast binary frames (dump1090/readsb port 30005), sans-I/O.

A frame is ``0x1a``, a type byte, a 6-byte 12 MHz counter, a 1-byte signal level and
the payload: type ``'1'`` Mode A/C (2 bytes), ``'2'`` Mode S short (7 bytes), ``'3'``
Mode S long (14 bytes), ``'4'`` a receiver status (14 bytes, ignored). Every ``0x1a``
after the type byte is sent twice. A lone ``0x1a`` always starts a frame, so after
garbage or a cut frame the parser resynchronises on the next one.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BeastFrame", "BeastParser", "MODE_AC", "MODE_S_LONG", "MODE_S_SHORT", "encode"]

ESCAPE = 0x1A
MODE_AC = 0x31
MODE_S_SHORT = 0x32
MODE_S_LONG = 0x33
STATUS = 0x34
#: Type byte -> bytes after it (timestamp 6 + signal 1 + payload), unescaped.
_BODY = {MODE_AC: 9, MODE_S_SHORT: 14, MODE_S_LONG: 21, STATUS: 21}


class BeastFrame(NamedTuple):
    kind: int
    #: The receiver's 12 MHz counter (not wall-clock time).
    ticks: int
    #: Signal level, 0-255.
    signal: int
    payload: bytes


class BeastParser:
    """``feed(bytes) -> frames``; keeps at most one partial frame between calls."""

    def __init__(self) -> None:
        self._rest = b""
        self.frames = 0
        self.mode_ac = 0
        self.status = 0
        #: Bytes skipped outside any frame (garbage, unknown types).
        self.garbage_bytes = 0
        #: Frames cut short by a lone 0x1a (a frame start inside them).
        self.truncated = 0

    def reset(self) -> None:
        """Forget a partial frame (a new connection starts afresh)."""
        self._rest = b""

    def feed(self, data: bytes) -> list[BeastFrame]:
        return [
            BeastFrame(kind, int.from_bytes(body[:6], "big"), body[6], body[7:])
            for kind, body in self._bodies(data)
        ]

    def payloads(self, data: bytes) -> list[bytes]:
        """Only the Mode S payloads (what the hub decodes), without building frames."""
        return [body[7:] for kind, body in self._bodies(data) if kind != MODE_AC]

    def _bodies(self, data: bytes) -> list[tuple[int, bytes]]:
        """``(type, unescaped body)`` of each Mode AC/S frame completed by ``data``."""
        buf = self._rest + data if self._rest else data
        out: list[tuple[int, bytes]] = []
        append = out.append
        bodies = _BODY
        find, size, pos = buf.find, len(buf), 0
        while True:
            start = find(b"\x1a", pos)
            if start < 0:
                self.garbage_bytes += size - pos
                pos = size
                break
            self.garbage_bytes += start - pos
            if start + 1 >= size:
                pos = start
                break
            kind = buf[start + 1]
            body_len = bodies.get(kind)
            if body_len is None:  # an escaped 0x1a or garbage: not a frame start
                self.garbage_bytes += 1
                pos = start + 1
                continue
            first = start + 2
            end = first + body_len
            if end > size:
                pos = start
                break
            body = buf[first:end]
            if ESCAPE in body:
                unescaped, end = _unescape(buf, first, body_len)
                if unescaped is None:
                    if end < 0:  # incomplete: wait for more bytes
                        pos = start
                        break
                    self.truncated += 1  # a lone 0x1a at end: the next frame starts there
                    pos = end
                    continue
                body = unescaped
            pos = end
            append((kind, body))
        self._rest = buf[pos:]
        if out:
            self._count(out)
        return out

    def _count(self, out: list[tuple[int, bytes]]) -> None:
        """Tally the frames of one read by type; status frames are dropped here."""
        status = mode_ac = 0
        for kind, _ in out:
            if kind == STATUS:
                status += 1
            elif kind == MODE_AC:
                mode_ac += 1
        if status:
            out[:] = [frame for frame in out if frame[0] != STATUS]
        self.status += status
        self.mode_ac += mode_ac
        self.frames += len(out) - mode_ac


def _unescape(buf: bytes, first: int, body_len: int) -> tuple[bytes | None, int]:
    """The unescaped body from ``first`` and the index after it.

    ``(None, -1)`` when ``buf`` ends before the body does; ``(None, i)`` when a lone
    0x1a at ``i`` cuts the frame (``i`` is where the next frame starts).
    """
    out = bytearray()
    i, size = first, len(buf)
    while len(out) < body_len:
        if i >= size:
            return None, -1
        byte = buf[i]
        if byte == ESCAPE:
            if i + 1 >= size:
                return None, -1
            if buf[i + 1] != ESCAPE:
                return None, i
            i += 1
        out.append(byte)
        i += 1
    return bytes(out), i


def encode(payload: bytes, ticks: int = 0, signal: int = 0) -> bytes:
    """One Beast frame (for test servers and the benchmark)."""
    kind = {2: MODE_AC, 7: MODE_S_SHORT, 14: MODE_S_LONG}[len(payload)]
    body = ticks.to_bytes(6, "big") + bytes([signal]) + payload
    return bytes([ESCAPE, kind]) + body.replace(b"\x1a", b"\x1a\x1a")
