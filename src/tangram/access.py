"""Access control for shared deployments: one shared key (``[server] access_key``).

Without a key tangram is open, as on a laptop. With one, the HTTP server (page, assets,
API, plugin routes, ``/docs``) and the gateway's ``POST /token`` require either a
session cookie, obtained by entering the key on the login page, or the key itself as
``Authorization: Bearer <key>``. This module is sans-I/O: key resolution, key
comparison, session cookies and the failed-login throttle. The ASGI side is
:mod:`tangram.access_web`; the gateway calls :func:`token_caller_allowed`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from .config import TangramConfig
from .errors import ConfigError

__all__ = [
    "ACCESS_KEY_ENV",
    "MIN_KEY_LENGTH",
    "LoginThrottle",
    "SessionSigner",
    "bearer_key",
    "keys_match",
    "resolve_access_key",
    "token_caller_allowed",
]

#: Read before ``[server] access_key`` so that the key need not sit in tangram.toml.
ACCESS_KEY_ENV = "TANGRAM_ACCESS_KEY"
MIN_KEY_LENGTH = 8
#: Cookies longer than this are refused unread (a real one is about 150 bytes).
MAX_COOKIE_CHARS = 1024
_AUDIENCE = "tangram-session"
#: Fixed salt: the cookie key changes with the access key, so changing the key ends every
#: session. PBKDF2 makes guessing the key from a stolen cookie slow.
_SALT = b"tangram session cookie v1"
_ROUNDS = 200_000


def resolve_access_key(config: TangramConfig) -> str | None:
    """``$TANGRAM_ACCESS_KEY`` if set and non-empty, else ``[server] access_key``."""
    from_env = os.environ.get(ACCESS_KEY_ENV)
    if from_env:
        if len(from_env) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"${ACCESS_KEY_ENV} is {len(from_env)} characters long; expected at least"
                f" {MIN_KEY_LENGTH} (a long random key is best); unset it to turn access"
                " control off"
            )
        return from_env
    return config.server.access_key


def keys_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison (digests first, so the length is not leaked either)."""
    if given is None:
        return False
    digest = hashlib.sha256
    return hmac.compare_digest(
        digest(given.encode("utf-8", "surrogatepass")).digest(),
        digest(expected.encode("utf-8")).digest(),
    )


def bearer_key(authorization: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer <key>`` header, else None."""
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_caller_allowed(
    key_header: str | None,
    authorization: str | None,
    *,
    api_key: str | None,
    access_key: str | None,
) -> bool:
    """Whether the gateway may mint a token for this caller.

    Open when neither ``[channel] token_api_key`` nor an access key is configured; else
    the caller proves one of them: ``X-Tangram-Token-Key: <token_api_key>`` (backends)
    or ``Authorization: Bearer <access key>`` (the HTTP server on behalf of a logged-in
    page, or any API client holding the key)."""
    if api_key is None and access_key is None:
        return True
    if api_key is not None and keys_match(key_header, api_key):
        return True
    return access_key is not None and keys_match(bearer_key(authorization), access_key)


class SessionSigner:
    """Issues and checks session cookies: HS256 JWTs with ``aud``, ``iat`` and ``exp``,
    signed with a key derived from the access key (nothing is stored server-side)."""

    def __init__(self, access_key: str, lifetime_secs: int) -> None:
        self._secret = hashlib.pbkdf2_hmac("sha256", access_key.encode(), _SALT, _ROUNDS)
        self.lifetime_secs = lifetime_secs

    def issue(self, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"aud": _AUDIENCE, "iat": issued, "exp": issued + self.lifetime_secs}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def valid(self, cookie: str | None, now: float | None = None) -> bool:
        if not cookie or len(cookie) > MAX_COOKIE_CHARS:
            return False
        try:
            claims = jwt.decode(
                cookie,
                self._secret,
                algorithms=["HS256"],
                audience=_AUDIENCE,
                options={"require": ["aud", "iat", "exp"], "verify_exp": False},
            )
        except jwt.PyJWTError:
            return False
        # Expiry checked here so that tests can pass ``now``.
        exp = claims.get("exp")
        moment = time.time() if now is None else now
        return isinstance(exp, (int, float)) and moment < exp


@dataclass
class _Bucket:
    """A token bucket: ``tokens`` failures left at time ``stamp``."""

    tokens: float
    stamp: float

    def level(self, now: float, burst: int, period: float) -> float:
        return min(float(burst), self.tokens + max(0.0, now - self.stamp) / period)


class LoginThrottle:
    """Limits wrong keys (login form or Bearer), per client address and in total.

    Each address may fail ``per_client_burst`` times, then once per
    ``per_client_period`` s; all addresses together ``total_burst`` times, then once per
    ``total_period`` s. While a limit is reached every attempt is refused, the right key
    included, so guessing does not pay. At most ``max_clients`` addresses are
    remembered (the least recently failing is forgotten first): the table cannot grow
    with what clients send."""

    def __init__(
        self,
        *,
        per_client_burst: int = 5,
        per_client_period: float = 12.0,
        total_burst: int = 50,
        total_period: float = 2.0,
        max_clients: int = 1024,
    ) -> None:
        self.per_client = (per_client_burst, per_client_period)
        self.total = (total_burst, total_period)
        self.max_clients = max_clients
        self._clients: OrderedDict[str, _Bucket] = OrderedDict()
        self._all = _Bucket(float(total_burst), 0.0)

    def retry_after(self, client: str, now: float) -> float:
        """0 if ``client`` may try a key now, else the seconds until it may."""
        waits = [self._wait(self._all, now, *self.total)]
        bucket = self._clients.get(client)
        if bucket is not None:
            waits.append(self._wait(bucket, now, *self.per_client))
        return max(waits)

    def failed(self, client: str, now: float) -> None:
        """Record a wrong key from ``client``."""
        bucket = self._clients.pop(client, None)
        if bucket is None:
            bucket = _Bucket(float(self.per_client[0]), now)
            while len(self._clients) >= self.max_clients:
                self._clients.popitem(last=False)
        self._clients[client] = self._spend(bucket, now, *self.per_client)
        self._all = self._spend(self._all, now, *self.total)

    def __len__(self) -> int:
        return len(self._clients)

    @staticmethod
    def _wait(bucket: _Bucket, now: float, burst: int, period: float) -> float:
        level = bucket.level(now, burst, period)
        return 0.0 if level >= 1.0 else (1.0 - level) * period

    @staticmethod
    def _spend(bucket: _Bucket, now: float, burst: int, period: float) -> _Bucket:
        return _Bucket(max(0.0, bucket.level(now, burst, period) - 1.0), now)
