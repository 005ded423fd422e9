"""Tables (polars, pandas, pyarrow) as Arrow layers (sans-I/O).

A DataFrame never becomes a Python object per row: it is turned into a pyarrow Table
(zero-copy from polars), reduced to the columns the map needs, and sent, stored and
served as an Arrow IPC stream, which the browser reads without copying (apache-arrow's
JS reader gives a ``Float64Array`` per column), projects once and hands to WebGL.

A layer table has ``longitude`` and ``latitude`` (float64 as pushed, finite, in range),
then the ``color_by`` column when there is one (float64, NaN where missing) and, for lines, the
grouping column (dictionary-encoded, so the browser compares integers), rows sorted by
group then time. The label, style and kind travel in the schema's metadata.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from .frames import GROUP_COLUMNS, LATITUDE, LONGITUDE, ORDER_COLUMNS, group_feature
from .geojson import ExploreError

__all__ = [
    "ARROW",
    "PARQUET",
    "ArrowLayer",
    "decode",
    "encode",
    "prepare",
    "to_arrow",
    "to_geojson",
    "to_parquet",
]

ARROW = "application/vnd.apache.arrow.stream"
PARQUET = "application/vnd.apache.parquet"
META = b"tangram_explore"


@dataclass
class ArrowLayer:
    """A checked layer table and what it carries."""

    table: pa.Table
    #: "points", or "lines" (one line per value of ``group``).
    kind: str
    group: str | None
    value: str | None
    value_range: list[float] | None
    #: points, or lines: what ``max_features`` bounds.
    features: int
    label: str | None
    style: Any


def to_arrow(data: Any) -> pa.Table:
    """A polars/pandas DataFrame or pyarrow Table as a pyarrow Table."""
    root = type(data).__module__.split(".", 1)[0]
    if isinstance(data, pa.Table):
        return data
    if root == "polars":
        table: pa.Table = data.to_arrow()
        return table
    if root == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    raise ExploreError(
        f"expected a polars/pandas DataFrame or a pyarrow Table, got {type(data).__name__}"
    )


def _find(table: pa.Table, names: tuple[str, ...]) -> str | None:
    lowered = {name.lower(): name for name in table.column_names}
    return next((lowered[n] for n in names if n in lowered), None)


def _float64(table: pa.Table, name: str) -> pa.ChunkedArray:
    column = table.column(name)
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise ExploreError(f"column {name!r}: expected numbers, got {column.type}")
    return pc.cast(column, pa.float64())


def prepare(table: pa.Table, color_by: str | None) -> ArrowLayer:
    """The layer table of ``table``; raises ExploreError naming a missing or wrong
    column. Idempotent: the server runs it again on what it receives."""
    names = ", ".join(table.column_names) or "none"
    lat, lon = _find(table, LATITUDE), _find(table, LONGITUDE)
    if lat is None or lon is None:
        missing = "latitude" if lat is None else "longitude"
        alias = "lat" if missing == "latitude" else "lon or lng"
        raise ExploreError(f"expected a {missing!r} column (or {alias}); the columns are: {names}")
    if color_by is not None and color_by not in table.column_names:
        raise ExploreError(f"style color_by: no column {color_by!r}; the columns are: {names}")
    group = _find(table, GROUP_COLUMNS)
    if group is not None and group.lower() == "track":
        if pa.types.is_floating(table.column(group).type):
            group = None  # jet1090's "track" is a heading in degrees, not a track id
    order = _find(table, ORDER_COLUMNS) if group is not None else None
    if group is not None:
        column = table.column(group)
        if pa.types.is_dictionary(column.type):  # what prepare() sent: Arrow sorts values
            index = table.column_names.index(group)
            table = table.set_column(index, group, pc.cast(column, column.type.value_type))
        # A stable sort: rows of one time keep their order.
        keys = [(group, "ascending")] + ([(order, "ascending")] if order else [])
        table = table.sort_by(keys)
    x, y = _float64(table, lon), _float64(table, lat)
    keep = pc.and_(pc.is_finite(x), pc.is_finite(y))  # null where missing: dropped too
    columns: dict[str, Any] = {"longitude": x, "latitude": y}
    value_range = None
    if color_by is not None:
        values = pc.fill_null(_float64(table, color_by), float("nan"))
        columns[color_by] = values
    if group is not None:
        columns[group] = pc.dictionary_encode(table.column(group), null_encoding="encode")
    out = pa.table(columns).filter(keep).combine_chunks()
    _check_range(out, "longitude", 180.0)
    _check_range(out, "latitude", 90.0)
    if color_by is not None:
        values = out.column(color_by)
        span = pc.min_max(pc.filter(values, pc.is_finite(values))).as_py()
        if span["min"] is not None:
            value_range = [float(span["min"]), float(span["max"])]
    features = out.num_rows
    if group is not None:
        features = len(pc.unique(out.column(group).chunk(0).indices)) if out.num_rows else 0
    kind = "lines" if group is not None else "points"
    return ArrowLayer(out, kind, group, color_by, value_range, features, None, None)


def _check_range(table: pa.Table, name: str, bound: float) -> None:
    if table.num_rows == 0:
        return
    span = pc.min_max(table.column(name)).as_py()
    if span["min"] < -bound or span["max"] > bound:
        raise ExploreError(
            f"column {name!r}: expected values between {-bound:g} and {bound:g}, "
            f"found {span['min']:g} to {span['max']:g}"
        )


def encode(layer: ArrowLayer, label: str | None, style: Any) -> bytes:
    """The Arrow IPC stream of a layer, label and style in its schema metadata."""
    meta = orjson.dumps({"label": label, "style": style})
    table = layer.table.replace_schema_metadata({META: meta})
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def decode(body: bytes, max_features: int) -> ArrowLayer:
    """Read and check an Arrow IPC stream sent to ``POST /explore/layers``; raises
    ExploreError naming what is wrong."""
    try:
        table = ipc.open_stream(pa.py_buffer(body)).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise ExploreError(f"body: not a readable Arrow IPC stream ({exc})") from None
    meta: dict[str, Any] = {}
    raw = (table.schema.metadata or {}).get(META)
    if raw is not None:
        try:
            meta = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ExploreError("schema metadata tangram_explore: not valid JSON") from None
        if not isinstance(meta, dict):
            raise ExploreError('schema metadata tangram_explore: expected {"label", "style"}')
    style = meta.get("style")
    color_by = style.get("color_by") if isinstance(style, dict) else None
    layer = prepare(table.replace_schema_metadata(None), color_by)
    if layer.features > max_features:
        raise ExploreError(
            f"{layer.features} features, more than the limit of {max_features}; push fewer "
            "rows (filter or sample) or raise [plugins.tangram_explore] max_features"
        )
    label = meta.get("label")
    layer.label = label if isinstance(label, str) else None
    layer.style = style
    return layer


def read(body: bytes) -> pa.Table:
    """A stored layer's table again (zero-copy over its IPC bytes)."""
    return ipc.open_stream(pa.py_buffer(body)).read_all()


