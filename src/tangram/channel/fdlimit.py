"""Open-file limits: raised where allowed, and said plainly when reached.

Every WebSocket holds one file descriptor, so a gateway process meant to hold
``[channel] max_connections`` sockets needs an open-files limit above that. At start
the soft limit is raised to the hard one (allowed without privileges); if it is still
too low for ``max_connections``, a warning says so and the process bounds its
connections by what the limit allows, so that the extra ones get the usual 503 and
its throttled log line (uvloop would otherwise accept and close them silently).
Should ``accept()`` still fail for want of descriptors (EMFILE/ENFILE) under the
plain asyncio loop, its report becomes one throttled log line too.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from .limits import LogThrottle

__all__ = ["FD_RESERVE", "handle_fd_exhaustion", "raise_fd_limit"]

log = logging.getLogger(__name__)

#: Descriptors kept for everything but client sockets (Redis links, logs, listeners).
FD_RESERVE = 64

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]


def raise_fd_limit(max_connections: int) -> tuple[int | None, int]:
    """Raise the soft open-files limit to the hard one; returns the limit in force
    (None where unknown) and the connections it allows (``max_connections`` at most).
    Warns when it cannot hold ``max_connections`` sockets."""
    if resource is None:  # pragma: no cover - Windows
        return None, max_connections
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft != hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-files limit from %d to %d: %s", soft, wanted, exc)
    allowed = max_connections
    if soft < max_connections + FD_RESERVE:
        allowed = max(1, soft - FD_RESERVE)
        log.warning(
            "the open-files limit (%d) is below [channel] max_connections (%d) + %d;"
            " this process refuses (503) connections beyond %d; raise the hard limit"
            " (ulimit -Hn, LimitNOFILE= in a systemd unit) or add workers",
            soft,
            max_connections,
            FD_RESERVE,
            allowed,
        )
    return int(soft), allowed


def handle_fd_exhaustion(
    loop: asyncio.AbstractEventLoop, throttle: LogThrottle, connections: Any, limit: int | None
) -> None:
    """Install a loop exception handler logging EMFILE/ENFILE as one clear line."""
    fallback = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
            which = "this process's" if exc.errno == errno.EMFILE else "the system's"
            throttle.warning(
                "fd_limit",
                "cannot accept connections: %s open-files limit (%s) is reached with %d"
                " connections open; raise the limit (ulimit -n) or add workers",
                which,
                limit if limit is not None else "?",
                len(connections),
            )
            return
        if fallback is not None:
            fallback(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
