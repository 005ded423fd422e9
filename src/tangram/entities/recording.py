"""What the entity plugins' replay commands share: reading a recording that may be
gzipped, finding the Redis that ``tangram serve`` uses with a configuration, and the
command-line options every replay takes (so that ``--speed`` or ``--config`` mean the same
in ``tangram jet1090 replay`` and ``tangram ship162 replay``)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO, Annotated

import typer

from ..config import TangramConfig
from ..embedded_redis import DEFAULT_LOCAL, redis_answers
from ..errors import ConfigError, TangramError

__all__ = [
    "ConfigOption",
    "LoopOption",
    "RedisUrlOption",
    "SpeedOption",
    "open_recording",
    "serve_redis_url",
]

SpeedOption = Annotated[float, typer.Option(help="Speed factor (2: twice as fast).")]
LoopOption = Annotated[bool, typer.Option("--loop", help="Start again at the end.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="tangram.toml to read.")]
RedisUrlOption = Annotated[
    str | None,
    typer.Option("--redis-url", help="Override core.redis_url from the configuration."),
]


def open_recording(path: Path, error: type[TangramError], expected: str) -> IO[bytes]:
    """``path`` opened for reading, gunzipped when it starts with the gzip magic;
    ``error(f"{path}: {expected}")`` when there is no such file."""
    if not path.is_file():
        raise error(f"{path}: {expected}")
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def serve_redis_url(settings: TangramConfig, plugin: str, alternative: str = "") -> str:
    """The Redis ``tangram serve`` would use with ``settings``, for a command that
    publishes into it; a clear error when only serve can know it (embedded Redis).
    ``alternative`` is the plugin's own way out, added to the fix."""
    url = settings.core.redis_url
    if url is None and redis_answers(*DEFAULT_LOCAL):
        return "redis://{}:{}/0".format(*DEFAULT_LOCAL)
    if url is None or url == "embedded":
        # An embedded Redis listens on a random port only tangram serve knows.
        why = "nothing answers on 127.0.0.1:6379" if url is None else "it is 'embedded'"
        raise ConfigError(
            f"core.redis_url is not a URL and {why}, so tangram serve runs its own Redis on "
            "a random port that this command cannot know. Pass --redis-url redis://HOST:PORT,"
            f" set core.redis_url,{alternative} or let serve replay the file itself with "
            f'replay_file = "..." in [plugins.{plugin}]',
            source=settings.source_name,
        )
    return url
