"""The gateway's plain-HTTP side: the Origin allow-list, CORS and ``POST /token``.

Kept free of sockets: :func:`handle_http` maps a parsed request to a response, and the
connection layer (h11) puts it on the wire.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..config import TangramConfig
from .minting import ADMIN_HEADER, mint_request
from .tokens import TokenIssuer

__all__ = ["HttpResponse", "OriginPolicy", "handle_http", "normalize_origin"]

MAX_BODY_BYTES = 64 * 1024
KEY_HEADER = "x-tangram-token-key"
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")


def normalize_origin(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case, default ports dropped; None if not a URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return None
    default = 80 if parts.scheme == "http" else 443
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


class OriginPolicy:
    """Which browser origins may open a WebSocket or call ``/token``.

    Default: the HTTP server's and the channel's own origins (with their localhost and
    127.0.0.1 variants), ``[channel] public_url`` and ``[channel] allowed_origins``
    (``"*"`` there allows every origin). A request without Origin is not from a
    browser page and is allowed."""

    def __init__(self, config: TangramConfig) -> None:
        channel = config.channel
        self.any = "*" in channel.allowed_origins
        allowed: set[str] = set()
        for port, host in ((config.server.port, config.server.host), (channel.port, channel.host)):
            names = set(_LOCAL_NAMES)
            if host not in ("0.0.0.0", "::", ""):
                names.add(host if ":" not in host else f"[{host}]")
            for scheme in ("http", "https"):
                for name in names:
                    origin = normalize_origin(f"{scheme}://{name}:{port}")
                    if origin:
                        allowed.add(origin)
        for extra in [channel.public_url, *channel.allowed_origins]:
            origin = normalize_origin(extra) if extra and extra != "*" else None
            if origin:
                allowed.add(origin)
        self.allowed = frozenset(allowed)

    def allows(self, origin: str | None) -> bool:
        if origin is None or self.any:
            return True
        normalized = normalize_origin(origin)
        return normalized is not None and normalized in self.allowed


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def _json(status: int, data: dict[str, Any], headers: list[tuple[str, str]]) -> HttpResponse:
    body = json.dumps(data).encode()
    return HttpResponse(status, body, [*headers, ("Content-Type", "application/json")])


def _error(status: int, message: str, headers: list[tuple[str, str]]) -> HttpResponse:
    return _json(status, {"error": message}, headers)


def handle_http(
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    policy: OriginPolicy,
    issuer: TokenIssuer | None,
    api_key: str | None,
    admin_key: str | None = None,
    stats: dict[str, int] | None = None,
) -> HttpResponse:
    """Answer one non-WebSocket request (``headers`` keys are lower case)."""
    origin = headers.get("origin")
    cors: list[tuple[str, str]] = []
    if origin is not None and policy.allows(origin):
        cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    if path == "/stats" and method == "GET" and stats is not None:
        return _json(200, dict(stats), cors)
    if path == "/websocket":
        return _error(426, "/websocket needs a WebSocket upgrade (Upgrade: websocket)", cors)
    if path != "/token":
        return _error(404, f"no such endpoint {path!r}; use POST /token or GET /websocket", cors)
    if origin is not None and not cors:
        return _error(
            403, f"origin {origin!r} is not allowed; add it to [channel] allowed_origins", []
        )
    if method == "OPTIONS":
        return HttpResponse(
            204,
            b"",
            [
                *cors,
                ("Access-Control-Allow-Methods", "POST, OPTIONS"),
                (
                    "Access-Control-Allow-Headers",
                    "Content-Type, X-Tangram-Token-Key, X-Tangram-Admin-Key",
                ),
                ("Access-Control-Max-Age", "600"),
            ],
        )
    if method != "POST":
        return _error(405, f"{method} /token is not supported; use POST", cors)
    if api_key is not None:
        given = headers.get(KEY_HEADER, "")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            return _error(
                401,
                "missing or wrong X-Tangram-Token-Key header (see [channel] token_api_key)",
                cors,
            )
    if issuer is None:
        # Not a client error: the shared secret lives in Redis, which is down right now.
        return _error(
            503,
            "cannot mint tokens yet: the shared signing secret is kept in Redis, which is"
            " unreachable right now; retry shortly (or set [channel] jwt_secret)",
            [*cors, ("Retry-After", "1")],
        )
    status, data = mint_request(
        body, issuer, admin_key=admin_key, presented=headers.get(ADMIN_HEADER)
    )
    return _json(status, data, cors)
