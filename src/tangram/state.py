"""The state shared by the server, services and routes of all plugins, and typed slots
where each plugin keeps its own runtime objects (no module globals: two apps in one
process, as in tests, each see their own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, cast

import httpx
import redis.asyncio
from fastapi import Depends, HTTPException, Request

from .config import TangramConfig
from .errors import PluginError

if TYPE_CHECKING:
    from .plugin import Plugin

__all__ = ["BackendState", "InjectBackendState", "StateSlot", "get_backend_state"]

T = TypeVar("T")


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
    #: What plugins stored through their :class:`StateSlot` objects (use those).
    slots: dict[StateSlot[Any], Any] = field(default_factory=dict, repr=False)

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


class StateSlot(Generic[T]):
    """A typed place for one plugin object (its runtime, a cache...) on the running
    app's :class:`BackendState`, instead of a module global.

    Declare one per object, at module level (the slot is a key, the value lives in
    the state)::

        RUNTIME: tangram.StateSlot[MyRuntime] = tangram.StateSlot("my_plugin.runtime")

    fill it in the plugin's lifespan (``with RUNTIME.bound(backend_state, runtime):
    yield``), read it in services with ``RUNTIME.get(backend_state)`` and in routes with
    the dependency: ``runtime: Annotated[MyRuntime, Depends(RUNTIME.dependency)]``.
    """

    def __init__(self, name: str) -> None:
        #: For messages: ``<plugin>.<what>``.
        self.name = name

    def set(self, state: BackendState, value: T) -> None:
        state.slots[self] = value

    def clear(self, state: BackendState) -> None:
        state.slots.pop(self, None)

    @contextmanager
    def bound(self, state: BackendState, value: T) -> Iterator[T]:
        """``set`` for the duration of a ``with`` block (a lifespan's ``yield``)."""
        self.set(state, value)
        try:
            yield value
        finally:
            self.clear(state)

    def get(self, state: BackendState) -> T:
        """The stored value; PluginError if the lifespan has not stored it (yet)."""
        try:
            return cast(T, state.slots[self])
        except KeyError:
            raise PluginError(
                f"{self.name} is not set: it is stored by its plugin's lifespan, which has "
                "not run (or failed; see the log)"
            ) from None

    def dependency(self, request: Request) -> T:
        """FastAPI dependency: the value for this app; 503 while it is not set."""
        state = get_backend_state(request)
        if self not in state.slots:
            raise HTTPException(
                503, f"{self.name} is not available: its plugin is not running (see the log)"
            )
        return cast(T, state.slots[self])

    def __repr__(self) -> str:
        return f"StateSlot({self.name!r})"
