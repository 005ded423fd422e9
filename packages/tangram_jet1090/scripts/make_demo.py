"""Build the demo recording shipped with tangram_jet1090.

Input: ``quickstart.json.gz`` from the traffic 2.13 wheel (Xavier Olive, MIT licence):
one JSON array of state vectors (1 Hz) of 213 aircraft around Paris over 3 hours.
Output: ``src/tangram_jet1090/data/demo.jsonl.gz``, jet1090-style messages (one JSON
object per line) that the replayer publishes as if a decoder were running:

- DF17 BDS 0,5 airborne position (altitude, latitude, longitude) or BDS 0,6 surface
  position (groundspeed, track, latitude, longitude) every ``--position-every`` s;
- DF17 BDS 0,9 velocity (groundspeed, track, vertical_rate) every ``--velocity-every`` s;
- DF17 BDS 0,8 identification (callsign) every 30 s;
- DF5 squawk every 15 s.

The messages are synthesised from state vectors, so they carry no ``frame``. The time
window is limited (``--minutes``) to keep the file a few MB. The recording starts at
``--begin-minute`` (the busiest part of the sample, so that the map is full as soon as
the demo opens) and continues with the part before it, shifted in time: played in a
loop it covers the whole window.

    python packages/tangram_jet1090/scripts/make_demo.py \
        ../shared/data/traffic-2.13/quickstart.json.gz
"""

from __future__ import annotations

import argparse
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "tangram_jet1090" / "data" / "demo.jsonl.gz"
IDENT_EVERY = 30.0
SQUAWK_EVERY = 15.0


def messages(
    rows: list[dict[str, Any]], position_every: float, velocity_every: float
) -> Iterator[dict[str, Any]]:
    """jet1090-style messages, in time order, from 1 Hz state vectors."""
    last: dict[tuple[str, str], float] = {}

    def due(icao: str, kind: str, ts: float, every: float) -> bool:
        previous = last.get((icao, kind))
        if previous is not None and ts - previous < every:
            return False
        last[(icao, kind)] = ts
        return True

    for row in rows:
        icao, ts = row["icao24"], row["timestamp"] / 1000
        base = {"timestamp": ts, "df": "17", "icao24": icao}
        lat, lon = row.get("latitude"), row.get("longitude")
        onground = bool(row.get("onground"))
        callsign = (row.get("callsign") or "").strip()
        if callsign and due(icao, "ident", ts, IDENT_EVERY):
            yield {**base, "bds": "08", "wake_vortex": "n/a", "callsign": callsign}
        if lat is not None and lon is not None and due(icao, "pos", ts, position_every):
            position = {"latitude": round(lat, 5), "longitude": round(lon, 5)}
            if onground:
                yield {**base, "bds": "06", **_speed(row), **position}
            elif row.get("altitude") is not None:
                altitude = {"altitude": int(row["altitude"]), "source": "barometric"}
                yield {**base, "bds": "05", **altitude, **position}
        if not onground and due(icao, "vel", ts, velocity_every):
            rate = row.get("vertical_rate")
            velocity = {**_speed(row), "vertical_rate": None if rate is None else int(rate)}
            if velocity.get("groundspeed") is not None:
                yield {**base, "bds": "09", **velocity, "vrate_src": "barometric"}
        squawk = row.get("squawk")
        if squawk and due(icao, "squawk", ts, SQUAWK_EVERY):
            yield {"timestamp": ts, "df": "5", "icao24": icao, "squawk": str(squawk).zfill(4)}


def rotate(rows: list[dict[str, Any]], begin: float, end: float) -> list[dict[str, Any]]:
    """Rows from ``begin`` to ``end``, then the earlier ones moved after ``end``
    (timestamps in ms); the order by time is kept."""
    first = rows[0]["timestamp"]
    later = [row for row in rows if row["timestamp"] >= begin]
    span = end - first
    earlier = [
        {**row, "timestamp": row["timestamp"] + span} for row in rows if row["timestamp"] < begin
    ]
    return later + earlier


def _speed(row: dict[str, Any]) -> dict[str, Any]:
    speed, track = row.get("groundspeed"), row.get("track")
    return {
        "groundspeed": None if speed is None else round(speed, 1),
        "track": None if track is None else round(track, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("quickstart", type=Path, help="quickstart.json.gz (traffic 2.13)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--minutes", type=float, default=180.0, help="length of the demo")
    parser.add_argument("--begin-minute", type=float, default=120.0, help="where it starts")
    parser.add_argument("--position-every", type=float, default=2.0)
    parser.add_argument("--velocity-every", type=float, default=4.0)
    args = parser.parse_args()

    rows = orjson.loads(gzip.decompress(args.quickstart.read_bytes()))
    rows.sort(key=lambda row: row["timestamp"])
    end = rows[0]["timestamp"] + args.minutes * 60_000
    rows = [row for row in rows if row["timestamp"] < end]
    rows = rotate(rows, rows[0]["timestamp"] + args.begin_minute * 60_000, end)
    count = 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: rebuilding from the same input gives the same bytes
    with args.output.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for message in messages(rows, args.position_every, args.velocity_every):
            out.write(orjson.dumps(message) + b"\n")
            count += 1
    aircraft = len({row["icao24"] for row in rows})
    size = args.output.stat().st_size / 1e6
    print(f"{args.output}: {count} messages, {aircraft} aircraft, {size:.1f} MB")


if __name__ == "__main__":
    main()
