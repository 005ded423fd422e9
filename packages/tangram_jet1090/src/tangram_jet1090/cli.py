"""``tangram jet1090 ...`` commands."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

import tangram
from tangram.config import load_plugin_config
from tangram.entities.recording import (
    ConfigOption,
    LoopOption,
    RedisUrlOption,
    SpeedOption,
    serve_redis_url,
)
from tangram.redis import from_url

from .config import DEMO_FILE, Jet1090Config
from .history_cli import app as history_app
from .receivers import parse_source, resolve_reference
from .receivers.listen import Listener
from .replay import ReplayStats, replay

__all__ = ["app"]

app = typer.Typer(
    help="Live aircraft from jet1090: replay recordings, listen to a receiver.",
    no_args_is_help=True,
)
app.add_typer(history_app, name="history")

_PLUGIN = "tangram_jet1090"


@app.command("replay")
def replay_command(
    file: Annotated[
        Path,
        typer.Argument(help='A .jsonl or .jsonl.gz recording of jet1090 messages, or "demo".'),
    ],
    speed: SpeedOption = 1.0,
    loop: LoopOption = False,
    config: ConfigOption = None,
    redis_url: RedisUrlOption = None,
    channel: Annotated[
        str | None,
        typer.Option(help="Override jet1090_channel from the configuration."),
    ] = None,
) -> None:
    """Publish a recording on Redis with timestamps shifted to now."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = tangram.load_config(config)
    # The same table, read the same way, as tangram serve (frontend sub-table, spellings).
    plugin_config = load_plugin_config(settings, Jet1090Config, _PLUGIN)
    url = redis_url or serve_redis_url(settings, _PLUGIN)
    path = DEMO_FILE if str(file) == "demo" else file
    stats = ReplayStats()
    try:
        asyncio.run(
            _replay(url, path, channel or plugin_config.jet1090_channel, speed, loop, stats)
        )
    except KeyboardInterrupt:
        pass
    typer.echo(f"published {stats.published} messages in {stats.rounds} round(s)")


async def _replay(
    url: str, path: Path, channel: str, speed: float, loop: bool, stats: ReplayStats
) -> None:
    client = from_url(url)
    try:
        await replay(client, path, channel, speed=speed, loop=loop, stats=stats)
    finally:
        await client.aclose()


@app.command("listen")
def listen_command(
    source: Annotated[
        str, typer.Argument(help="beast://HOST:PORT, avr://HOST:PORT or sbs://HOST:PORT")
    ],
    reference: Annotated[
        str | None,
        typer.Option(help='Surface-position reference: "LFPG" or "LAT,LON".'),
    ] = None,
) -> None:
    """Print the messages decoded from a receiver, one per line, until Ctrl+C."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        url = parse_source(source)
        ref = None
        if reference is not None:
            parts = reference.split(",")
            ref = resolve_reference(reference if len(parts) == 1 else [float(p) for p in parts])
    except ValueError as exc:
        raise tangram.TangramError(str(exc)) from None
    listener = Listener(url, ref, out=lambda line: typer.echo(line))
    try:
        asyncio.run(listener.run())
    except KeyboardInterrupt:
        pass
    typer.echo(listener.summary(), err=True)
