"""``tangram_example``: the template plugin of the frontend tutorial (docs/frontend.md).

A backend route and a frontend widget that calls it. The route's data lives in the app's
state slot (``GREETER``), filled by the plugin's lifespan: the way a plugin keeps
runtime objects without module globals (docs/plugins.md). The frontend is built from
``frontend/`` into ``dist-frontend/`` next to this file, which is what ``frontend_path``
points to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends

import tangram

__all__ = ["GREETER", "Greeter", "plugin", "router"]


@dataclass
class Greeter:
    """What the route answers, and how often it did (per running app)."""

    message: str = "This is an example plugin response"
    calls: int = 0


GREETER: tangram.StateSlot[Greeter] = tangram.StateSlot("tangram_example.greeter")

router = APIRouter(prefix="/example", tags=["example"])


@router.get("/")
async def example(greeter: Annotated[Greeter, Depends(GREETER.dependency)]) -> dict[str, str]:
    """What the side-bar widget displays."""
    greeter.calls += 1
    return {"data": greeter.message}


@asynccontextmanager
async def lifespan(backend_state: tangram.BackendState) -> AsyncIterator[None]:
    with GREETER.bound(backend_state, Greeter()):
        yield


plugin: tangram.Plugin[None] = tangram.Plugin(
    frontend_path="dist-frontend", routers=[router], lifespan=lifespan
)
