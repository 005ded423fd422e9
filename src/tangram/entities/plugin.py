"""What every entity plugin's configuration table and lifespan have in common.

:class:`EntityPluginConfig` holds the keys of streaming, history and replay (a plugin
subclasses it, adds its own keys and may change a default); :func:`runtime_lifespan`
creates the plugin's runtime at start-up, opens it, binds it to its state slot and
closes it at shutdown; :func:`open_history` turns a history database that cannot be
opened into a configuration error that names the key to fix.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError
from ..state import BackendState, StateSlot
from .history import HistoryStore

__all__ = ["EntityPluginConfig", "EntityRuntime", "data_dir", "open_history", "runtime_lifespan"]


def data_dir(name: str) -> Path:
    """``$XDG_DATA_HOME/<name>`` (default ``~/.local/share/<name>``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / name


class EntityPluginConfig(BaseModel):
    """The keys every entity plugin has; every key is optional.

    A subclass sets ``data_dir_name`` (the folder under ``$XDG_DATA_HOME`` of the
    default history file) and ``demo_file`` (what ``replay_file = "demo"`` plays).
    """

    # A typo in the table would silently keep a default: reject unknown keys.
    model_config = ConfigDict(extra="forbid")

    data_dir_name: ClassVar[str] = "tangram"
    demo_file: ClassVar[Path | None] = None

    #: Seconds between two frames streamed to each browser.
    stream_interval_secs: float = Field(default=1.0, gt=0, le=60)
    #: Streaming clients that sent nothing (join, bound-box) for this long are dropped;
    #: a safety net behind the gateway's leave/disconnect events (the frontend re-sends
    #: its bound-box every 30 s).
    streaming_client_timeout_secs: float = Field(default=300.0, gt=0)

    #: Keep trajectories on disk (SQLite).
    history_enabled: bool = True
    #: SQLite file; default ``$XDG_DATA_HOME/<plugin>/history.sqlite``. Relative paths
    #: are relative to the folder of ``tangram.toml``.
    history_path: str | None = None
    #: Points older than this many seconds are pruned.
    history_retention_secs: float = Field(default=86400.0, gt=0)
    #: At most one stored point per entity per this many seconds (0: every position).
    history_sample_secs: float = Field(default=1.0, ge=0)

    #: A recording that ``tangram serve`` plays, or ``"demo"`` for the one shipped
    #: with the plugin.
    replay_file: str | None = None
    #: Replay speed factor (2.0: twice as fast).
    replay_speed: float = Field(default=1.0, gt=0, le=1000)
    #: Start again at the end of the recording.
    replay_loop: bool = False

    def resolve(self, value: str, base: Path | None) -> Path:
        """A path from this table, relative to the configuration file's folder."""
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return path

    def history_file(self, base: Path | None) -> Path:
        if self.history_path:
            return self.resolve(self.history_path, base)
        return data_dir(self.data_dir_name) / "history.sqlite"

    def replay_path(self, base: Path | None) -> Path | None:
        if not self.replay_file:
            return None
        if self.replay_file == "demo" and self.demo_file is not None:
            return self.demo_file
        return self.resolve(self.replay_file, base)


async def open_history(history: HistoryStore | None, plugin_name: str) -> None:
    """Open ``history`` (if any); a file that cannot be opened is a configuration error."""
    if history is None:
        return
    try:
        await history.open()
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"history database {history.path} cannot be opened ({exc}); set "
            "history_path to a writable file, or history_enabled = false",
            key=f"plugins.{plugin_name}.history_path",
        ) from exc


class EntityRuntime(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...


R = TypeVar("R", bound=EntityRuntime)


def runtime_lifespan(
    slot: StateSlot[R], make: Callable[[BackendState, Path | None], R]
) -> Callable[[BackendState], AbstractAsyncContextManager[None]]:
    """A plugin lifespan: ``make(backend_state, folder of tangram.toml)``, open the
    runtime, bind it to ``slot`` for the services and routes, close it at the end."""

    @asynccontextmanager
    async def lifespan(backend_state: BackendState) -> AsyncIterator[None]:
        source = backend_state.config.source
        runtime = make(backend_state, source.parent if source else None)
        await runtime.open()
        try:
            with slot.bound(backend_state, runtime):
                yield
        finally:
            await runtime.close()

    return lifespan
