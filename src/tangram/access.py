"""Access control for shared deployments: one shared key (``[server] access_key``).

Without a key tangram is open, as on a laptop. With one, every route of the HTTP server
(page, assets, API, plugin routes, ``/docs``, ``/channel/token``) requires either a
session cookie, obtained by entering the key on the login page, or the key itself as
``Authorization: Bearer <key>``. The gateway's ``/token`` requires ``[channel]
token_api_key``, drawn at random when unset (:func:`tangram.config.load_config`, which
also reads ``$TANGRAM_ACCESS_KEY``).

This module is sans-I/O: key comparison, session cookies and the throttle of wrong
keys. The ASGI side is :mod:`tangram.access_web`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

__all__ = [
    "LoginThrottle",
    "SessionSigner",
    "bearer_key",
    "keys_match",
]

#: Cookies longer than this are refused unread (a real one is about 150 bytes).
MAX_COOKIE_CHARS = 1024
_AUDIENCE = "tangram-session"
#: Fixed salt: the cookie key changes with the access key, so changing the key ends every
#: session. PBKDF2 makes guessing the key from a stolen cookie slow.
_SALT = b"tangram session cookie v1"
_ROUNDS = 200_000


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
