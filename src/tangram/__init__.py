"""tangram: real-time air-traffic research on a web map, where every capability is a plugin.

Plugin authors need only what is exported here and ``tangram.redis.Subscriber``. Names are
imported on first use, so that light processes (the channel gateway, CLI sub-commands) do
not pay for FastAPI and friends when they do not need them.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import TangramConfig, load_config
    from .errors import ConfigError, PluginError, TangramError
    from .plugin import Plugin
    from .runtime import Runtime
    from .state import BackendState, InjectBackendState, StateSlot

try:
    __version__ = version("tangram")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

_LAZY = {
    "BackendState": ".state",
    "ConfigError": ".errors",
    "InjectBackendState": ".state",
    "Plugin": ".plugin",
    "PluginError": ".errors",
    "Runtime": ".runtime",
    "StateSlot": ".state",
    "TangramConfig": ".config",
    "TangramError": ".errors",
    "load_config": ".config",
}

__all__ = [
    "BackendState",
    "ConfigError",
    "InjectBackendState",
    "Plugin",
    "PluginError",
    "Runtime",
    "StateSlot",
    "TangramConfig",
    "TangramError",
    "__version__",
    "load_config",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tangram' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
