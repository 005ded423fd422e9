"""The HTTP server's side of access control (see :mod:`tangram.access`).

:class:`AccessGate` is an ASGI middleware in front of every route: page, assets,
``/manifest.json``, plugin routers, ``/docs``, plugin WebSockets. It answers
``GET/POST /login`` and ``POST /logout`` itself. It also mounts
:mod:`tangram.token_route` when the gateway's ``/token`` needs a key the browser must
not hold.
"""

from __future__ import annotations

import html
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .access import LoginThrottle, SessionSigner, bearer_key, keys_match
from .state import BackendState
from .token_route import install_token_route

__all__ = ["LOGIN_PATH", "LOGOUT_PATH", "AccessGate", "install_access"]

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
#: The login form's body is tiny; anything larger is refused unread.
MAX_LOGIN_BYTES = 4096
#: Every 401 names the scheme that works (RFC 9110); browsers show no dialog for Bearer.
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tangram"'}


def install_access(app: FastAPI, state: BackendState) -> dict[str, Any]:
    """Add the gate (when a key is set) and ``/channel/token`` (when the page needs it).

    Returns what ``/manifest.json`` tells the web app: ``{"channel": {...}}`` to merge
    into its channel entry, and ``{"access": {"logout": ...} | None}``. URLs are relative,
    as the app's own, so that a reverse proxy may serve it under a path."""
    config = state.config
    key = config.server.access_key
    if key is None and not _is_loopback(config.server.host):
        log.warning(
            "[server] binds %s without access_key: anyone who can reach port %d can use"
            " this tangram; set [server] access_key (or $TANGRAM_ACCESS_KEY)",
            config.server.host,
            config.server.port,
        )
    if key is not None:
        log.info("access control on: every request needs a session or the access key")
        app.add_middleware(
            AccessGate,
            key=key,
            signer=SessionSigner(key, config.server.session_expiration_secs),
            throttle=LoginThrottle(),
            cookie_name=f"tangram_session_{config.server.port}",
        )
    extras: dict[str, Any] = {
        "channel": {},
        "access": {"logout": LOGOUT_PATH.lstrip("/")} if key is not None else None,
    }
    if config.channel.enabled and (key is not None or config.channel.token_api_key is not None):
        extras["channel"] = install_token_route(app, state)
    return extras


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


