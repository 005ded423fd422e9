"""``tangram jet1090 history size | retention | purge``: the history file, offline.

The commands read ``[plugins.tangram_jet1090]`` from the same ``tangram.toml`` as
``tangram serve`` to find the file. They may run while the server writes (SQLite WAL;
a purge waits up to ``_BUSY_MS`` for the writer's transaction). Known problems raise
``tangram.ConfigError``: one line, no traceback.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer

import tangram
from tangram.config import load_plugin_config

from .config import Jet1090Config
from .flights import delete_before

__all__ = ["app", "history_file", "purge", "summary"]

app = typer.Typer(help="The trajectory history: size, retention, purge.", no_args_is_help=True)

_PLUGIN = "tangram_jet1090"
_BUSY_MS = 10_000

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="tangram.toml to read.")]


def history_file(config: Path | None) -> tuple[Path, Jet1090Config]:
    """The history file ``tangram serve`` would use with this configuration."""
    settings = tangram.load_config(config)
    plugin_config = load_plugin_config(settings, Jet1090Config, _PLUGIN)
    base = settings.source.parent if settings.source else None
    path = plugin_config.history_file(base).resolve()
    if not path.is_file():
        raise tangram.ConfigError(
            f"no history file at {path} (tangram serve creates it; set history_path in "
            "[plugins.tangram_jet1090] if it lives elsewhere)",
            source=settings.source_name,
        )
    return path, plugin_config


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    try:
        uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rw'}"
        conn = sqlite3.connect(uri, uri=True, timeout=_BUSY_MS / 1000)
        conn.execute("SELECT count(*) FROM trajectory LIMIT 1")
    except sqlite3.Error as exc:
        raise tangram.ConfigError(f"{path} is not a tangram_jet1090 history ({exc})") from None
    return conn


def summary(path: Path) -> dict[str, Any]:
    """Bytes on disk (with the WAL), points, flights, oldest and newest point."""
    conn = _connect(path, readonly=True)
    try:
        points, start, stop = conn.execute(
            "SELECT (SELECT COUNT(*) FROM trajectory), (SELECT MIN(timestamp) FROM "
            "trajectory), (SELECT MAX(timestamp) FROM trajectory)"
        ).fetchone()
        has_flights = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'flights'").fetchone()
        flights = conn.execute("SELECT COUNT(*) FROM flights").fetchone()[0] if has_flights else 0
    finally:
        conn.close()
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.is_file() else 0)
    return {"bytes": size, "points": points, "flights": flights, "start": start, "stop": stop}


def purge(path: Path, before: float | None) -> tuple[int, int]:
    """Delete points older than ``before`` (all with None) and the flights that ended
    before it; returns ``(points, flights)`` deleted."""
    conn = _connect(path, readonly=False)
    limit = float("inf") if before is None else before
    try:
        with conn:
            points = conn.execute("DELETE FROM trajectory WHERE timestamp < ?", (limit,)).rowcount
            flights = delete_before(conn, limit)
    except sqlite3.OperationalError as exc:
        raise tangram.ConfigError(f"cannot purge {path} ({exc}); try again") from None
    finally:
        conn.close()
    return points, flights


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command("size")
def size_command(config: ConfigOption = None) -> None:
    """How big the history is: file size, points, flights, time range."""
    path, _ = history_file(config)
    info = summary(path)
    typer.echo(f"file:    {path}")
    typer.echo(f"size:    {info['bytes'] / 1e6:.1f} MB")
    typer.echo(f"points:  {info['points']}")
    typer.echo(f"flights: {info['flights']}")
    typer.echo(f"oldest:  {_when(info['start'])}")
    typer.echo(f"newest:  {_when(info['stop'])}")


@app.command("retention")
def retention_command(config: ConfigOption = None) -> None:
    """The configured retention, and how much of the file is past it."""
    path, plugin_config = history_file(config)
    retention = plugin_config.history_retention_secs
    conn = _connect(path, readonly=True)
    try:
        (expired,) = conn.execute(
            "SELECT COUNT(*) FROM trajectory WHERE timestamp < ?", (time.time() - retention,)
        ).fetchone()
    finally:
        conn.close()
    typer.echo(f"history_retention_secs = {retention:g} ({retention / 3600:g} h)")
    typer.echo(f"points past it (deleted by a running tangram serve within a minute): {expired}")


@app.command("purge")
def purge_command(
    older_than: Annotated[
        float | None,
        typer.Option("--older-than", help="Delete points older than this many seconds."),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Delete every point.")] = False,
    config: ConfigOption = None,
) -> None:
    """Delete old points (--older-than SECONDS) or all of them (--all)."""
    if everything == (older_than is not None):
        raise tangram.ConfigError("purge needs exactly one of --older-than SECONDS or --all")
    if older_than is not None and not 0 <= older_than < float("inf"):
        raise tangram.ConfigError(
            f"--older-than must be a number of seconds >= 0, not {older_than}"
        )
    path, _ = history_file(config)
    before = None if older_than is None else time.time() - older_than
    points, flights = purge(path, before)
    typer.echo(f"deleted {points} points and {flights} flights from {path}")