def to_parquet(table: pa.Table) -> bytes:
    # Parquet keeps plain values: the group's dictionary (with null in it) is for the browser.
    plain = [
        pc.cast(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
        for c in table.columns
    ]
    sink = io.BytesIO()
    pq.write_table(pa.table(plain, names=table.column_names), sink)
    return sink.getvalue()


def to_geojson(table: pa.Table, value: str | None, group: str | None) -> dict[str, Any]:
    """The layer as GeoJSON: a Point per row, or a LineString per group (with the mean
    of ``value`` over the line) for small layers and clients that want GeoJSON."""
    xs = table.column("longitude").to_pylist()
    ys = table.column("latitude").to_pylist()
    vs = table.column(value).to_pylist() if value else None
    if group is None:
        features = []
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            properties: dict[str, Any] = {}
            if vs is not None and value is not None:
                properties[value] = vs[i] if vs[i] == vs[i] else None  # NaN: missing
            geometry = {"type": "Point", "coordinates": [x, y]}
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
        return {"type": "FeatureCollection", "features": features}
    keys = table.column(group).to_pylist()
    runs: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        runs.setdefault(key, []).append(i)
    features = []
    for key, rows in runs.items():
        coordinates = [[xs[r], ys[r]] for r in rows]
        properties = {group: key}
        if vs is not None and value is not None:
            finite = [vs[r] for r in rows if vs[r] == vs[r]]
            properties[value] = sum(finite) / len(finite) if finite else None
        features.append(group_feature(coordinates, properties))
    return {"type": "FeatureCollection", "features": features}
