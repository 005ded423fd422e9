"""The ``tangram`` command.

Exit codes: 0 success; 1 a known problem (printed as one ``error: ...`` line, no
traceback); 2 bad command-line usage (click's convention). Unexpected exceptions keep
their traceback, since they are bugs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .config import load_config
from .discovery import PluginInfo, installed_plugins, load_plugins
from .errors import TangramError
from .logs import setup_logging
from .plugin import command_name
from .sdk import frontend_sdk

__all__ = ["app", "main"]

app = typer.Typer(
    name="tangram",
    help="Real-time air-traffic research on a web map, where every capability is a plugin.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional at runtime on 3.10
    typer.Option(
        "--config",
        "-c",
        help="tangram.toml to use (default: $TANGRAM_CONFIG, else ./tangram.toml, else defaults)",
        dir_okay=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tangram {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """tangram: live data on a web map; `tangram serve` runs it."""


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run the server, the channel gateway and the plugins' services until Ctrl+C."""
    cfg = load_config(config)
    setup_logging(cfg.core.log_level)
    # Plugins report with print() too (the plugin guide does): keep their lines in order
    # with the log and visible at once in files and journald, not held in a block buffer.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is optional off Linux/macOS
        pass
    from . import shutdown
    from .serve import serve as run

    code = 1
    try:
        shutdown.run(run(cfg))
        code = 0
    finally:
        shutdown.exit_watchdog(code)


@app.command("list-plugins")
def list_plugins(
    config: ConfigOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also load installed plugins that are not enabled.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show installed and enabled plugins with what each contributes."""
    cfg = load_config(config)
    setup_logging("CRITICAL")  # problems are shown in the table, not as log lines
    result = load_plugins(cfg, load_all=show_all)
    rows = [_row(info) for info in result.infos]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"tangram plugins ({cfg.source_name})")
    for column in COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[column]) for column in COLUMNS))
    Console().print(table)
    for info in result.infos:
        if info.error is not None:
            Console(stderr=True).print(Text.assemble((info.name, "red"), f": {info.error}"))


COLUMNS = ("plugin", "distribution", "status", "frontend", "routers", "services", "commands")


def _row(info: PluginInfo) -> dict[str, Any]:
    plugin = info.plugin
    return {
        "plugin": info.name,
        "distribution": f"{info.distribution} {info.version}" if info.distribution else "-",
        "status": info.status,
        "frontend": "yes" if plugin is not None and plugin.frontend_path is not None else "-",
        "routers": len(plugin.routers) if plugin else "-",
        "services": len(plugin.services) if plugin else "-",
        "commands": plugin.short_name if plugin is not None and plugin.commands else "-",
        "error": str(info.error) if info.error else None,
    }


@app.command()
def check(config: ConfigOption = None) -> None:
    """Validate the configuration and load the enabled plugins, without serving.

    Exits 1 if anything is wrong, unknown keys (likely typos) included."""
    setup_logging("CRITICAL")  # every problem is printed below, once
    cfg = load_config(config)
    result = load_plugins(cfg)
    out, err = Console(), Console(stderr=True)
    for info in result.infos:
        if info.enabled:
            mark = Text("ok", "green") if info.status == "loaded" else Text("FAILED", "red")
            out.print(mark.append(f" plugin {info.name}", ""))
        if info.error is not None:
            err.print(Text.assemble(("error: ", "bold red"), str(info.error)))
    for warning in cfg.warnings:
        err.print(Text.assemble(("warning: ", "yellow"), warning))
    problems = len(result.errors) + len(cfg.warnings)
    if problems:
        raise TangramError(f"{problems} problem(s) found, see above")
    out.print(Text("ok", "green").append(f" {cfg.source_name}", ""))


app.command("frontend-sdk")(frontend_sdk)


def _mount_plugin_commands(argv: list[str]) -> None:
    """Mount ``Plugin(commands=...)`` sub-apps; only the plugin named on the command line
    is imported, unless help is asked for (then every installed plugin is)."""
    builtin = {"serve", "list-plugins", "check", "frontend-sdk"}
    wanted = argv[0] if argv and not argv[0].startswith("-") else None
    if wanted in builtin:
        return
    for info in installed_plugins():
        short = command_name(info.name)
        if wanted is not None and wanted not in (short, info.name):
            continue
        try:
            obj = info.entry_point.load() if info.entry_point else None
        except Exception as exc:
            if wanted is not None:
                raise TangramError(
                    f"plugin {info.name!r} (distribution {info.distribution!r}) failed to "
                    f"import: {type(exc).__name__}: {exc}"
                ) from exc
            continue
        commands = getattr(obj, "commands", None)
        if isinstance(commands, typer.Typer):
            app.add_typer(commands, name=short, help=f"Commands of plugin {info.name}.")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        _mount_plugin_commands(args)
        app(args=args, prog_name="tangram")
    except TangramError as exc:
        Console(stderr=True).print(Text.assemble(("error: ", "bold red"), str(exc)))
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
