"""The one error hierarchy of tangram.

Every error a user can cause derives from :class:`TangramError`, so the CLI can
print it in one line (``error: ...``) without a traceback, while anything else is
a bug and keeps its full traceback::

    TangramError
    ├── ConfigError          a tangram.toml (or [plugins.<name>] table) is invalid
    ├── PluginError          a plugin cannot be found, imported or used
    │   └── PluginLoadError  an installed plugin failed to load
    ├── RedisUnavailableError  Redis cannot be reached or started
    └── ChannelError         the channel gateway cannot start

Messages follow one rule: name the source (file and key, or plugin and
distribution), what was found, what was expected, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "ChannelError",
    "ConfigError",
    "PluginError",
    "PluginLoadError",
    "RedisUnavailableError",
    "TangramError",
]


class TangramError(Exception):
    """Base of every error tangram reports to users."""


class ConfigError(TangramError):
    """A configuration file or value is invalid."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        where = "".join(f"{part}: " for part in (source, key) if part)
        super().__init__(where + message)


class PluginError(TangramError):
    """A plugin is missing, malformed, or misused."""


class PluginLoadError(PluginError):
    """An installed plugin failed to import or did not export a ``tangram.Plugin``."""

    def __init__(self, name: str, distribution: str | None, reason: str):
        self.name = name
        self.distribution = distribution
        dist = f" (distribution {distribution!r})" if distribution else ""
        super().__init__(f"plugin {name!r}{dist} failed to load: {reason}")


class RedisUnavailableError(TangramError):
    """Redis cannot be reached, or an embedded server cannot be started."""


class ChannelError(TangramError):
    """The channel gateway cannot start or is misconfigured."""
