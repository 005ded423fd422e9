"""``tangram_explore``: put DataFrames and GeoJSON from a notebook on the live map.

::

    import tangram
    from tangram_explore import Session

    rt = tangram.Runtime("tangram.toml").start()
    session = Session(rt)
    layer = session.push(df, label="flights", style={"color_by": "altitude"})
    session.remove(layer)

The server keeps the layers (``/explore/layers``, ``/explore/data/{id}``) and announces
changes on ``to:explore:layers``; the frontend draws them below the aircraft and lists
them in a side-bar widget. See docs/explore.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import tangram

from .api import LAYERS, AppLayers, router
from .geojson import ExploreError
from .session import Session
from .store import Limits

__all__ = ["ExploreError", "Limits", "Session", "plugin"]


@asynccontextmanager
async def lifespan(backend_state: tangram.BackendState) -> AsyncIterator[None]:
    """One layer store per running app, with this plugin's limits."""
    with LAYERS.bound(backend_state, AppLayers(plugin.config)):
        yield


plugin: tangram.Plugin[Limits] = tangram.Plugin(
    frontend_path="dist-frontend", routers=[router], config_class=Limits, lifespan=lifespan
)
