"""Logging set-up: rich output on a terminal, plain lines elsewhere, UTC timestamps always,
level from ``[core] log_level``. The channel worker processes use the same set-up.
Passwords in URLs are hidden in every line, whoever logs it (``redact_url``)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

from .redis_url import redact_url

__all__ = ["setup_logging"]

# Libraries that are chatty at INFO; their warnings still show.
_QUIET = ("httpx", "httpcore", "uvicorn.access", "websockets", "asyncio")


class _Redact(logging.Filter):
    """Replace the password of any URL in a record's message by ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_url(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class _UTCFormatter(logging.Formatter):
    """``2026-11-28T06:04:43.879Z INFO     tangram.serve: message``, one line per record
    (tracebacks follow on their own lines), for log files, pipes and journald."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


def _handler(prefix: str) -> logging.Handler:
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler
        from rich.text import Text

        def utc(moment: datetime) -> Text:
            stamp = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            return Text(stamp + "Z")

        handler: logging.Handler = RichHandler(
            console=Console(stderr=True),
            show_path=False,
            rich_tracebacks=True,
            log_time_format=utc,
            omit_repeated_times=False,
        )
        handler.setFormatter(logging.Formatter(f"{prefix}%(name)s: %(message)s"))
        return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _UTCFormatter(f"%(asctime)s %(levelname)-8s {prefix}%(name)s: %(message)s")
    )
    return handler


def setup_logging(level: str = "INFO", prefix: str = "") -> None:
    """Route every logger (ours, uvicorn's, plugins') through one handler on stderr.

    ``prefix`` marks lines of helper processes, e.g. ``"channel[1234] "``.
    """
    root = logging.getLogger()
    handler = _handler(prefix)
    handler.addFilter(_Redact())
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
