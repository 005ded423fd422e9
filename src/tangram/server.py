"""The HTTP application: plugin routers, ``/manifest.json``, plugin assets and the web app."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from . import __version__, airports
from .access_web import install_access
from .channel import public_url
from .config import TangramConfig
from .errors import ConfigError
from .plugin import Plugin
from .state import BackendState

__all__ = ["WEB_DIST", "channel_public_url", "create_app", "frontend_manifest"]

log = logging.getLogger(__name__)

#: The built web app (``npm run build`` writes it; not committed).
WEB_DIST = Path(__file__).parent / "web" / "dist"


def channel_public_url(config: TangramConfig) -> str | None:
    """Where browsers reach the channel (None when it is disabled); one rule, the
    channel package's :func:`~tangram.channel.public_url`."""
    if not config.channel.enabled:
        return None
    return public_url(config)


def frontend_manifest(
    plugin: Plugin[Any], frontend_config: dict[str, Any]
) -> dict[str, Any] | None:
    """The manifest entry of a plugin with a frontend, or None if it has none."""
    if plugin.frontend_path is None:
        return None
    entry: dict[str, Any] = {
        "name": plugin.name,
        "url": f"/plugins/{plugin.name}/",
        "config": frontend_config,
    }
    meta_path = plugin.frontend_path / "plugin.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("main"), str):
            raise ValueError(
                'expected a JSON object with a "main" string, e.g. {"main": "index.js"}'
            )
    except FileNotFoundError:
        entry["error"] = (
            f"{meta_path} not found: build the plugin's frontend (npm run build) or fix "
            "frontend_path"
        )
    except ValueError as exc:  # includes json.JSONDecodeError
        entry["error"] = f"{meta_path} is invalid: {exc}"
    else:
        entry["main"] = meta["main"]
        entry["style"] = meta.get("style")
    return entry


def _frontend_config(state: BackendState, plugin: Plugin[Any]) -> dict[str, Any]:
    """Only ``[plugins.<name>.frontend]`` reaches browsers: /manifest.json is public, and
    the rest of a plugin's table may hold secrets, paths or internal URLs."""
    try:
        return state.config.plugin_table(plugin.name, plugin.distribution).frontend
    except ConfigError as exc:
        log.warning("plugin %s: %s; its frontend gets no settings", plugin.name, exc)
        return {}


def create_app(
    state: BackendState,
    lifespan: Callable[[], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """Build the app; ``lifespan`` (services, plugin lifespans) wraps the server's life."""

    @asynccontextmanager
    async def app_lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if lifespan is not None:
                await stack.enter_async_context(lifespan())
            yield

    app = FastAPI(title="tangram", version=__version__, lifespan=app_lifespan)
    app.state.backend_state = state
    access = install_access(app, state)  # the login gate; /channel/token before "/"
    app.include_router(airports.router)

    for plugin in state.plugins.values():
        for router in plugin.routers:
            try:
                app.include_router(router)
            except Exception:
                log.exception("plugin %s: cannot mount router %r; skipped", plugin.name, router)

    @app.get("/manifest.json", tags=["tangram"])
    async def manifest() -> JSONResponse:
        """What the web app needs: the channel's URL, the map, and the plugin frontends."""
        entries = []
        for plugin in state.plugins.values():
            entry = frontend_manifest(plugin, _frontend_config(state, plugin))
            if entry is not None:
                entries.append(entry)
        cfg = state.config.map
        style = cfg.style
        if style and not style.startswith(("http://", "https://")):
            style = "/map/style.json"
        return JSONResponse(
            {
                "tangram": {"version": __version__},
                "theme": state.config.core.theme,
                "channel": {"url": channel_public_url(state.config), **access["channel"]}
                if state.config.channel.enabled
                else None,
                "access": access["access"],
                "map": {
                    "style": style,
                    "center_lat": cfg.center_lat,
                    "center_lon": cfg.center_lon,
                    "zoom": cfg.zoom,
                },
                "plugins": entries,
            }
        )

    @app.get("/map/style.json", include_in_schema=False)
    async def map_style() -> Response:
        path = state.config.map_style_path()
        if path is None or not path.is_file():
            # Checked at start-up; the file may have been moved since.
            detail = f"[map] style file {path} not found" if path else "no local [map] style"
            return JSONResponse({"detail": detail}, status_code=404)
        return FileResponse(path)

    for plugin in state.plugins.values():
        if plugin.frontend_path is not None and plugin.frontend_path.is_dir():
            app.mount(
                f"/plugins/{plugin.name}",
                StaticFiles(directory=plugin.frontend_path),
                name=f"plugin:{plugin.name}",
            )
        elif plugin.frontend_path is not None:
            log.warning(
                "plugin %s: frontend_path %s does not exist; build its frontend (npm run build)",
                plugin.name,
                plugin.frontend_path,
            )

    if (WEB_DIST / "index.html").is_file():
        app.mount("/", StaticFiles(directory=WEB_DIST, html=True), name="web")
    else:

        @app.get("/", include_in_schema=False)
        async def placeholder() -> HTMLResponse:
            return HTMLResponse(_PLACEHOLDER)

    return app


_PLACEHOLDER = """<!doctype html>
<html><head><meta charset="utf-8"><title>tangram</title></head>
<body style="font-family: sans-serif; margin: 3em">
<h1>tangram is running</h1>
<p>The web app has not been built. In a checkout of the repository (editable install), run
<code>scripts/install</code> (or <code>npm ci && npm run build</code>) and restart
<code>tangram serve</code>. Otherwise install tangram from a wheel, which always carries it
(<code>scripts/build</code>, then <code>pip install dist/*.whl</code>).
<code>tangram check</code> reports this too.</p>
<p>API documentation: <a href="/docs">/docs</a>.
Manifest: <a href="/manifest.json">/manifest.json</a>.</p>
</body></html>
"""
