"""``tangram_example``: the template plugin of the frontend tutorial (docs/frontend.md).

A backend route and a frontend widget that calls it; nothing else. The frontend is
built from ``frontend/`` into ``dist-frontend/`` next to this file, which is what
``frontend_path`` points to.
"""

from __future__ import annotations

from fastapi import APIRouter

import tangram

__all__ = ["plugin", "router"]

router = APIRouter(prefix="/example", tags=["example"])


@router.get("/")
async def example() -> dict[str, str]:
    """What the side-bar widget displays."""
    return {"data": "This is an example plugin response"}


plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path="dist-frontend", routers=[router])
