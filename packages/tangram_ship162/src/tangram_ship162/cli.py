"""``tangram ship162 ...`` commands."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import Annotated

import orjson
import redis.asyncio as aioredis
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

from .config import DEMO_FILE, Ship162Config
from .nmea import NmeaDecoder
from .replay import ReplayError, ReplayStats, paced_lines
from .sources import parse_source
from .vessel import UnknownMessage, fields_of

__all__ = ["app"]

app = typer.Typer(help="Live ships from AIS: replay NMEA logs.", no_args_is_help=True)

_PLUGIN = "tangram_ship162"
#: The way out of an embedded Redis that only this plugin has.
_UDP_INSTEAD = " send to a udp:// source with --udp HOST:PORT,"


@app.command("replay")
def replay_command(
    file: Annotated[
        Path,
        typer.Argument(help='An NMEA log (!AIVDM lines, tag blocks optional), or "demo".'),
    ],
    speed: SpeedOption = 1.0,
    loop: LoopOption = False,
    lines_per_sec: Annotated[
        float, typer.Option(help="Pace of a log without tag-block timestamps.")
    ] = 50.0,
    udp: Annotated[
        str | None,
        typer.Option(help="Send the lines as UDP datagrams to HOST:PORT instead of Redis."),
    ] = None,
    config: ConfigOption = None,
    redis_url: RedisUrlOption = None,
) -> None:
    """Play a log now: decoded messages on the plugin's Redis channel (as upstream's
    ship162 decoder publishes them), or the raw lines to a UDP source with --udp."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    path = DEMO_FILE if str(file) == "demo" else file
    stats = ReplayStats()
    target = None
    if udp is not None:
        try:
            target = parse_source(f"udp://{udp}")
        except ValueError as exc:
            raise tangram.ConfigError(f"--udp {udp!r}: {exc}") from None
    try:
        if target is not None:
            asyncio.run(
                _to_udp(path, speed, loop, lines_per_sec, (target.host, target.port), stats)
            )
        else:
            settings = tangram.load_config(config)
            plugin_config = load_plugin_config(settings, Ship162Config, _PLUGIN)
            if not plugin_config.redis_channel:
                raise tangram.ConfigError(
                    "plugins.tangram_ship162.redis_channel is empty: set it, or use --udp"
                )
            url = redis_url or serve_redis_url(settings, _PLUGIN, _UDP_INSTEAD)
            channel = plugin_config.redis_channel
            asyncio.run(_to_redis(path, speed, loop, lines_per_sec, url, channel, stats))
    except KeyboardInterrupt:
        pass
    except ReplayError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"replayed {stats.lines} lines in {stats.rounds} round(s)")


async def _to_udp(
    path: Path,
    speed: float,
    loop: bool,
    lines_per_sec: float,
    target: tuple[str, int],
    stats: ReplayStats,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        async for line in paced_lines(path, speed, loop, lines_per_sec, stats):
            sock.sendto(line + b"\r\n", target)


async def _to_redis(
    path: Path,
    speed: float,
    loop: bool,
    lines_per_sec: float,
    url: str,
    channel: str,
    stats: ReplayStats,
) -> None:
    decoder = NmeaDecoder()
    client = aioredis.Redis.from_url(url)
    try:
        async for line in paced_lines(path, speed, loop, lines_per_sec, stats):
            decoded = decoder.decode(line)
            if decoded is None:
                continue
            msg, timestamp = decoded
            try:
                fields_of(msg)
            except UnknownMessage:
                continue  # nothing for the ship table
            body = {**msg, "timestamp": timestamp}
            await client.publish(channel, orjson.dumps(body, default=str))
    finally:
        await client.aclose()
