"""Large point sets as columns of float32 (sans-I/O): the fast path of big tables.

GeoJSON costs a Python object per point at every step (the caller, the server, the
browser's parser and MapLibre's tiler). A table of at least :data:`BINARY_MIN_POINTS`
points without a grouping column travels instead as one binary body::

    uint32 LE  header length H
    H bytes    header, JSON: {"count": N, "columns": ["longitude", "latitude"(, name)],
                              "label": ..., "style": {...}}
    N float32 LE longitudes, N float32 LE latitudes (, N float32 LE values)

and ``GET /explore/data/{id}`` serves the arrays (without the header) as
``application/octet-stream``; the browser draws them straight from those arrays.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from .geojson import ExploreError

__all__ = ["BINARY_MIN_POINTS", "MAX_HEADER", "Points", "decode", "encode", "to_geojson"]

#: Point tables this large go binary; smaller ones stay GeoJSON.
BINARY_MIN_POINTS = 50_000
MAX_HEADER = 64 * 1024
NAN = float("nan")


@dataclass
class Points:
    count: int
    columns: list[str]
    #: The float32 arrays, one after the other (what the browser fetches).
    blob: bytes
    label: str | None
    style: Any
    value_range: list[float] | None


def _f32(values: Sequence[float | None]) -> array[float]:
    out = array("f", [NAN if v is None else v for v in values])
    if sys.byteorder != "little":  # pragma: no cover - the wire is little-endian
        out.byteswap()
    return out


def encode(
    xs: Sequence[float],
    ys: Sequence[float],
    values: Sequence[float | None] | None,
    value_name: str | None,
    label: str | None,
    style: Any,
) -> bytes:
    """The request body for ``POST /explore/points`` (positions already finite)."""
    columns = ["longitude", "latitude"] + ([value_name] if value_name and values else [])
    header = orjson.dumps({"count": len(xs), "columns": columns, "label": label, "style": style})
    parts = [struct.pack("<I", len(header)), header, _f32(xs).tobytes(), _f32(ys).tobytes()]
    if value_name and values is not None:
        parts.append(_f32(values).tobytes())
    return b"".join(parts)


def decode(body: bytes, max_features: int) -> Points:
    """Check a body from :func:`encode`; raises ExploreError naming what is wrong."""
    if len(body) < 4:
        raise ExploreError("body: expected a 4-byte header length, then the header")
    (size,) = struct.unpack_from("<I", body)
    if size > MAX_HEADER or 4 + size > len(body):
        raise ExploreError(f"header: length {size} is over {MAX_HEADER} or past the body")
    try:
        header = orjson.loads(body[4 : 4 + size])
    except orjson.JSONDecodeError:
        raise ExploreError("header: not valid JSON") from None
    if not isinstance(header, dict):
        raise ExploreError('header: expected {"count": N, "columns": [...]}')
    count, columns = header.get("count"), header.get("columns")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ExploreError("header count: expected the number of points")
    if count > max_features:
        raise ExploreError(
            f"{count} features, more than the limit of {max_features}; push fewer rows "
            "or raise [plugins.tangram_explore] max_features"
        )
    if (
        not isinstance(columns, list)
        or columns[:2] != ["longitude", "latitude"]
        or len(columns) > 3
        or not all(isinstance(c, str) and 0 < len(c) <= 100 for c in columns)
    ):
        raise ExploreError('header columns: expected ["longitude", "latitude"] and one value name')
    blob = body[4 + size :]
    if len(blob) != 4 * count * len(columns):
        raise ExploreError(
            f"body: expected {len(columns)} columns of {count} float32 values "
            f"({4 * count * len(columns)} bytes), got {len(blob)} bytes"
        )
    arrays = _arrays(blob, count, len(columns))
    if not all(-180.0 <= x <= 180.0 for x in arrays[0]):
        raise ExploreError("longitude: expected finite values between -180 and 180")
    if not all(-90.0 <= y <= 90.0 for y in arrays[1]):
        raise ExploreError("latitude: expected finite values between -90 and 90")
    value_range = None
    if len(arrays) == 3:
        finite = [v for v in arrays[2] if math.isfinite(v)]
        value_range = [min(finite), max(finite)] if finite else None
    label = header.get("label")
    text = label if isinstance(label, str) else None
    return Points(count, columns, blob, text, header.get("style"), value_range)


def _arrays(blob: bytes, count: int, width: int) -> list[array[float]]:
    arrays = []
    for i in range(width):
        column = array("f")
        column.frombytes(blob[4 * count * i : 4 * count * (i + 1)])
        if sys.byteorder != "little":  # pragma: no cover
            column.byteswap()
        arrays.append(column)
    return arrays


def to_geojson(blob: bytes, count: int, columns: list[str]) -> dict[str, Any]:
    """The same points as GeoJSON (``GET /explore/data/{id}?format=geojson``)."""
    arrays = _arrays(blob, count, len(columns))
    values = arrays[2] if len(arrays) == 3 else None
    features = []
    for i in range(count):
        properties: dict[str, Any] = {}
        if values is not None:
            v = values[i]
            properties[columns[2]] = v if math.isfinite(v) else None
        coordinates = [arrays[0][i], arrays[1][i]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": coordinates},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}
