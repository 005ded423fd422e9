"""The ``[plugins.tangram_ship162]`` table of ``tangram.toml``."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from tangram.entities import EntityPluginConfig, data_dir

from .sources import parse_source

__all__ = ["DEMO_FILE", "Ship162Config", "default_data_dir"]

#: The simulated scene shipped with the package (``replay_file = "demo"``).
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.nmea.gz"


def default_data_dir() -> Path:
    return data_dir("tangram_ship162")


class Ship162Config(EntityPluginConfig):
    """Every key is optional. Streaming, history and replay keys:
    :class:`EntityPluginConfig`; ``replay_file`` is an NMEA log (``.nmea``/``.txt``,
    optionally gzipped) or ``"demo"`` for the simulated scene shipped with the plugin."""

    data_dir_name: ClassVar[str] = "tangram_ship162"
    demo_file: ClassVar[Path | None] = DEMO_FILE

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
    #: At most one stored point per ship per this many seconds (0: every position).
    history_sample_secs: float = Field(default=10.0, ge=0)
    #: Pace of a log without tag-block timestamps, in lines per second (at speed 1).
    replay_lines_per_sec: float = Field(default=50.0, gt=0)

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, values: list[str]) -> list[str]:
        for value in values:
            parse_source(value)  # raises ValueError with the fix
        return values
