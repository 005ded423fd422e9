"""The plugin contract: what a plugin package hands to tangram.

A plugin is a ``tangram.Plugin`` instance exported through an entry point of group
``tangram.plugins``. Everything a plugin contributes is declared on it: routers,
background services, a frontend, a typed configuration table, a lifespan, and CLI
sub-commands. The core's own features use the same object.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import PluginError

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from .config import TangramConfig
    from .state import BackendState

__all__ = ["Lifespan", "Plugin", "ServiceFunc", "ServiceSpec", "command_name"]

ConfigT = TypeVar("ConfigT")
#: A service: ``async def f(backend_state)`` or a plain ``def f(backend_state)`` (run in
#: a thread).
ServiceFunc = Callable[["BackendState"], Awaitable[None] | None]
F = TypeVar("F", bound=ServiceFunc)
#: ``lifespan(backend_state)`` returns an async context manager entered at start-up and
#: exited at shutdown, for example ``contextlib.asynccontextmanager`` functions.
Lifespan = Callable[["BackendState"], AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class ServiceSpec:
    """A registered background service."""

    func: ServiceFunc
    priority: int
    name: str

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)


class Plugin(Generic[ConfigT]):
    """Everything one plugin contributes to tangram.

    :param frontend_path: folder of built frontend assets holding ``plugin.json``;
        relative paths are resolved against the folder of the module creating the
        plugin, so ``frontend_path="dist-frontend"`` works from any install location.
    :param routers: FastAPI routers mounted into the server.
    :param config_class: a dataclass or pydantic model validated from the
        ``[plugins.<name>]`` table; the result is ``plugin.config``.
    :param lifespan: ``f(backend_state)`` returning an async context manager that wraps
        the server's life (open resources before services start, close them after).
    :param commands: a ``typer.Typer`` mounted as ``tangram <short-name> ...``.
    """

    def __init__(
        self,
        frontend_path: str | os.PathLike[str] | None = None,
        routers: Sequence[APIRouter] | None = None,
        config_class: type[ConfigT] | None = None,
        lifespan: Lifespan | None = None,
        commands: typer.Typer | None = None,
    ) -> None:
        self.routers: list[APIRouter] = list(routers or [])
        self.config_class = config_class
        self.lifespan = lifespan
        self.commands = commands
        self.services: list[ServiceSpec] = []
        self.frontend_path = _resolve(frontend_path, sys._getframe(1).f_globals.get("__file__"))
        # Filled in by the loader (tangram.discovery) when the plugin is enabled.
        self.name: str = ""
        self.distribution: str | None = None
        self.version: str | None = None
        self._config: ConfigT | None = None

    def register_service(self, priority: int = 0) -> Callable[[F], F]:
        """Register ``func(backend_state)`` as a background service.

        Services start once Redis is reachable, lowest ``priority`` first; plain
        functions run in a worker thread. A service that raises is logged and
        restarted with backoff, without affecting the others.
        """
        if not isinstance(priority, int):
            raise PluginError(
                f"register_service(priority=...) expects an int, got {priority!r}; "
                "write @plugin.register_service() or @plugin.register_service(priority=1)"
            )

        def decorator(func: F) -> F:
            if not callable(func):
                raise PluginError(f"register_service decorates a function, got {func!r}")
            name = f"{func.__module__}.{func.__qualname__}"
            self.services.append(ServiceSpec(func=func, priority=priority, name=name))
            return func

        return decorator

    @property
    def config(self) -> ConfigT:
        """The validated ``[plugins.<name>]`` table (only with ``config_class``)."""
        if self._config is None:
            if self.config_class is None:
                raise PluginError(
                    f"plugin {self.name or '<unloaded>'!r} has no config_class; pass "
                    "tangram.Plugin(config_class=...) to get a typed configuration"
                )
            # Not loaded through tangram (e.g. in a unit test): use the class defaults.
            from pydantic import TypeAdapter

            self._config = TypeAdapter(self.config_class).validate_python({})
        return self._config

    @config.setter
    def config(self, value: ConfigT) -> None:
        self._config = value

    def configure(self, config: TangramConfig) -> ConfigT:
        """Validate this plugin's ``[plugins.<name>]`` table (without its frontend
        sub-table) against ``config_class``; the result becomes ``plugin.config``.
        Unknown keys are warned about (``config.warn``). Raises ConfigError."""
        from .config import config_fields, validate_plugin_config
        from .diagnostics import did_you_mean

        if self.config_class is None:
            raise PluginError(f"plugin {self.name or '<unloaded>'!r} has no config_class")
        table = config.plugin_table(self.name, self.distribution)
        self._config = validate_plugin_config(
            self.config_class, table.settings, source=config.source_name, table=table.key
        )
        known = config_fields(self.config_class)
        for key in sorted(set(table.settings) - known if known is not None else ()):
            config.warn(
                f"{config.source_name}: {table.key}: unknown key {key!r} is ignored (typo?); "
                f"plugin {self.name} accepts {', '.join(sorted(known or ()))}"
                + did_you_mean(key, known or ())
            )
        return self._config

    @property
    def short_name(self) -> str:
        """Name of the CLI sub-command: ``tangram_jet1090`` -> ``jet1090``."""
        return command_name(self.name)

    def __repr__(self) -> str:
        return (
            f"Plugin(name={self.name!r}, frontend_path={self.frontend_path!r}, "
            f"routers={len(self.routers)}, services={len(self.services)})"
        )


def command_name(entry_point: str) -> str:
    """``tangram <this> ...`` for a plugin's commands: no ``tangram_`` prefix, ``-`` for ``_``."""
    return entry_point.removeprefix("tangram_").removeprefix("tangram-").replace("_", "-")


def _resolve(path: str | os.PathLike[str] | None, module_file: str | None) -> Path | None:
    if path is None:
        return None
    resolved = Path(path)
    if not resolved.is_absolute() and module_file:
        resolved = Path(module_file).resolve().parent / resolved
    return resolved
