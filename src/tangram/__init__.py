"""tangram: real-time air-traffic research on a web map, where every capability is a plugin.

Plugin authors need only what is exported here and ``tangram.redis.Subscriber``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .config import TangramConfig, load_config
from .errors import ConfigError, PluginError, TangramError
from .plugin import Plugin
from .state import BackendState, InjectBackendState

try:
    __version__ = version("tangram")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "BackendState",
    "ConfigError",
    "InjectBackendState",
    "Plugin",
    "PluginError",
    "TangramConfig",
    "TangramError",
    "__version__",
    "load_config",
]
