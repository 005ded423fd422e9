"""The layers of one server, with their limits (sans-I/O).

One :class:`LayerStore` per running app (in a ``tangram.StateSlot`` of its BackendState,
never in a module global), so two runtimes in one process never see each other's layers.
Every limit is explicit: the number of layers, features per layer, bytes per layer and
bytes in all.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson

from .geojson import ExploreError
from .tables import ArrowLayer

__all__ = ["Layer", "LayerStore", "Limits", "check_style"]

#: Style keys a layer may carry, with what each must be.
STYLE_KEYS = {
    "color": "a CSS colour such as '#e8590c'",
    "color_by": "the name of a numeric property/column",
    "radius": "a number of pixels between 0.5 and 50",
    "width": "a number of pixels between 0.5 and 50",
    "opacity": "a number between 0 and 1",
}
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|(rgb|hsl)a?\([0-9., %]{5,40}\)")
MAX_LABEL = 200


@dataclass(frozen=True)
class Limits:
    """Bounds on what clients may store (``[plugins.tangram_explore]``)."""

    max_layers: int = 32
    max_features: int = 1_000_000
    max_layer_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_layers", "max_features", "max_layer_bytes", "max_total_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass
class Layer:
    id: str
    label: str
    style: dict[str, Any]
    features: int
    body: bytes = field(repr=False)
    #: "geojson", or "arrow" (an Arrow IPC stream, see :mod:`tangram_explore.tables`).
    format: str = "geojson"
    columns: list[str] = field(default_factory=list)
    #: For "arrow": "points" or "lines", the grouping column and the number of rows.
    kind: str = ""
    group: str | None = None
    rows: int = 0

    def describe(self) -> dict[str, Any]:
        """What ``GET /explore/layers`` lists and browsers are told."""
        described = {
            "id": self.id,
            "label": self.label,
            "style": self.style,
            "features": self.features,
            "bytes": len(self.body),
            "format": self.format,
        }
        if self.format == "arrow":
            described.update(columns=self.columns, kind=self.kind, rows=self.rows)
            described["group"] = self.group
        return described


def check_style(style: Any) -> dict[str, Any]:
    """A copy of ``style`` with every key checked; raises ExploreError naming the key."""
    if style is None:
        return {}
    if not isinstance(style, dict):
        raise ExploreError(
            f"style: expected a mapping such as {{'color': '#e8590c'}}, got {style!r:.60}"
        )
    out: dict[str, Any] = {}
    for key, value in style.items():
        if key not in STYLE_KEYS:
            raise ExploreError(f"style: unknown key {key!r}; expected {', '.join(STYLE_KEYS)}")
        ok = False
        if key == "color":
            ok = isinstance(value, str) and _COLOR.fullmatch(value) is not None
        elif key == "color_by":
            ok = isinstance(value, str) and 0 < len(value) <= 100
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = (0.0, 1.0) if key == "opacity" else (0.5, 50.0)
            ok = math.isfinite(value) and low <= value <= high
        if not ok:
            raise ExploreError(f"style {key}: expected {STYLE_KEYS[key]}, got {value!r:.60}")
        out[key] = value
    return out


def _value_range(collection: dict[str, Any], name: str) -> list[float] | None:
    low, high = math.inf, -math.inf
    for feature in collection["features"]:
        value = (feature.get("properties") or {}).get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            low, high = min(low, value), max(high, value)
    return None if low > high else [low, high]


class LayerStore:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._layers: dict[str, Layer] = {}

    def __len__(self) -> int:
        return len(self._layers)

    def list(self) -> list[dict[str, Any]]:
        return [layer.describe() for layer in self._layers.values()]

    def get(self, layer_id: str) -> Layer | None:
        return self._layers.get(layer_id)

    def add(self, collection: dict[str, Any], label: str | None, style: Any) -> Layer:
        """Store a checked FeatureCollection; raises ExploreError when a limit is hit."""
        self._admit_one_more()
        checked = check_style(style)
        color_by = checked.get("color_by")
        if color_by is not None:
            span = _value_range(collection, color_by)
            if span is None:
                raise ExploreError(
                    f"style color_by: no feature has a numeric property {color_by!r}"
                )
            checked["range"] = span
        count = len(collection["features"])
        body = orjson.dumps(collection)
        self._admit(count, len(body), "GeoJSON")
        return self._insert(Layer("", "", checked, count, body), label)

    def add_arrow(self, table: ArrowLayer, body: bytes) -> Layer:
        """Store a checked layer table (:func:`tangram_explore.tables.decode`) as the
        Arrow IPC stream ``body``."""
        self._admit_one_more()
        checked = check_style(table.style)
        color_by = checked.get("color_by")
        if color_by is not None:
            if table.value != color_by or table.value_range is None:
                raise ExploreError(f"style color_by: no finite values in column {color_by!r}")
            checked["range"] = table.value_range
        self._admit(table.features, len(body), "Arrow")
        layer = Layer(
            "", "", checked, table.features, body, "arrow", table.table.column_names,
            table.kind, table.group, table.table.num_rows,
        )  # fmt: skip
        return self._insert(layer, table.label)

    def _admit_one_more(self) -> None:
        if len(self._layers) >= self.limits.max_layers:
            raise ExploreError(
                f"already {self.limits.max_layers} layers (the limit); remove some first "
                "(Session.remove/clear) or raise [plugins.tangram_explore] max_layers"
            )

    def _admit(self, count: int, size: int, what: str) -> None:
        limits = self.limits
        if count > limits.max_features:
            raise ExploreError(f"{count} features, more than the limit of {limits.max_features}")
        if size > limits.max_layer_bytes:
            raise ExploreError(
                f"{size} bytes of {what}, more than the limit of {limits.max_layer_bytes}"
                " per layer; push fewer rows or raise [plugins.tangram_explore] max_layer_bytes"
            )
        total = sum(len(layer.body) for layer in self._layers.values()) + size
        if total > limits.max_total_bytes:
            raise ExploreError(
                f"all layers together would take {total} bytes, more than the limit of "
                f"{limits.max_total_bytes}; remove some layers first"
            )

    def _insert(self, layer: Layer, label: str | None) -> Layer:
        layer.id = secrets.token_hex(4)
        while layer.id in self._layers:
            layer.id = secrets.token_hex(4)
        layer.label = (label or "").strip()[:MAX_LABEL] or f"layer {layer.id}"
        self._layers[layer.id] = layer
        return layer

    def remove(self, layer_id: str) -> bool:
        return self._layers.pop(layer_id, None) is not None

    def clear(self) -> int:
        count = len(self._layers)
        self._layers.clear()
        return count
