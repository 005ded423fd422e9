"""BaseStation (SBS) CSV lines (dump1090/readsb port 30003), sans-I/O.

``MSG,<type>,<session>,<aircraft>,<hex ident>,<flight>,<date>,<time>,<date>,<time>,
<callsign>,<altitude>,<groundspeed>,<track>,<lat>,<lon>,<vertical rate>,<squawk>,
<alert>,<emergency>,<spi>,<on ground>``. The receiver has already decoded these, so
each line becomes a jet1090-style message carrying the fields it has; the state
table cannot tell the difference. Other record kinds (``SEL``, ``ID``, ``AIR``,
``STA``, ``CLK``) are ignored; lines that are not SBS at all are counted.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_LINE", "SbsParser", "encode"]

#: Longest line kept while waiting for its end.
MAX_LINE = 512
#: Transmission type -> the downlink format the receiver decoded it from.
_DF = {"1": "17", "2": "17", "3": "17", "4": "17", "5": "4", "6": "5", "7": "0", "8": "11"}
_OTHER_KINDS = frozenset({"SEL", "ID", "AIR", "STA", "CLK"})
#: Numeric columns -> message key.
_NUMERIC = ((11, "altitude"), (12, "groundspeed"), (13, "track"), (16, "vertical_rate"))


class SbsParser:
    def __init__(self) -> None:
        self._rest = b""
        self.messages = 0
        #: Valid SBS records of other kinds (SEL, ID, AIR, STA, CLK).
        self.other = 0
        #: Lines that are not SBS (garbage, wrong field count, bad hex ident or numbers).
        self.bad_lines = 0

    def reset(self) -> None:
        """Forget a partial frame (a new connection starts afresh)."""
        self._rest = b""

    def feed(self, data: bytes) -> list[tuple[bytes, dict[str, Any]]]:
        """``(dedup key, message without timestamp)`` for each MSG line."""
        buf = self._rest + data if self._rest else data
        lines = buf.split(b"\n")
        rest = lines.pop()
        if len(rest) > MAX_LINE:
            self.bad_lines += 1
            rest = b""
        self._rest = rest
        out = []
        for line in lines:
            line = line.strip()
            if line:
                parsed = self._parse(line)
                if parsed is not None:
                    out.append(parsed)
        return out

    def _parse(self, line: bytes) -> tuple[bytes, dict[str, Any]] | None:
        try:
            fields = line.decode("ascii").split(",")
        except UnicodeDecodeError:
            self.bad_lines += 1
            return None
        if fields[0] != "MSG":
            if fields[0] in _OTHER_KINDS:
                self.other += 1
            else:
                self.bad_lines += 1
            return None
        try:
            message = _message(fields)
        except ValueError:
            self.bad_lines += 1
            return None
        self.messages += 1
        # The same report from two receivers differs only in the time columns.
        key = ",".join([fields[1], fields[4], *fields[10:]]).encode()
        return key, message


def _message(fields: list[str]) -> dict[str, Any]:
    if len(fields) < 18:
        raise ValueError("too few columns")
    df = _DF.get(fields[1])
    ident = fields[4].strip().lower()
    if df is None or len(ident) != 6:
        raise ValueError("unknown type or hex ident")
    int(ident, 16)
    msg: dict[str, Any] = {"df": df, "icao24": ident}
    callsign = fields[10].strip()
    if callsign:
        msg["callsign"] = callsign
    for column, key in _NUMERIC:
        text = fields[column].strip()
        if text:
            msg[key] = _number(text)
    lat, lon = fields[14].strip(), fields[15].strip()
    if lat and lon:
        latitude, longitude = _number(lat), _number(lon)
        if -90 <= latitude <= 90 and -180 <= longitude <= 180:
            msg["latitude"], msg["longitude"] = latitude, longitude
    squawk = fields[17].strip()
    if squawk:
        if len(squawk) != 4 or not squawk.isdigit():
            raise ValueError("squawk")
        msg["squawk"] = squawk
    return msg


def _number(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return int(value) if value.is_integer() and "." not in text else value


def encode(message: dict[str, Any], kind: int) -> bytes:
    """One ``MSG`` line from a jet1090-style message (for test servers)."""
    cols = [""] * 22
    cols[0], cols[1], cols[2], cols[3] = "MSG", str(kind), "1", "1"
    cols[4], cols[5] = message["icao24"].upper(), "1"
    cols[6] = cols[8] = "2024/07/06"
    cols[7] = cols[9] = "06:43:09.525"
    for column, key in ((10, "callsign"), *_NUMERIC, (14, "latitude"), (15, "longitude")):
        if message.get(key) is not None:
            cols[column] = str(message[key])
    if message.get("squawk"):
        cols[17] = message["squawk"]
    return ",".join(cols).encode() + b"\r\n"
