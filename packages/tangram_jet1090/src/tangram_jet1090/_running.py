"""The runtime of this process (set by the plugin lifespan), shared with the routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runtime import Jet1090Runtime

current: Jet1090Runtime | None = None
