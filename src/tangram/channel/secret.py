"""The token signing secret of one gateway process.

``[channel] jwt_secret`` when configured; otherwise the random secret shared through
Redis, read (or created) whenever the command link (re)connects, and put back if
Redis lost it. Until it is known, tokens can be neither minted nor checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ..config import ChannelConfig
from ..resp import CommandClient
from .phoenix import TokensUnavailable
from .tokens import SECRET_KEY, TokenIssuer, resolve_secret

__all__ = ["SigningSecret"]

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class SigningSecret:
    """Holds the secret and the :class:`TokenIssuer` built from it."""

    def __init__(self, config: ChannelConfig, commands: CommandClient, spawn: Spawn) -> None:
        self.config = config
        self.commands = commands
        self._spawn = spawn
        #: None until the signing secret is known (it may live in an unreachable Redis).
        self.issuer: TokenIssuer | None = None
        self._secret = ""
        self._resolving: asyncio.Task[Any] | None = None
        if config.jwt_secret is not None:
            self._set(config.jwt_secret)

    def check_token(self, token: str | None, topic: str) -> str | None:
        """The session's token check; raises TokensUnavailable while the secret is unknown."""
        if self.issuer is None:
            raise TokensUnavailable(
                "the shared signing secret is kept in Redis, which is unreachable; retrying"
            )
        return self.issuer.check(token, topic)

    def redis_back(self) -> None:
        """After every (re)connection of the command link: resolve, or restore, the secret."""
        if not self._secret:
            if self._resolving is None or self._resolving.done():
                self._resolving = self._spawn(self._resolve())
        elif self.config.jwt_secret is None:
            # Redis may have lost its data (restart without persistence): restore ours.
            self.commands.send("SET", SECRET_KEY, self._secret, "NX")

    async def wait_resolved(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) for a resolution in progress."""
        if self._resolving is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._resolving), timeout)

    def _set(self, secret: str) -> None:
        cfg = self.config
        self._secret = secret
        self.issuer = TokenIssuer(secret, cfg.jwt_expiration_secs, cfg.id_length)

    async def _resolve(self) -> None:
        try:
            secret = await resolve_secret(None, self.commands.execute)
        except Exception as exc:  # Redis went away again: the next connection retries
            log.warning("channel gateway: cannot read the shared secret from Redis (%s)", exc)
            return
        self._set(secret)
        log.info("channel gateway: shared token secret resolved; tokens available")
