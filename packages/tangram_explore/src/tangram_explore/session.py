"""``Session``: push data from a notebook or script onto the map of a running tangram.

Tables are reduced to the columns the map needs here, in the caller's process (where
the DataFrame is), and sent as an Arrow IPC stream (:mod:`tangram_explore.tables`);
GeoJSON is sent as JSON. The server checks what it receives again and keeps it, so every
open browser sees the layer and a reload keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import orjson

from .frames import is_table
from .geojson import ExploreError
from .tables import ARROW, encode, prepare, to_arrow

__all__ = ["Session"]


class _HasUrl(Protocol):
    @property
    def url(self) -> str: ...


class Session:
    """Layers on the map of ``runtime`` (a :class:`tangram.Runtime`, or a base URL
    such as ``"http://127.0.0.1:2346"`` of a running ``tangram serve``).

    ``access_key``: the server's ``[server] access_key`` when it has one; taken from the
    runtime's configuration by default."""

    def __init__(
        self, runtime: _HasUrl | str, *, access_key: str | None = None, timeout: float = 120.0
    ) -> None:
        self.url = (runtime if isinstance(runtime, str) else runtime.url).rstrip("/")
        if access_key is None and not isinstance(runtime, str):
            server = getattr(getattr(runtime, "config", None), "server", None)
            access_key = getattr(server, "access_key", None)
        headers = {"authorization": f"Bearer {access_key}"} if access_key else {}
        self._client = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def push(
        self, data: Any, label: str | None = None, style: Mapping[str, Any] | None = None
    ) -> str:
        """Add a layer and return its id.

        ``data``: a GeoJSON mapping, an object with ``__geo_interface__`` (shapely,
        geopandas), or a polars/pandas DataFrame or pyarrow Table with ``latitude`` and
        ``longitude`` columns. ``style``: ``color``, ``color_by`` (a numeric column or
        property), ``radius``, ``width``, ``opacity``. Raises ExploreError naming what
        was wrong."""
        style_dict = dict(style) if style is not None else None
        if is_table(data):
            color_by = (style_dict or {}).get("color_by")
            color_by = color_by if isinstance(color_by, str) else None
            # Columns as they are (zero-copy from polars), never a Python object per row.
            body = encode(prepare(to_arrow(data), color_by), label, style_dict)
            response = self._client.post(
                "/explore/layers", content=body, headers={"content-type": ARROW}
            )
            return str(self._check(response)["id"])
        if hasattr(data, "__geo_interface__"):
            geojson = data.__geo_interface__
        elif isinstance(data, Mapping):
            geojson = data
        else:
            raise ExploreError(
                "data: expected a GeoJSON mapping, an object with __geo_interface__, or a "
                f"polars/pandas DataFrame or pyarrow Table; got {type(data).__name__}"
            )
        body = orjson.dumps(
            {"data": geojson, "label": label, "style": style_dict},
            default=_plain,
            option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
        )
        response = self._client.post(
            "/explore/layers", content=body, headers={"content-type": "application/json"}
        )
        layer: dict[str, Any] = self._check(response)
        return str(layer["id"])

    def remove(self, layer_id: str) -> None:
        """Remove one layer (from every open page, live)."""
        self._check(self._client.delete(f"/explore/layers/{layer_id}"))

    def clear(self) -> int:
        """Remove every layer; returns how many there were."""
        return int(self._check(self._client.delete("/explore/layers"))["removed"])

    def layers(self) -> list[dict[str, Any]]:
        """The layers on the server: ``id``, ``label``, ``style``, ``features``, ``bytes``."""
        layers: list[dict[str, Any]] = self._check(self._client.get("/explore/layers"))
        return layers

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _check(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ExploreError(f"{detail} (HTTP {response.status_code})")
        return response.json()


def _plain(value: Any) -> Any:
    # Dates, decimals, numpy scalars that orjson does not know: their text.
    if hasattr(value, "item"):
        return value.item()
    return str(value)
