"""AIS sentences for simulated ships (the demo scene and tests), encoded with pyais.

The output is what a receiver sends: ``!AIVDM`` lines, optionally each preceded by a
tag block carrying the receiver time (``\\c:<UNIX s>*hh\\``).
"""

from __future__ import annotations

from typing import Any

from pyais.encode import encode_dict
from pyais.messages import TagBlock

__all__ = ["position_lines", "static_lines", "tagged"]


def tagged(sentences: list[str], timestamp: float | None) -> list[bytes]:
    """The sentences as lines; with ``timestamp``, the first one gets a tag block."""
    lines = [s.encode() for s in sentences]
    if timestamp is not None and lines:
        block = TagBlock.create_str(receiver_timestamp=str(int(timestamp)))  # type: ignore[arg-type]
        lines[0] = b"\\" + block.encode() + b"\\" + lines[0]
    return lines


def position_lines(
    mmsi: int,
    lat: float,
    lon: float,
    speed: float,
    course: float,
    heading: float | None = None,
    timestamp: float | None = None,
    *,
    status: int = 0,
    channel: str = "A",
) -> list[bytes]:
    """A class A position report (type 1)."""
    data: dict[str, Any] = {
        "type": 1,
        "mmsi": mmsi,
        "status": status,
        "lat": lat,
        "lon": lon,
        "speed": speed,
        "course": course,
        "heading": round(heading if heading is not None else course) % 360,
        "accuracy": 1,
    }
    return tagged(encode_dict(data, sentence_type="VDM", radio_channel=channel), timestamp)


def static_lines(
    mmsi: int,
    shipname: str,
    callsign: str,
    destination: str,
    ship_type: int,
    *,
    imo: int = 0,
    length: int = 0,
    width: int = 0,
    draught: float = 0.0,
    eta: tuple[int, int, int, int] = (0, 0, 24, 60),
    timestamp: float | None = None,
    seq_id: int = 1,
    channel: str = "A",
) -> list[bytes]:
    """Static and voyage data (type 5, two sentences)."""
    month, day, hour, minute = eta
    data: dict[str, Any] = {
        "type": 5,
        "mmsi": mmsi,
        "ais_version": 0,
        "imo": imo,
        "callsign": callsign,
        "shipname": shipname,
        "ship_type": ship_type,
        "to_bow": length * 3 // 4,
        "to_stern": length - length * 3 // 4,
        "to_port": width // 2,
        "to_starboard": width - width // 2,
        "epfd": 1,
        "month": month,
        "day": day,
        "hour": hour,
        "minute": minute,
        "draught": draught,
        "destination": destination,
    }
    sentences = encode_dict(data, sentence_type="VDM", radio_channel=channel, seq_id=seq_id)
    return tagged(sentences, timestamp)
