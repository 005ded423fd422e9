"""Logging set-up: rich console output with UTC timestamps, level from ``[core] log_level``."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text

__all__ = ["setup_logging"]

# Libraries that are chatty at INFO; their warnings still show.
_QUIET = ("httpx", "httpcore", "uvicorn.access", "websockets", "asyncio")


def _utc(moment: datetime) -> Text:
    return Text(moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")


def setup_logging(level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's, plugins') through one rich handler on stderr."""
    logging.Formatter.converter = time.gmtime
    handler = RichHandler(
        console=_console(),
        show_path=False,
        rich_tracebacks=True,
        tracebacks_show_locals=False,
        log_time_format=_utc,
        omit_repeated_times=False,
    )
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _console() -> Console:
    # Log files and pipes get whole lines: wrapping at 80 columns makes them hard to grep.
    probe = Console(stderr=True)
    return probe if probe.is_terminal else Console(stderr=True, width=10_000, soft_wrap=True)
