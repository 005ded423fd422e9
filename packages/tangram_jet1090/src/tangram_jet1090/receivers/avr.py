"""AVR text frames (dump1090/readsb port 30002), sans-I/O.

One frame per line: ``*8D4840D6202CC371C32CE0576098;`` or, with the receiver's
12 MHz counter, ``@0123456789AB8D4840D6...;``. readsb's ``<`` variant also carries a
signal byte (``<`` + 12 hex counter + 2 hex signal + frame). Lines that are not frames
are skipped and counted; a line longer than ``MAX_LINE`` is dropped whole.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MAX_LINE", "AvrFrame", "AvrParser", "encode"]

#: Longest line kept while waiting for its end (a long frame with prefixes is 44).
MAX_LINE = 128
_HEX = frozenset(b"0123456789abcdefABCDEF")
#: Frame lengths in hex digits: Mode A/C, Mode S short, Mode S long.
_MODE_AC, _SHORT, _LONG = 4, 14, 28


class AvrFrame(NamedTuple):
    payload: bytes
    #: The receiver's 12 MHz counter, when the line has one.
    ticks: int | None


class AvrParser:
    def __init__(self) -> None:
        self._rest = b""
        self.frames = 0
        self.mode_ac = 0
        #: Lines that are not AVR frames (garbage, wrong length, not hex, too long).
        self.bad_lines = 0

    def reset(self) -> None:
        """Forget a partial frame (a new connection starts afresh)."""
        self._rest = b""

    def feed(self, data: bytes) -> list[AvrFrame]:
        buf = self._rest + data if self._rest else data
        lines = buf.split(b"\n")
        rest = lines.pop()
        if len(rest) > MAX_LINE:
            self.bad_lines += 1
            rest = b""
        self._rest = rest
        out: list[AvrFrame] = []
        for line in lines:
            frame = self._parse(line.strip())
            if frame is not None:
                out.append(frame)
        return out

    def payloads(self, data: bytes) -> list[bytes]:
        """Only the Mode S payloads (what the hub decodes)."""
        return [frame.payload for frame in self.feed(data)]

    def _parse(self, line: bytes) -> AvrFrame | None:
        if not line:
            return None
        if len(line) < 3 or line[-1] != 0x3B:  # ';'
            self.bad_lines += 1
            return None
        head, text = line[0], line[1:-1]
        ticks: int | None = None
        if head == 0x40:  # '@': 12 hex counter first
            ticks, text = _hex_int(text[:12]), text[12:]
        elif head == 0x3C:  # '<': counter and signal first
            ticks, text = _hex_int(text[:12]), text[14:]
        elif head != 0x2A:  # '*'
            self.bad_lines += 1
            return None
        if head != 0x2A and ticks is None:
            self.bad_lines += 1
            return None
        if len(text) not in (_MODE_AC, _SHORT, _LONG) or not _HEX.issuperset(text):
            self.bad_lines += 1
            return None
        if len(text) == _MODE_AC:
            self.mode_ac += 1
            return None
        self.frames += 1
        return AvrFrame(bytes.fromhex(text.decode("ascii")), ticks)


def _hex_int(text: bytes) -> int | None:
    try:
        return int(text, 16)
    except ValueError:
        return None


def encode(payload: bytes, ticks: int | None = None) -> bytes:
    """One AVR line (for test servers)."""
    if ticks is None:
        return b"*" + payload.hex().upper().encode() + b";\n"
    return b"@%012X" % ticks + payload.hex().upper().encode() + b";\n"
