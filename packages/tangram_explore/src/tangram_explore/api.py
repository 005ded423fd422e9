"""HTTP routes of the layers, and their announcements on ``to:explore:layers``.

``GET /explore/layers`` lists them, ``GET /explore/data/{id}`` serves one as GeoJSON,
Arrow or Parquet (see :func:`layer_data`), ``POST /explore/layers`` adds GeoJSON (JSON
body) or a table (an Arrow IPC stream body, what :class:`~tangram_explore.Session`
sends for DataFrames), ``POST /explore/upload?name=...`` adds a file dropped on the map, ``DELETE
/explore/layers/{id}`` and ``DELETE /explore/layers`` remove. Each change is published
to Redis ``to:explore:layers`` as ``{"action": "add"|"remove"|"clear", ...}``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

import tangram

from .files import file_to_geojson
from .geojson import ExploreError, as_feature_collection
from .store import Layer, LayerStore, Limits
from .tables import ARROW, PARQUET, decode, encode, read, to_geojson, to_parquet

__all__ = ["FORMATS", "GEOJSON", "GEOJSON_MAX_ROWS", "LAYERS", "TOPIC", "AppLayers", "router"]

log = logging.getLogger(__name__)

#: Redis channel of the announcements (topic ``explore``, event ``layers``).
TOPIC = "to:explore:layers"

router = APIRouter(prefix="/explore", tags=["explore"])

GEOJSON = "application/geo+json"
#: ``?format=`` values and their media types.
FORMATS = {"geojson": GEOJSON, "arrow": ARROW, "parquet": PARQUET}
#: Table layers up to this many rows are served as GeoJSON unless asked otherwise;
#: larger ones as Arrow (GeoJSON costs a Python and a JS object per row).
GEOJSON_MAX_ROWS = 50_000


class AppLayers:
    """Per running app: the store, and a lock so that limits are checked one change at a
    time."""

    def __init__(self, limits: Limits) -> None:
        self.store = LayerStore(limits)
        self.lock = asyncio.Lock()


#: Filled by the plugin's lifespan, on the app's BackendState (no module global).
LAYERS: tangram.StateSlot[AppLayers] = tangram.StateSlot("tangram_explore.layers")


def _layers(request: Request, state: tangram.BackendState) -> AppLayers:
    del request  # kept in the signature: every route has it at hand
    return LAYERS.get(state)


async def _read_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(
                413,
                f"request body over {limit} bytes (the per-layer limit, "
                "[plugins.tangram_explore] max_layer_bytes)",
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _announce(state: tangram.BackendState, message: dict[str, Any]) -> None:
    try:
        await state.redis_client.publish(TOPIC, orjson.dumps(message))
    except Exception as exc:  # the layer is stored; browsers see it on their next load
        log.warning("explore: cannot announce %s on %s: %s", message["action"], TOPIC, exc)


async def _add(
    request: Request,
    state: tangram.BackendState,
    parse: Callable[[Limits], dict[str, Any]],
    label: Callable[[], str | None],
    style: Callable[[], Any],
) -> JSONResponse:
    """Parse (in a thread), store under the lock, announce; 400 names the problem."""
    layers = _layers(request, state)
    try:
        collection = await asyncio.to_thread(parse, layers.store.limits)
        async with layers.lock:
            layer = await asyncio.to_thread(layers.store.add, collection, label(), style())
    except ExploreError as exc:
        raise HTTPException(400, str(exc)) from None
    described = layer.describe()
    await _announce(state, {"action": "add", "layer": described})
    return JSONResponse(described, status_code=201)


@router.get("/layers")
async def list_layers(request: Request, state: tangram.InjectBackendState) -> JSONResponse:
    """The layers, oldest first: id, label, style, feature count and size."""
    return JSONResponse(_layers(request, state).store.list())


def _negotiate(layer: Layer, format: str | None, accept: str) -> str:
    """``?format=`` first, then the Accept header, then by size."""
    if format is not None:
        if format not in FORMATS:
            raise HTTPException(400, f"format={format!r}: expected one of {', '.join(FORMATS)}")
        return format
    for name, media in FORMATS.items():
        if media in accept:
            return name
    if "application/json" in accept or layer.format == "geojson":
        return "geojson"
    return "arrow" if layer.rows > GEOJSON_MAX_ROWS else "geojson"


@router.get("/data/{layer_id}")
async def layer_data(
    layer_id: str, request: Request, state: tangram.InjectBackendState, format: str | None = None
) -> Response:
    """One layer's data. A layer pushed as a table (``"format": "arrow"`` in the list)
    is served as an Arrow IPC stream, Parquet or GeoJSON: ``?format=arrow|parquet|geojson``,
    else the Accept header (their media types), else Arrow above
    :data:`GEOJSON_MAX_ROWS` rows and GeoJSON up to it. A GeoJSON layer is GeoJSON only
    (406 for the others)."""
    layer = _layers(request, state).store.get(layer_id)
    if layer is None:
        raise HTTPException(404, f"no layer {layer_id!r}; GET /explore/layers lists them")
    chosen = _negotiate(layer, format, request.headers.get("accept", ""))
    if layer.format == "geojson":
        if chosen != "geojson":
            raise HTTPException(406, f"layer {layer_id!r} was pushed as GeoJSON: format=geojson")
        return Response(layer.body, media_type=GEOJSON)
    if chosen == "arrow":
        return Response(layer.body, media_type=ARROW)
    if chosen == "parquet":
        body = await asyncio.to_thread(lambda: to_parquet(read(layer.body)))
        return Response(body, media_type=PARQUET)
    value = layer.style.get("color_by")
    collection = await asyncio.to_thread(
        lambda: orjson.dumps(to_geojson(read(layer.body), value, layer.group))
    )
    return Response(collection, media_type=GEOJSON)


@router.post("/layers", status_code=201)
async def add_layer(request: Request, state: tangram.InjectBackendState) -> JSONResponse:
    """Body: ``{"data": <GeoJSON>, "label": "...", "style": {...}}``, or with
    ``content-type: application/vnd.apache.arrow.stream`` a table as an Arrow IPC
    stream (label and style in its schema metadata, see :mod:`tangram_explore.tables`)."""
    limits = _layers(request, state).store.limits
    body = await _read_body(request, limits.max_layer_bytes)
    if request.headers.get("content-type", "").startswith(ARROW):
        return await _add_arrow(request, state, body)
    style: list[Any] = []
    label: list[str | None] = []

    def parse(limits: Limits) -> dict[str, Any]:
        # In a worker thread: a large body takes a while to parse and check.
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ExploreError(f"body: not valid JSON ({exc})") from None
        if not isinstance(payload, dict) or "data" not in payload:
            raise ExploreError('body: expected {"data": <GeoJSON>, "label": ..., "style": ...}')
        text = payload.get("label")
        if text is not None and not isinstance(text, str):
            raise ExploreError("label: expected a string")
        label.append(text)
        style.append(payload.get("style"))
        return as_feature_collection(payload["data"], limits.max_features)

    return await _add(request, state, parse, lambda: label[0], lambda: style[0])


async def _add_arrow(
    request: Request, state: tangram.InjectBackendState, body: bytes
) -> JSONResponse:
    layers = _layers(request, state)

    def parse() -> tuple[Any, bytes]:
        # In a worker thread; stored re-encoded, so what is served is what was checked.
        table = decode(body, layers.store.limits.max_features)
        return table, encode(table, table.label, table.style)

    try:
        table, stored = await asyncio.to_thread(parse)
        async with layers.lock:
            layer = layers.store.add_arrow(table, stored)
    except ExploreError as exc:
        raise HTTPException(400, str(exc)) from None
    described = layer.describe()
    await _announce(state, {"action": "add", "layer": described})
    return JSONResponse(described, status_code=201)


@router.post("/upload", status_code=201)
async def upload(
    request: Request, state: tangram.InjectBackendState, name: str, label: str | None = None
) -> JSONResponse:
    """The raw bytes of a file dropped on the map; ``name`` (its file name) says its type."""
    limits = _layers(request, state).store.limits
    body = await _read_body(request, limits.max_layer_bytes)

    def parse(limits: Limits) -> dict[str, Any]:
        return file_to_geojson(
            name, body, max_bytes=limits.max_layer_bytes, max_features=limits.max_features
        )

    return await _add(request, state, parse, lambda: label or name, lambda: None)


@router.delete("/layers/{layer_id}")
async def remove_layer(
    layer_id: str, request: Request, state: tangram.InjectBackendState
) -> dict[str, str]:
    layers = _layers(request, state)
    async with layers.lock:
        removed = layers.store.remove(layer_id)
    if not removed:
        raise HTTPException(404, f"no layer {layer_id!r}; GET /explore/layers lists them")
    await _announce(state, {"action": "remove", "id": layer_id})
    return {"removed": layer_id}


@router.delete("/layers")
async def clear_layers(request: Request, state: tangram.InjectBackendState) -> dict[str, int]:
    layers = _layers(request, state)
    async with layers.lock:
        count = layers.store.clear()
    await _announce(state, {"action": "clear"})
    return {"removed": count}
