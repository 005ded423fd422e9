"""Join tokens: HS256 JWTs with claims ``id``, ``channel``, ``iat`` and ``exp``.

A token authorises joining the topic named by its ``channel`` claim, or any topic
when that claim is ``"*"``, except per-client topics (``streaming-<id>``), which only
a token whose ``id`` is ``<id>`` may join, whatever its channel. A token is also the
proof that its holder owns its ``id`` (see :mod:`tangram.channel.minting`). When
``[channel] jwt_secret`` is unset, every gateway sharing a Redis uses one random secret
stored there (first writer wins), so tokens minted by one instance are accepted by the
others.
"""

from __future__ import annotations

import logging
import secrets
import string
import time
from collections.abc import Awaitable, Callable

import jwt

__all__ = [
    "PRIVATE_PREFIX",
    "PROOF_GRACE_SECS",
    "SECRET_KEY",
    "TokenIssuer",
    "private_owner",
    "random_id",
    "resolve_secret",
    "weak_secret",
]

log = logging.getLogger(__name__)

SECRET_KEY = "tangram:channel:jwt_secret"
_ALPHABET = string.ascii_letters + string.digits + "-_"
_WEAK = {"secret", "changeme", "change-me", "password", "tangram", "jwt", "test"}
#: Topics ``streaming-<id>`` belong to client ``<id>``: plugins address one page there.
PRIVATE_PREFIX = "streaming-"
#: How long after its expiry a token still proves that its holder owns its id (it never
#: authorises a join once expired): a page whose laptop slept renews its tokens and
#: keeps its id, while a token found in an old log is useless after a week.
PROOF_GRACE_SECS = 7 * 86400


def private_owner(topic: str) -> str | None:
    """The client id that owns ``topic``, or None for a shared topic."""
    if topic.startswith(PRIVATE_PREFIX) and len(topic) > len(PRIVATE_PREFIX):
        return topic[len(PRIVATE_PREFIX) :]
    return None


def random_id(length: int) -> str:
    """A random URL-safe client id of exactly ``length`` characters."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def weak_secret(secret: str) -> bool:
    """True for secrets an attacker would try first (HS256 keys are brute-forceable)."""
    return len(secret) < 32 or secret.lower() in _WEAK


async def resolve_secret(configured: str | None, command: Callable[..., Awaitable[object]]) -> str:
    """The configured secret, else the one shared through Redis (created if missing)."""
    if configured is not None:
        return configured
    await command("SET", SECRET_KEY, secrets.token_urlsafe(48), "NX")
    value = await command("GET", SECRET_KEY)
    if not isinstance(value, bytes):
        raise RuntimeError(f"Redis key {SECRET_KEY} vanished right after SET NX")
    return value.decode()


class TokenIssuer:
    """Mints and checks join tokens with one secret."""

    def __init__(self, secret: str, expiration_secs: int, id_length: int) -> None:
        self._secret = secret
        self.expiration_secs = expiration_secs
        self.id_length = id_length

    def mint(self, channel: str, client_id: str | None = None) -> tuple[str, str]:
        """``(client id, token)`` for ``channel``; an id is drawn when none is given."""
        client_id = client_id if client_id is not None else random_id(self.id_length)
        now = int(time.time())
        claims = {
            "id": client_id,
            "channel": channel,
            "iat": now,
            "exp": now + self.expiration_secs,
        }
        return client_id, jwt.encode(claims, self._secret, algorithm="HS256")

    def check(self, token: str | None, topic: str) -> str | None:
        """The client id if ``token`` is valid, unexpired and grants ``topic``."""
        if not token:
            log.info("join of %r refused: no token in the join payload nor userToken", topic)
            return None
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                options={"require": ["exp", "id", "channel"]},
            )
        except jwt.PyJWTError as exc:
            log.info("join of %r refused: %s", topic, exc)
            return None
        client_id, channel = claims.get("id"), claims.get("channel")
        if not isinstance(client_id, str) or not isinstance(channel, str):
            log.info("join of %r refused: id and channel claims must be strings", topic)
            return None
        if channel not in (topic, "*"):
            log.info("join of %r refused: token is for channel %r", topic, channel)
            return None
        owner = private_owner(topic)
        if owner is not None and owner != client_id:
            log.info(
                "join of %r refused: private to client %r, token is for %r", topic, owner, client_id
            )
            return None
        return client_id

    def owner(self, token: object) -> str | None:
        """The id a token proves its holder owns: signed by us, and expired for at most
        :data:`PROOF_GRACE_SECS`; None otherwise."""
        if not isinstance(token, str) or not token:
            return None
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                leeway=PROOF_GRACE_SECS,
                options={"require": ["exp", "id", "channel"]},
            )
        except jwt.PyJWTError:
            return None
        client_id = claims.get("id")
        return client_id if isinstance(client_id, str) else None
