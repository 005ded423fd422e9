"""Worker-wide bounds that no single socket sees, without any I/O.

:class:`InboundBudget` bounds the inbound bytes one worker holds for all its sockets
together (incomplete frames, fragments of unfinished messages, messages held while
a join waits): ``[channel] max_pending_bytes``. :class:`LogThrottle` keeps a flood
(thousands of refused connections a second) to one log line per interval.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["InboundBudget", "LogThrottle"]


class InboundBudget:
    """Bytes held across a worker; a socket asking to grow past ``limit`` is refused."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def resize(self, before: int, after: int) -> bool:
        """Account one socket's change from ``before`` to ``after`` held bytes. False
        when it grew past the limit (the change is recorded anyway: the bytes are
        held until the caller lets them go)."""
        self.used += after - before
        return after <= before or self.used <= self.limit


class LogThrottle:
    """At most one line per ``key`` every ``interval`` seconds; the next line says how
    many were left out meanwhile. Keys are the gateway's own, never client input."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless ``key`` logged less than ``interval`` ago."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._skipped[key] = self._skipped.get(key, 0) + 1
            return False
        self._last[key] = now
        skipped = self._skipped.pop(key, 0)
        if skipped:
            message += " (and %d more like it in the last %g s)"
            args = (*args, skipped, self.interval)
        self.logger.warning(message, *args)
        return True
