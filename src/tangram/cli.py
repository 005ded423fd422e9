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
from .config import DEFAULT_FILE, ENV_VAR, TangramConfig, load_config
from .diagnostics import config_search_note, unrelated_tangram, web_app_problem
from .discovery import PluginInfo, installed_plugins, load_plugins
from .errors import TangramError
from .logs import setup_logging
from .plugin import command_name
from .scaffold import new_config, new_plugin, plugin_names
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


def _console(stderr: bool = False) -> Console:
    """A console that never cuts or wraps lines when the output is not a terminal (a
    pipe, a file, a CI log): rich would otherwise lay everything out in 80 columns."""
    if (sys.stderr if stderr else sys.stdout).isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=100_000, soft_wrap=True)


def _notes(cfg: TangramConfig) -> int:
    """Print what a user should know before anything runs; returns the problem count."""
    err = _console(stderr=True)
    if cfg.source is None:
        err.print(Text.assemble(("note: ", "cyan"), config_search_note(ENV_VAR, DEFAULT_FILE)))
    problems = [problem for problem in (unrelated_tangram(), web_app_problem()) if problem]
    for problem in problems:
        err.print(Text.assemble(("warning: ", "yellow"), problem))
    return len(problems)


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
    _notes(cfg)
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
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[column]) for column in COLUMNS))
    _console().print(table)
    err = _console(stderr=True)
    for info in result.infos:
        for error in (info.error, info.frontend_error):
            if error is not None:
                err.print(Text.assemble((info.name, "red"), f": {error}"))


COLUMNS = ("plugin", "distribution", "status", "frontend", "routers", "services", "commands")


def _row(info: PluginInfo) -> dict[str, Any]:
    plugin = info.plugin
    return {
        "plugin": info.name,
        "distribution": f"{info.distribution} {info.version}" if info.distribution else "-",
        "status": info.status,
        "frontend": _frontend_state(info),
        "routers": len(plugin.routers) if plugin else "-",
        "services": len(plugin.services) if plugin else "-",
        "commands": plugin.short_name if plugin is not None and plugin.commands else "-",
        "error": str(info.error) if info.error else None,
        "frontend_error": str(info.frontend_error) if info.frontend_error else None,
    }


def _frontend_state(info: PluginInfo) -> str:
    if info.plugin is None or info.plugin.frontend_path is None:
        return "-"
    return "MISSING" if info.frontend_error is not None else "yes"


@app.command()
def check(config: ConfigOption = None) -> None:
    """Validate the configuration and load the enabled plugins, without serving.

    Exits 1 if anything is wrong, unknown keys (likely typos) included."""
    setup_logging("CRITICAL")  # every problem is printed below, once
    cfg = load_config(config)
    noted = _notes(cfg)
    result = load_plugins(cfg)
    out, err = _console(), _console(stderr=True)
    for info in result.infos:
        if info.enabled:
            if info.status != "loaded":
                mark = Text("FAILED", "red")
            elif info.frontend_error is not None:
                mark = Text("FRONTEND MISSING", "red")
            else:
                mark = Text("ok", "green")
            out.print(mark.append(f" plugin {info.name}", ""))
        for error in (info.error, info.frontend_error):
            if error is not None:
                err.print(Text.assemble(("error: ", "bold red"), str(error)))
    for warning in cfg.warnings:
        err.print(Text.assemble(("warning: ", "yellow"), warning))
    problems = len(result.errors) + len(cfg.warnings) + noted
    if problems:
        raise TangramError(f"{problems} problem(s) found, see above")
    out.print(Text("ok", "green").append(f" {cfg.source_name}", ""))


app.command("frontend-sdk")(frontend_sdk)


@app.command("new-plugin")
def new_plugin_command(
    name: Annotated[str, typer.Argument(help="The plugin's name, e.g. my_feed.")],
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to create the NAME folder.", file_okay=False)
    ] = Path("."),
) -> None:
    """Start a plugin project: pyproject, router, service, widget, test, README."""
    target = new_plugin(name, folder)
    module = plugin_names(name)["@MODULE@"]
    typer.echo(
        f"created {target}: a plugin {module!r} (route, service, widget, test).\n"
        f"Next, in the environment that has tangram:\n"
        f'  pip install -e "{target}[test]"\n'
        f"  cd {target} && tangram serve      # tangram.toml there enables {module}\n"
        f'Elsewhere, enable it with plugins = ["{module}"] under [core].'
    )


@app.command("new-config")
def new_config_command(
    path: Annotated[Path, typer.Argument(help="File to write.", dir_okay=False)] = Path(
        DEFAULT_FILE
    ),
) -> None:
    """Write a commented tangram.toml (never over an existing file)."""
    typer.echo(f"created {new_config(path)}; check it with `tangram check`")


def _mount_plugin_commands(argv: list[str]) -> None:
    """Mount ``Plugin(commands=...)`` sub-apps; only the plugin named on the command line
    is imported, unless help is asked for (then every installed plugin is)."""
    builtin = {"serve", "list-plugins", "check", "frontend-sdk", "new-plugin", "new-config"}
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
        _console(stderr=True).print(Text.assemble(("error: ", "bold red"), str(exc)))
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
