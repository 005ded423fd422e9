"""The ``[plugins.tangram_jet1090]`` table of ``tangram.toml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from tangram.entities import EntityPluginConfig, data_dir

from .receivers.reference import resolve_reference
from .receivers.sources import parse_source

__all__ = ["DEMO_FILE", "MAX_SOURCES", "Jet1090Config", "default_cache_dir", "default_data_dir"]

#: The recording shipped with the package (``replay_file = "demo"``).
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.jsonl.gz"
#: Most receivers one server reads (``sources``).
MAX_SOURCES = 64


def default_data_dir() -> Path:
    """Where the history database lives unless ``history_path`` says otherwise."""
    return data_dir("tangram_jet1090")


def default_cache_dir() -> Path:
    """Where the downloaded aircraft database is cached."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tangram_jet1090"


class Jet1090Config(EntityPluginConfig):
    """Every key is optional; the defaults follow the jet1090 conventions. Streaming,
    history (``GET /jet1090/data/{icao24}``) and replay keys: :class:`EntityPluginConfig`."""

    data_dir_name: ClassVar[str] = "tangram_jet1090"
    demo_file: ClassVar[Path | None] = DEMO_FILE

    #: Redis channel jet1090 publishes on (``jet1090 --redis-topic``).
    jet1090_channel: str = Field(default="jet1090", min_length=1)
    #: Aircraft not heard from for this many seconds disappear.
    state_vector_expire: float = Field(default=20.0, gt=0)

    #: BaseStation database (``basestation.zip`` or a bare ``.sqb``) for registration and
    #: type; downloaded in the background. Unset: only a cached copy is used.
    aircraft_db_url: str | None = None
    #: Cached database file; default ``$XDG_CACHE_HOME/tangram_jet1090/basestation.sqb``.
    aircraft_db_cache: str | None = None
    #: A cached database older than this is downloaded again (when a URL is set).
    aircraft_db_max_age_days: float = Field(default=30.0, gt=0)

    #: Receivers read directly: ``beast://HOST:PORT``, ``avr://...``, ``sbs://...``.
    sources: list[str] = Field(default_factory=list, max_length=MAX_SOURCES)
    #: ``[lat, lon]`` or an ICAO airport code: the reference for surface positions.
    reference: list[float] | str | None = None
    #: The same frame from any receiver within this many seconds counts once.
    dedup_window_secs: float = Field(default=1.0, ge=0, le=60)
    #: A receiver silent for this long is disconnected and reconnected.
    receiver_timeout_secs: float = Field(default=30.0, gt=0, le=3600)
    #: Publish messages decoded from ``sources`` on ``jet1090_channel`` (jet1090 JSON).
    publish_decoded: bool = False
    #: Append every message decoded from ``sources`` to this ``.jsonl.gz``.
    record_path: str | None = None

    @field_validator("sources")
    @classmethod
    def _check_sources(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parse_source(url)
        return urls

    @field_validator("reference")
    @classmethod
    def _check_reference(cls, value: list[float] | str | None) -> list[float] | str | None:
        if value is not None:
            resolve_reference(value)
        return value

    def aircraft_db_file(self, base: Path | None) -> Path:
        if self.aircraft_db_cache:
            return self.resolve(self.aircraft_db_cache, base)
        return default_cache_dir() / "basestation.sqb"
