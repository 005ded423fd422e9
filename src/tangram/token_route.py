"""``POST /channel/token`` on the HTTP server: join tokens for the web app.

When the gateway's ``/token`` needs ``[channel] token_api_key`` (set by hand, or drawn
because ``[server] access_key`` is set), the browser cannot call it: it must never hold
that key. This route, on the page's own origin (so behind the access gate, and reached
with the session cookie), forwards the request body to the gateway with the key and
returns the gateway's answer.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .channel.http import KEY_HEADER, MAX_BODY_BYTES
from .config import TangramConfig
from .state import BackendState

__all__ = ["TOKEN_PATH", "install_token_route"]

TOKEN_PATH = "/channel/token"
#: How long the gateway may take to answer (it answers at once, or 503 without Redis).
GATEWAY_TIMEOUT_SECS = 5.0


def install_token_route(app: FastAPI, state: BackendState) -> dict[str, str]:
    """Mount the route; returns what ``/manifest.json`` adds to its ``channel`` entry (a
    relative URL, as the web app's own, so that a proxy may serve it under a path)."""

    async def channel_token(request: Request) -> Response:
        return await _forward_token(request, state.http_client, state.config)

    app.add_route(TOKEN_PATH, channel_token, methods=["POST"], include_in_schema=False)
    return {"token_url": TOKEN_PATH.lstrip("/")}


def _gateway_url(config: TangramConfig) -> str:
    """The gateway's own address (not ``public_url``: this request stays on this host)."""
    host = config.channel.host
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.channel.port}/token"


async def _forward_token(
    request: Request, client: httpx.AsyncClient, config: TangramConfig
) -> Response:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"body over {MAX_BODY_BYTES} bytes"}, 413)
    headers = {"content-type": "application/json"}
    if config.channel.token_api_key is not None:
        headers[KEY_HEADER] = config.channel.token_api_key
    url = _gateway_url(config)
    try:
        reply = await client.post(
            url, content=bytes(body), headers=headers, timeout=GATEWAY_TIMEOUT_SECS
        )
    except httpx.HTTPError as exc:
        return JSONResponse(
            {"error": f"the channel gateway at {url} did not answer ({exc!r}); retry shortly"},
            502,
            headers={"Retry-After": "1"},
        )
    # The gateway refusing our own key is a server problem, not the page's: a 401 would
    # tell the web app its session ended. Other answers (a 403 for an id that is not the
    # caller's, a 422 for a bad topic) are the page's to see.
    status = 502 if reply.status_code == 401 else reply.status_code
    extra = {"Retry-After": reply.headers["retry-after"]} if "retry-after" in reply.headers else {}
    return Response(reply.content, status, headers=extra, media_type="application/json")
