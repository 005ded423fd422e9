"""Checking GeoJSON before it becomes a layer (sans-I/O).

Whatever a notebook or a dropped file sends is checked here once, so that the browser
only ever receives a ``FeatureCollection`` it can draw. Errors name the field that was
wrong and what was expected (``features[3].geometry.coordinates: ...``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["GEOMETRY_DEPTH", "ExploreError", "as_feature_collection"]


class ExploreError(ValueError):
    """Input that cannot become a layer; the message says what was expected."""


#: How deeply each geometry type nests its coordinates (0: one position).
GEOMETRY_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def as_feature_collection(data: Any, max_features: int) -> dict[str, Any]:
    """A ``FeatureCollection`` from a FeatureCollection, a Feature or a bare geometry;
    raises ExploreError naming the first problem, or when there are more than
    ``max_features`` features."""
    if not isinstance(data, Mapping):
        raise ExploreError(
            f"expected a GeoJSON object (a mapping with a 'type'), got {type(data).__name__}"
        )
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, Sequence) or isinstance(features, (str, bytes)):
            raise ExploreError("features: expected a list of GeoJSON Features")
        if len(features) > max_features:
            raise ExploreError(
                f"features: {len(features)} features, more than the limit of {max_features}; "
                "push fewer (filter or sample) or raise [plugins.tangram_explore] max_features"
            )
        checked = [_feature(f, f"features[{i}]") for i, f in enumerate(features)]
    elif kind == "Feature":
        checked = [_feature(data, "feature")]
    elif kind in GEOMETRY_DEPTH or kind == "GeometryCollection":
        checked = [{"type": "Feature", "geometry": _geometry(data, "geometry"), "properties": {}}]
    else:
        raise ExploreError(
            f"type: expected 'FeatureCollection', 'Feature' or a geometry type, got {kind!r}"
        )
    return {"type": "FeatureCollection", "features": checked}


def _feature(feature: Any, where: str) -> dict[str, Any]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise ExploreError(f'{where}: expected an object with "type": "Feature"')
    geometry = feature.get("geometry")
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    elif not isinstance(properties, Mapping):
        raise ExploreError(f"{where}.properties: expected an object or null")
    out: dict[str, Any] = {
        "type": "Feature",
        "geometry": None if geometry is None else _geometry(geometry, f"{where}.geometry"),
        "properties": dict(properties),
    }
    if "id" in feature:
        out["id"] = feature["id"]
    return out


def _geometry(geometry: Any, where: str, nested: bool = False) -> dict[str, Any]:
    if not isinstance(geometry, Mapping):
        raise ExploreError(f"{where}: expected a GeoJSON geometry object")
    kind = geometry.get("type")
    if kind == "Point":
        # The common case, a million times over in a large layer: no call per number.
        xy = geometry.get("coordinates")
        if (
            xy.__class__ is list
            and len(xy) == 2
            and xy[0].__class__ is float
            and xy[1].__class__ is float
            and xy[0] - xy[0] == 0.0
            and xy[1] - xy[1] == 0.0
        ):
            return {"type": kind, "coordinates": xy}
    if kind == "GeometryCollection" and not nested:
        parts = geometry.get("geometries")
        if not isinstance(parts, Sequence) or isinstance(parts, (str, bytes)):
            raise ExploreError(f"{where}.geometries: expected a list of geometries")
        return {
            "type": kind,
            "geometries": [
                _geometry(g, f"{where}.geometries[{i}]", nested=True) for i, g in enumerate(parts)
            ],
        }
    depth = GEOMETRY_DEPTH.get(kind) if isinstance(kind, str) else None
    if depth is None:
        expected = ", ".join(GEOMETRY_DEPTH)
        raise ExploreError(f"{where}.type: expected one of {expected}, got {kind!r}")
    coordinates = _coordinates(geometry.get("coordinates"), depth, f"{where}.coordinates")
    return {"type": kind, "coordinates": coordinates}


def _coordinates(value: Any, depth: int, where: str) -> Any:
    if depth == 0:
        if (
            isinstance(value, (list, tuple))
            and 2 <= len(value) <= 3
            and all(_finite(x) for x in value)
        ):
            return [float(x) for x in value]
        raise ExploreError(f"{where}: expected a position [longitude, latitude], got {value!r:.80}")
    if not isinstance(value, (list, tuple)):
        raise ExploreError(f"{where}: expected a list, got {type(value).__name__}")
    return [_coordinates(item, depth - 1, f"{where}[{i}]") for i, item in enumerate(value)]


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
