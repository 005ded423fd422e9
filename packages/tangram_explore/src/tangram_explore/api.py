"""HTTP routes of the layers, and their announcements on ``to:explore:layers``.

``GET /explore/layers`` lists them, ``GET /explore/data/{id}`` serves one as GeoJSON,
``POST /explore/layers`` adds GeoJSON (what :class:`~tangram_explore.Session` sends;
large point tables go to ``POST /explore/points`` as float32 columns),
``POST /explore/upload?name=...`` adds a file dropped on the map, ``DELETE
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
from .points import MAX_HEADER, decode, to_geojson
from .store import LayerStore, Limits

__all__ = ["LAYERS", "TOPIC", "AppLayers", "router"]

log = logging.getLogger(__name__)

#: Redis channel of the announcements (topic ``explore``, event ``layers``).
TOPIC = "to:explore:layers"

router = APIRouter(prefix="/explore", tags=["explore"])


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


@router.get("/data/{layer_id}")
async def layer_data(
    layer_id: str, request: Request, state: tangram.InjectBackendState, format: str | None = None
) -> Response:
    """One layer as a GeoJSON FeatureCollection; a ``points`` layer as its float32
    columns, or as GeoJSON with ``?format=geojson``."""
    layer = _layers(request, state).store.get(layer_id)
    if layer is None:
        raise HTTPException(404, f"no layer {layer_id!r}; GET /explore/layers lists them")
    if layer.format == "points":
        if format == "geojson":
            collection = await asyncio.to_thread(
                to_geojson, layer.body, layer.features, layer.columns
            )
            return Response(orjson.dumps(collection), media_type="application/geo+json")
        return Response(layer.body, media_type="application/octet-stream")
    return Response(layer.body, media_type="application/geo+json")


@router.post("/layers", status_code=201)
async def add_layer(request: Request, state: tangram.InjectBackendState) -> JSONResponse:
    """Body: ``{"data": <GeoJSON>, "label": "...", "style": {...}}``."""
    limits = _layers(request, state).store.limits
    body = await _read_body(request, limits.max_layer_bytes)
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


@router.post("/points", status_code=201)
async def add_points(request: Request, state: tangram.InjectBackendState) -> JSONResponse:
    """A large point set as float32 columns (see :mod:`tangram_explore.points`)."""
    layers = _layers(request, state)
    body = await _read_body(request, layers.store.limits.max_layer_bytes + MAX_HEADER + 4)
    try:
        points = await asyncio.to_thread(decode, body, layers.store.limits.max_features)
        async with layers.lock:
            layer = layers.store.add_points(points)
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
