"""Finding and loading plugins from the ``tangram.plugins`` entry-point group.

Each plugin loads in isolation: one that is missing, fails to import, exports the wrong
object or has an invalid ``[plugins.<name>]`` table is reported with a clear message and
the others load anyway, so a broken plugin never keeps the server from starting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from .config import FRONTEND_TABLE, TangramConfig, normalize
from .diagnostics import OFFICIAL_PLUGINS, did_you_mean, frontend_problem, install_hint
from .errors import ConfigError, PluginError, PluginLoadError, TangramError
from .plugin import Plugin

__all__ = [
    "FRONTEND_TABLE",
    "GROUP",
    "LoadResult",
    "PluginInfo",
    "installed_plugins",
    "load_plugins",
    "normalize",
]

log = logging.getLogger(__name__)

GROUP = "tangram.plugins"
Status = Literal["loaded", "failed", "disabled", "missing"]


@dataclass
class PluginInfo:
    """One row of ``tangram list-plugins``: an installed or requested plugin."""

    name: str
    distribution: str | None = None
    version: str | None = None
    entry_point: EntryPoint | None = None
    enabled: bool = False
    status: Status = "disabled"
    plugin: Plugin[Any] | None = None
    error: TangramError | None = None
    #: The plugin loaded but its declared frontend cannot (no folder, plugin.json or entry).
    frontend_error: PluginError | None = None

    def matches(self, requested: str) -> bool:
        wanted = normalize(requested)
        return wanted == normalize(self.name) or (
            self.distribution is not None and wanted == normalize(self.distribution)
        )


@dataclass
class LoadResult:
    plugins: dict[str, Plugin[Any]] = field(default_factory=dict)
    infos: list[PluginInfo] = field(default_factory=list)

    @property
    def errors(self) -> list[TangramError]:
        found = (info.error or info.frontend_error for info in self.infos)
        return [error for error in found if error is not None]


def installed_plugins() -> list[PluginInfo]:
    """Every entry point of the group, without importing anything."""
    found = []
    for ep in entry_points(group=GROUP):
        dist = ep.dist
        found.append(
            PluginInfo(
                name=ep.name,
                distribution=dist.metadata["Name"] if dist is not None else None,
                version=dist.version if dist is not None else None,
                entry_point=ep,
            )
        )
    return sorted(found, key=lambda info: info.name)


def load_plugins(config: TangramConfig, *, load_all: bool = False) -> LoadResult:
    """Load the plugins enabled in ``[core] plugins`` (in that order), or every installed
    one with ``load_all`` (for listing). Problems end up in ``result.errors``."""
    installed = installed_plugins()
    result = LoadResult()
    seen: set[str] = set()
    for requested in config.core.plugins:
        matches = [info for info in installed if info.matches(requested)]
        if not matches:
            result.infos.append(_missing(requested, installed, config))
            continue
        for info in matches:
            if info.name in seen:
                continue
            seen.add(info.name)
            info.enabled = True
            _load_one(info, config)
            result.infos.append(info)
            if info.plugin is not None:
                result.plugins[info.name] = info.plugin
    for info in installed:
        if info.name not in seen:
            if load_all:
                _load_one(info, config, validate_config=False)
                info.status = "disabled" if info.error is None else "failed"
            result.infos.append(info)
    for key in config.plugins:
        if not any(info.enabled and info.matches(key) for info in result.infos):
            config.warn(
                f"{config.source_name}: [plugins.{key}] matches no enabled plugin, so it is "
                "ignored; enable the plugin in [core] plugins or fix the table's name"
                + did_you_mean(key, _names(result.infos, enabled_only=True))
            )
    for error in result.errors:
        log.error("%s", error)
    return result


def _names(infos: list[PluginInfo], *, enabled_only: bool = False) -> list[str]:
    """Entry-point and distribution names, for "did you mean" suggestions."""
    found = [info for info in infos if info.enabled or not enabled_only]
    return [name for info in found for name in (info.name, info.distribution) if name]


def _missing(requested: str, installed: list[PluginInfo], config: TangramConfig) -> PluginInfo:
    available = (
        ", ".join(f"{info.name} (distribution {info.distribution})" for info in installed) or "none"
    )
    wanted = normalize(requested)
    candidates = [
        name for name in [*_names(installed), *OFFICIAL_PLUGINS] if normalize(name) != wanted
    ]
    prefixed = f"tangram_{wanted}"  # `jet1090` for `tangram_jet1090`
    if prefixed in map(normalize, candidates):
        suggestion = f"; did you mean {prefixed!r}?"
    else:
        suggestion = did_you_mean(requested, candidates)
    fix = (
        f"correct the name in [core] plugins{suggestion}"
        if suggestion
        else f"{install_hint(wanted)}, or remove it from [core] plugins"
    )
    error = PluginError(
        f"{config.source_name}: [core] plugins: {requested!r} is enabled but no installed "
        f"distribution provides it (entry-point group {GROUP!r}); installed plugins: "
        f"{available}. Fix: {fix}"
    )
    return PluginInfo(name=requested, enabled=True, status="missing", error=error)


def _load_one(info: PluginInfo, config: TangramConfig, *, validate_config: bool = True) -> None:
    assert info.entry_point is not None
    try:
        obj = info.entry_point.load()
    except Exception as exc:
        info.status = "failed"
        info.error = PluginLoadError(
            info.name,
            info.distribution,
            f"importing {info.entry_point.value!r} raised {type(exc).__name__}: {exc}. "
            "Fix the plugin's code, or remove it from [core] plugins",
        )
        info.error.__cause__ = exc
        return
    if not isinstance(obj, Plugin):
        info.status = "failed"
        info.error = PluginLoadError(
            info.name,
            info.distribution,
            f"entry point {info.entry_point.value!r} is a {type(obj).__name__}, expected a "
            "tangram.Plugin instance (e.g. `plugin = tangram.Plugin(...)` in the module)",
        )
        return
    obj.name, obj.distribution, obj.version = info.name, info.distribution, info.version
    if validate_config and obj.config_class is not None:
        try:
            obj.configure(config)
        except ConfigError as exc:
            info.status = "failed"
            info.error = PluginLoadError(info.name, info.distribution, str(exc))
            return
    info.plugin = obj
    info.status = "loaded"
    problem = frontend_problem(obj)
    if problem is not None:
        info.frontend_error = PluginError(f"plugin {info.name!r}: {problem}")