class AccessGate:
    """Lets a request through with a valid session cookie or ``Authorization: Bearer
    <key>``; otherwise browsers asking for HTML get the login page (401) and everything
    else a 401 JSON error. Wrong keys are throttled per client address (429)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        key: str,
        signer: SessionSigner,
        throttle: LoginThrottle,
        cookie_name: str,
    ) -> None:
        self.app = app
        self.key = key
        self.signer = signer
        self.throttle = throttle
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        conn = HTTPConnection(scope)
        root = scope.get("root_path", "")
        path = scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]
        method = scope.get("method", "GET")
        if scope["type"] == "http" and path == LOGIN_PATH and method == "POST":
            response: Response | None = await self._login(conn, receive, root)
        elif scope["type"] == "http" and path == LOGIN_PATH and method in ("GET", "HEAD"):
            response = _login_page(root, _safe_target(conn.query_params.get("next", "/")), "", 200)
        elif scope["type"] == "http" and path == LOGOUT_PATH and method == "POST":
            response = RedirectResponse(f"{root}/", 303)
            response.delete_cookie(self.cookie_name, path="/", httponly=True, samesite="strict")
        else:
            response = self._check(conn, path, method, root)
        if response is None:
            await self.app(scope, receive, _private(send))
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "log in first"})
        else:
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)

    def _check(self, conn: HTTPConnection, path: str, method: str, root: str) -> Response | None:
        """None when the request may pass, else the refusal."""
        if self.signer.valid(conn.cookies.get(self.cookie_name)):
            return None
        client = conn.client.host if conn.client else "?"
        given = bearer_key(conn.headers.get("authorization"))
        if given is not None:
            return self._try_key(client, given)
        wants_page = method in ("GET", "HEAD") and "text/html" in conn.headers.get("accept", "")
        if wants_page:
            target = path + (f"?{conn.url.query}" if conn.url.query else "")
            return _login_page(root, target, "", 401)
        return JSONResponse(
            {"detail": "log in first: this tangram needs a session cookie (POST /login) or"
             " the header Authorization: Bearer <access key>"},
            401,
            headers=_CHALLENGE,
        )  # fmt: skip

    def _try_key(self, client: str, given: str) -> Response | None:
        """None if ``given`` is the key; else a 401 (or 429 while throttled)."""
        now = time.monotonic()
        wait = self.throttle.retry_after(client, now)
        if wait > 0:
            return _too_many(wait)
        if keys_match(given, self.key):
            return None
        self.throttle.failed(client, now)
        log.warning("access: wrong key from %s", client)
        return JSONResponse({"detail": "wrong access key"}, 401, headers=_CHALLENGE)

    async def _login(self, conn: HTTPConnection, receive: Receive, root: str) -> Response:
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_LOGIN_BYTES:
                return _login_page(root, "/", "The form was too large.", 413)
            if not message.get("more_body", False):
                break
        form = parse_qs(body.decode("utf-8", "replace"))
        target = _safe_target(form.get("next", ["/"])[0])
        refused = self._try_key(conn.client.host if conn.client else "?", form.get("key", [""])[0])
        if refused is not None:
            retry = refused.headers.get("retry-after")
            note = f"Too many attempts: retry in {retry} s." if retry else "Wrong key."
            page = _login_page(root, target, note, refused.status_code)
            if retry:
                page.headers["Retry-After"] = retry
            return page
        response = RedirectResponse(f"{root}{target}", 303)
        response.set_cookie(
            self.cookie_name,
            self.signer.issue(),
            max_age=self.signer.lifetime_secs,
            path="/",
            secure=conn.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response


def _private(send: Send) -> Send:
    """Mark what passed the gate ``Cache-Control: private`` (unless the route chose):
    a shared cache (a proxy, a CDN) must not hand it to someone without a session."""

    async def send_private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if "cache-control" not in headers:
                headers["Cache-Control"] = "private"
        await send(message)

    return send_private


def _too_many(wait: float) -> Response:
    seconds = str(max(1, round(wait + 0.5)))
    return JSONResponse(
        {"detail": f"too many wrong keys; retry in {seconds} s"},
        429,
        headers={"Retry-After": seconds},
    )


def _safe_target(target: str) -> str:
    """Only paths on this server: no ``//host`` or ``/\\host``, and no control characters
    (browsers drop tabs and newlines, so ``/<TAB>/host`` would become ``//host``)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return "/" if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target) else target


def _login_page(root: str, target: str, message: str, status: int) -> HTMLResponse:
    note = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(
        _LOGIN.format(
            action=html.escape(f"{root}{LOGIN_PATH}"),
            target=html.escape(_safe_target(target)),
            note=note,
        ),
        status,
        headers=_CHALLENGE if status == 401 else None,
    )


_LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tangram: log in</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f3f1ec; display: grid;
  place-items: center; min-height: 100vh; margin: 0; }}
form {{ background: #fff; padding: 2em; border-radius: 8px; min-width: 18em;
  box-shadow: 0 2px 12px rgb(0 0 0 / 15%); }}
h1 {{ margin-top: 0; font-size: 1.4em; }}
input, button {{ font: inherit; width: 100%; box-sizing: border-box; padding: .5em; }}
button {{ margin-top: 1em; }}
.error {{ color: #b00020; }}
</style></head>
<body><form method="post" action="{action}" id="tangram-login">
<h1>tangram</h1>
{note}<label for="key">Access key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{target}">
<button type="submit">Log in</button>
</form></body></html>
"""
