"""The state shared by the server, services and routes of all plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import redis.asyncio
from fastapi import Depends, Request

from .config import TangramConfig

if TYPE_CHECKING:
    from .plugin import Plugin

__all__ = ["BackendState", "InjectBackendState", "get_backend_state"]


@dataclass
class BackendState:
    """Handed to every service, lifespan and (through ``InjectBackendState``) route."""

    #: A shared ``redis.asyncio.Redis`` (decode_responses=False: payloads are bytes).
    redis_client: redis.asyncio.Redis
    #: A shared ``httpx.AsyncClient`` for outgoing HTTP requests.
    http_client: httpx.AsyncClient
    #: The validated ``tangram.toml``; ``config.core.redis_url`` is the *effective* URL
    #: (the embedded server's when one was started), usable by external programs, and
    #: ``config.channel.port`` the port the gateway actually listens on.
    config: TangramConfig
    #: Loaded plugins by name.
    plugins: dict[str, Plugin[Any]] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        url = self.config.core.redis_url
        assert url is not None and url != "embedded", "resolved at start-up"
        return url


def get_backend_state(request: Request) -> BackendState:
    """FastAPI dependency returning the running server's ``BackendState``."""
    state: BackendState = request.app.state.backend_state
    return state


#: Use in route signatures: ``async def route(state: tangram.InjectBackendState)``.
InjectBackendState = Annotated[BackendState, Depends(get_backend_state)]
