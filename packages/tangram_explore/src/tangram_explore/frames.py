"""Plain columns (from a dropped file) to GeoJSON features.

A table needs ``latitude`` and ``longitude`` columns (``lat``/``lon``/``lng`` also
work). Rows become points, or one line per group when a ``flight_id``, ``icao24`` or
``track`` column is present (in that order of preference; a ``track`` of floats is a
heading, not an id, and groups nothing), in ``timestamp`` order when there is such a
column. ``color_by`` names a numeric column copied into each point's
properties (for lines: the mean over the line). polars, pandas and pyarrow are imported
by their own objects only: none of them is required.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .geojson import ExploreError

__all__ = [
    "GROUP_COLUMNS",
    "LATITUDE",
    "LONGITUDE",
    "ORDER_COLUMNS",
    "columns_of",
    "group_feature",
    "is_table",
    "table_to_geojson",
]

LATITUDE = ("latitude", "lat")
LONGITUDE = ("longitude", "lon", "lng")
#: Columns that group rows into lines, by preference.
GROUP_COLUMNS = ("flight_id", "icao24", "track")
ORDER_COLUMNS = ("timestamp", "time", "ts")

Columns = Mapping[str, Sequence[Any]]


def is_table(data: Any) -> bool:
    """True for polars/pandas DataFrames and pyarrow Tables (checked without importing)."""
    root = type(data).__module__.split(".", 1)[0]
    return root in {"polars", "pandas", "pyarrow"} and hasattr(data, "columns")


def columns_of(data: Any) -> dict[str, list[Any]]:
    """The table as ``{column: values}`` (plain Python values)."""
    root = type(data).__module__.split(".", 1)[0]
    if root == "polars":
        result: dict[str, list[Any]] = data.to_dict(as_series=False)
        return result
    if root == "pandas":
        frame = data.reset_index(drop=True)
        return {str(name): frame[name].tolist() for name in frame.columns}
    if root == "pyarrow":
        table: dict[str, list[Any]] = data.to_pydict()
        return table
    raise ExploreError(
        f"expected a polars/pandas DataFrame, a pyarrow Table or GeoJSON, got {type(data).__name__}"
    )


def _find(columns: Columns, names: Sequence[str]) -> str | None:
    lowered = {name.lower(): name for name in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _locate(columns: Columns, color_by: str | None) -> tuple[str, str, str | None]:
    """The latitude, longitude and grouping columns; ExploreError naming a missing one."""
    names = ", ".join(columns) or "none"
    lat_name, lon_name = _find(columns, LATITUDE), _find(columns, LONGITUDE)
    if lat_name is None or lon_name is None:
        missing = "latitude" if lat_name is None else "longitude"
        alias = "lat" if missing == "latitude" else "lon or lng"
        raise ExploreError(f"expected a {missing!r} column (or {alias}); the columns are: {names}")
    if color_by is not None and color_by not in columns:
        raise ExploreError(f"style color_by: no column {color_by!r}; the columns are: {names}")
    group_name = _find(columns, GROUP_COLUMNS)
    if group_name is not None and group_name.lower() == "track" and _is_angle(columns[group_name]):
        group_name = None  # jet1090's "track" is a heading in degrees, not a track id
    return lat_name, lon_name, group_name


def table_to_geojson(
    columns: Columns, *, color_by: str | None = None, max_features: int
) -> dict[str, Any]:
    """Points or lines as a FeatureCollection; rows without a finite position are
    skipped. Raises ExploreError naming the missing column."""
    lat_name, lon_name, group_name = _locate(columns, color_by)
    lats, lons = columns[lat_name], columns[lon_name]
    values = columns[color_by] if color_by is not None else None
    if group_name is None:
        return _points(lats, lons, values, color_by, max_features)
    order_name = _find(columns, ORDER_COLUMNS)
    return _lines(
        lats,
        lons,
        columns[group_name],
        group_name,
        columns[order_name] if order_name else None,
        values,
        color_by,
        max_features,
    )


def _numbers(values: Sequence[Any]) -> list[float | None]:
    # The common case (finite floats) without a call per value: x - x is 0.0 only for
    # finite x.
    return [v if v.__class__ is float and v - v == 0.0 else _number(v) for v in values]


def _points(
    lats: Sequence[Any],
    lons: Sequence[Any],
    values: Sequence[Any] | None,
    color_by: str | None,
    max_features: int,
) -> dict[str, Any]:
    xs, ys = _numbers(lons), _numbers(lats)
    if values is None or color_by is None:
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {},
            }
            for x, y in zip(xs, ys, strict=True)
            if x is not None and y is not None
        ]
    else:
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [x, y]},
                "properties": {color_by: v},
            }
            for x, y, v in zip(xs, ys, _numbers(values), strict=True)
            if x is not None and y is not None
        ]
    if len(features) > max_features:
        raise _too_many(max_features)
    return {"type": "FeatureCollection", "features": features}


def _lines(
    lats: Sequence[Any],
    lons: Sequence[Any],
    groups: Sequence[Any],
    group_name: str,
    order: Sequence[Any] | None,
    values: Sequence[Any] | None,
    color_by: str | None,
    max_features: int,
) -> dict[str, Any]:
    rows: dict[Any, list[int]] = {}
    for row in range(len(lats)):
        if _number(lats[row]) is None or _number(lons[row]) is None:
            continue
        key = groups[row]
        if key not in rows and len(rows) >= max_features:
            raise _too_many(max_features)
        rows.setdefault(key, []).append(row)
    features: list[dict[str, Any]] = []
    for key, members in rows.items():
        if order is not None:
            members.sort(key=lambda r: _order_key(order[r]))
        coordinates = [[_number(lons[r]), _number(lats[r])] for r in members]
        properties: dict[str, Any] = {group_name: key if _plain(key) else str(key)}
        if values is not None and color_by is not None:
            numbers = [n for n in (_number(values[r]) for r in members) if n is not None]
            properties[color_by] = sum(numbers) / len(numbers) if numbers else None
        features.append(group_feature(coordinates, properties))
    return {"type": "FeatureCollection", "features": features}


def group_feature(coordinates: Sequence[Any], properties: dict[str, Any]) -> dict[str, Any]:
    """One group's rows as a feature: a line, or a point when the group has one row
    (a one-point LineString is invalid GeoJSON)."""
    geometry = (
        {"type": "LineString", "coordinates": coordinates}
        if len(coordinates) > 1
        else {"type": "Point", "coordinates": coordinates[0]}
    )
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _is_angle(values: Sequence[Any]) -> bool:
    return any(isinstance(v, float) for v in values[:100])


def _order_key(value: Any) -> tuple[int, float, str]:
    # Numbers in numeric order, then anything else (datetimes, ISO text) as text.
    number = _number(value)
    if number is not None:
        return (0, number, "")
    return (1, 0.0, "" if value is None else str(value))


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _too_many(limit: int) -> ExploreError:
    return ExploreError(
        f"more than {limit} features; push fewer rows (filter or sample) or raise "
        "[plugins.tangram_explore] max_features"
    )
