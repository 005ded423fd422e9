"""Write the simulated demo scene: a few vessels on real shipping lanes of the Seine
estuary and the Channel, one hour of AIS encoded with pyais, with tag-block times.

No moving recorded AIS data set is available offline, so the scene is made up: the
lanes follow real routes (Le Havre's approach, the Seine up to Rouen, the Channel's
traffic separation lanes, the cross-Channel ferries), the ships are fictitious, and
the plugin labels the scene as simulated. Same output for the same script:

    .venv/bin/python packages/tangram_ship162/scripts/make_demo.py
"""

from __future__ import annotations

import gzip
import itertools
import math
from pathlib import Path

from tangram_ship162.encode import position_lines, static_lines

OUT = Path(__file__).resolve().parents[1] / "src/tangram_ship162/data/demo.nmea.gz"
#: 2024-07-06 06:00 UTC; the replayer shifts it to "now".
START = 1720245600
DURATION = 3600
POSITION_EVERY = 10
STATIC_EVERY = 360

# (mmsi, name, call sign, destination, type, length, width, draught, knots, waypoints)
SHIPS = [
    (
        227990001,
        "SEINE STAR",
        "FSIM1",
        "FRLEH>GBSOU",
        70,
        300,
        48,
        13.5,
        16.0,
        [(49.470, 0.070), (49.520, -0.050), (49.600, -0.400), (49.800, -0.900), (50.100, -1.300)],
    ),
    (
        227990002,
        "ESTUARY SPIRIT",
        "FSIM2",
        "LE HAVRE",
        80,
        250,
        44,
        14.2,
        12.0,
        [(49.950, -0.600), (49.600, -0.250), (49.520, -0.020), (49.480, 0.100)],
    ),
    (
        227990003,
        "ROUEN TRADER",
        "FSIM3",
        "ROUEN",
        70,
        140,
        22,
        7.8,
        9.0,
        [(49.430, 0.200), (49.470, 0.460), (49.520, 0.730), (49.480, 0.880), (49.440, 1.070)],
    ),
    (
        227990004,
        "DOVER LANE",
        "FSIM4",
        "NLRTM",
        70,
        330,
        50,
        15.0,
        14.0,
        [(50.500, 0.800), (50.300, 0.000), (50.100, -0.900), (49.950, -1.700)],
    ),
    (
        227990005,
        "NORTH PASSAGE",
        "FSIM5",
        "DEHAM",
        80,
        230,
        42,
        12.5,
        13.0,
        [(49.900, -1.500), (50.150, -0.600), (50.400, 0.300), (50.650, 1.100)],
    ),
    (
        227990006,
        "NORMANDY FERRY",
        "FSIM6",
        "PORTSMOUTH",
        60,
        186,
        28,
        6.2,
        20.0,
        [(49.480, 0.100), (49.600, -0.200), (50.200, -0.900), (50.750, -1.100)],
    ),
    (
        227990007,
        "CAEN EXPRESS",
        "FSIM7",
        "OUISTREHAM",
        60,
        170,
        27,
        6.0,
        19.0,
        [(50.760, -1.100), (50.300, -0.950), (49.500, -0.400), (49.300, -0.250)],
    ),
]
FISHER = (227990008, "PETIT FECAMPOIS", "FSIM8", "FECAMP", 30, 22, 7, 3.0, 4.0, (49.80, 0.30))

NM_PER_DEG = 60.0


def _leg(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Length (nm) and course (degrees) from a to b (flat earth: legs are short)."""
    dy = (b[0] - a[0]) * NM_PER_DEG
    dx = (b[1] - a[1]) * NM_PER_DEG * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy), math.degrees(math.atan2(dx, dy)) % 360


def _along(path: list[tuple[float, float]], nm: float) -> tuple[float, float, float, bool]:
    """Latitude, longitude and course ``nm`` along ``path``; True once arrived."""
    for a, b in itertools.pairwise(path):
        length, course = _leg(a, b)
        if nm <= length:
            f = nm / length
            return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), course, False
        nm -= length
    _, course = _leg(path[-2], path[-1])
    return path[-1][0], path[-1][1], course, True


def scene() -> list[tuple[float, bytes]]:
    out: list[tuple[float, bytes]] = []
    seq = 0
    for n, (mmsi, name, call, dest, kind, length, width, draught, knots, path) in enumerate(SHIPS):
        for t in range(n, DURATION, POSITION_EVERY):
            lat, lon, course, arrived = _along(path, knots * t / 3600)
            speed, status = (0.0, 5) if arrived else (knots, 0)
            lines = position_lines(
                mmsi,
                round(lat, 5),
                round(lon, 5),
                speed,
                round(course, 1),
                timestamp=START + t,
                status=status,
            )
            out += [(START + t, line) for line in lines]
        for t in range(n + 3, DURATION, STATIC_EVERY):
            seq = seq % 8 + 1  # 9 is the fishing vessel's
            lines = static_lines(
                mmsi,
                name,
                call,
                dest,
                kind,
                imo=9_900_000 + n,
                length=length,
                width=width,
                draught=draught,
                eta=(7, 6, 12, 0),
                timestamp=START + t,
                seq_id=seq,
            )
            out += [(START + t + 0.001 * i, line) for i, line in enumerate(lines)]
    mmsi, name, call, dest, kind, length, width, draught, knots, (clat, clon) = FISHER
    for t in range(5, DURATION, POSITION_EVERY * 3):
        angle = 2 * math.pi * t / 1800  # a slow circle while trawling
        lat, lon = clat + 0.02 * math.cos(angle), clon + 0.03 * math.sin(angle)
        course = (math.degrees(angle) + 90) % 360
        out += [
            (START + t, line)
            for line in position_lines(
                mmsi,
                round(lat, 5),
                round(lon, 5),
                knots,
                round(course, 1),
                timestamp=START + t,
                status=7,
            )
        ]
        if t % STATIC_EVERY < POSITION_EVERY * 3:
            out += [
                (START + t + 1, line)
                for line in static_lines(
                    mmsi,
                    name,
                    call,
                    dest,
                    kind,
                    length=length,
                    width=width,
                    draught=draught,
                    timestamp=START + t + 1,
                    seq_id=9,
                )
            ]
    out.sort(key=lambda item: item[0])
    return out


def main() -> None:
    lines = scene()
    body = b"".join(line + b"\r\n" for _, line in lines)
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(body)
    print(f"{OUT}: {len(lines)} lines, {len(SHIPS) + 1} simulated vessels, {DURATION} s")


if __name__ == "__main__":
    main()
