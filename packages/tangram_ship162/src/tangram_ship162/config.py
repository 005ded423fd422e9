"""The ``[plugins.tangram_ship162]`` table of ``tangram.toml``."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .sources import parse_source

__all__ = ["DEMO_FILE", "Ship162Config", "default_data_dir"]

#: The simulated scene shipped with the package (``replay_file = "demo"``).
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.nmea.gz"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "tangram_ship162"


class Ship162Config(BaseModel):
    """Every key is optional."""

    model_config = ConfigDict(extra="forbid")

    #: NMEA 0183 inputs: ``tcp://HOST:PORT`` (connect to a server) or
    #: ``udp://BIND:PORT`` (listen for datagrams).
    sources: list[str] = Field(default_factory=list, max_length=64)
    #: Redis channel of upstream's ship162 decoder (decoded JSON); "" to ignore.
    redis_channel: str = "ship162"
    #: Ships not heard from for this many seconds disappear.
    expire_secs: float = Field(default=600.0, gt=0)
    #: At most this many ships are tracked at once (new MMSIs beyond it are refused).
    max_ships: int = Field(default=100_000, gt=0)
    #: Multi-sentence messages waiting for their other fragments, at most.
    max_pending_fragments: int = Field(default=256, gt=0, le=100_000)
    #: Seconds between two frames streamed to each browser.
    stream_interval_secs: float = Field(default=1.0, gt=0, le=60)
    #: Streaming clients silent for this long are dropped (safety net).
    streaming_client_timeout_secs: float = Field(default=300.0, gt=0)

    history_enabled: bool = True
    #: SQLite file; default ``$XDG_DATA_HOME/tangram_ship162/history.sqlite``.
    history_path: str | None = None
    history_retention_secs: float = Field(default=86400.0, gt=0)
    #: At most one stored point per ship per this many seconds (0: every position).
    history_sample_secs: float = Field(default=10.0, ge=0)

    #: An NMEA log (``.nmea``/``.txt``, optionally gzipped) that serve plays, or
    #: ``"demo"`` for the simulated scene shipped with the plugin.
    replay_file: str | None = None
    replay_speed: float = Field(default=1.0, gt=0, le=1000)
    replay_loop: bool = False
    #: Pace of a log without tag-block timestamps, in lines per second (at speed 1).
    replay_lines_per_sec: float = Field(default=50.0, gt=0)

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, values: list[str]) -> list[str]:
        for value in values:
            parse_source(value)  # raises ValueError with the fix
        return values

    def resolve(self, value: str, base: Path | None) -> Path:
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return path

    def history_file(self, base: Path | None) -> Path:
        if self.history_path:
            return self.resolve(self.history_path, base)
        return default_data_dir() / "history.sqlite"

    def replay_path(self, base: Path | None) -> Path | None:
        if not self.replay_file:
            return None
        if self.replay_file == "demo":
            return DEMO_FILE
        return self.resolve(self.replay_file, base)
