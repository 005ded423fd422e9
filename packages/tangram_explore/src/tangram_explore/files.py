"""Files dropped on the map to GeoJSON (sans-I/O: bytes in, FeatureCollection out).

By file name: ``.geojson``/``.json`` (GeoJSON), ``.csv``, ``.jsonl``/``.ndjson`` (one
JSON object per line, such as a jet1090 recording, which becomes one trajectory per
``icao24``) and ``.parquet`` (needs pyarrow). Any of them may be gzipped (``.gz``). The
decompressed size is bounded like the upload itself, so a small archive cannot expand
into gigabytes.
"""

from __future__ import annotations

import csv
import io
import zlib
from typing import Any

import orjson

from .frames import columns_of, table_to_geojson
from .geojson import ExploreError, as_feature_collection

__all__ = ["SUFFIXES", "file_to_geojson"]

SUFFIXES = (".geojson", ".json", ".csv", ".jsonl", ".ndjson", ".parquet")


def file_to_geojson(
    name: str, body: bytes, *, max_bytes: int, max_features: int, color_by: str | None = None
) -> dict[str, Any]:
    """Parse an uploaded file; raises ExploreError naming the file and the problem."""
    lowered = name.lower()
    if lowered.endswith(".gz") or body[:2] == b"\x1f\x8b":
        body = _gunzip(name, body, max_bytes)
        lowered = lowered.removesuffix(".gz")
    suffix = next((s for s in SUFFIXES if lowered.endswith(s)), None)
    try:
        if suffix in (".geojson", ".json"):
            return as_feature_collection(orjson.loads(body), max_features)
        if suffix == ".csv":
            columns = _csv_columns(body)
        elif suffix in (".jsonl", ".ndjson"):
            columns = _jsonl_columns(body)
        elif suffix == ".parquet":
            columns = _parquet_columns(body)
        else:
            raise ExploreError(f"unknown file type; expected one of {', '.join(SUFFIXES)}")
        return table_to_geojson(columns, color_by=color_by, max_features=max_features)
    except orjson.JSONDecodeError as exc:
        raise ExploreError(f"{name}: not valid JSON ({exc})") from None
    except ExploreError as exc:
        raise ExploreError(f"{name}: {exc}") from None


def _gunzip(name: str, body: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise ExploreError(f"{name}: not a readable gzip file ({exc})") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise ExploreError(f"{name}: more than {max_bytes} bytes once decompressed")
    return out


def _csv_columns(body: bytes) -> dict[str, list[Any]]:
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ExploreError("empty CSV; expected a header row with latitude and longitude")
    names = [h.strip() for h in header]
    columns: dict[str, list[Any]] = {h: [] for h in names}
    for row in reader:
        for i, h in enumerate(names):
            columns[h].append(_cell(row[i]) if i < len(row) else None)
    return columns


def _cell(text: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _jsonl_columns(body: bytes) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {}
    rows = 0
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ExploreError(f"line {number}: not valid JSON") from None
        if not isinstance(record, dict):
            raise ExploreError(f"line {number}: expected a JSON object per line")
        for key in record:
            if key not in columns:
                columns[key] = [None] * rows
        for key, values in columns.items():
            values.append(record.get(key))
        rows += 1
    return columns


def _parquet_columns(body: bytes) -> dict[str, list[Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ExploreError(
            "reading Parquet needs pyarrow on the server: pip install pyarrow"
        ) from None
    try:
        table = pq.read_table(io.BytesIO(body))
    except Exception as exc:
        raise ExploreError(f"not a readable Parquet file ({exc})") from None
    return columns_of(table)
