"""Stopping within bounds: nothing tangram waits for at shutdown may wait forever.

Plugin code decides how long its clean-up takes, and some of it never ends: a service
that swallows ``CancelledError``, a lifespan whose exit hangs, a blocking call in a
worker thread. ``asyncio.run`` would wait for each of them without limit (it gathers
every leftover task, then joins the default executor's threads, and so does the
interpreter at exit). Here each wait has a limit, and what is still running after it is
named in the log and left behind.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

__all__ = ["EXIT_GRACE_SECS", "LEFTOVER_GRACE_SECS", "bounded", "exit_watchdog", "run"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Tasks still pending once ``main`` returned get this long after cancellation.
LEFTOVER_GRACE_SECS = 1.0
#: Then the interpreter's own exit (joining worker threads) gets this long.
EXIT_GRACE_SECS = 2.0


async def bounded(aw: Awaitable[T], timeout: float, what: str) -> T | None:
    """``await aw`` for at most ``timeout`` s; then cancel it, log, and return None
    without waiting for the cancellation to be honoured. Exceptions propagate."""
    task = asyncio.ensure_future(aw)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        log.warning("%s did not finish within %g s; not waiting for it", what, timeout)
        return None
    return task.result()


def run(main: Coroutine[Any, Any, None], *, leftover_grace: float = LEFTOVER_GRACE_SECS) -> None:
    """Like ``asyncio.run(main)`` (with the current event-loop policy, uvloop's when
    installed), but tasks left over after ``main`` get ``leftover_grace`` s, and the
    default executor's threads are not waited for (see :func:`exit_watchdog`)."""
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main)
    finally:
        try:
            _cancel_leftovers(loop, leftover_grace)
            loop.run_until_complete(bounded(loop.shutdown_asyncgens(), 1.0, "async generators"))
        finally:
            asyncio.set_event_loop(None)
            # close() shuts the default executor down without waiting for its threads.
            loop.close()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop, grace: float) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _, pending = loop.run_until_complete(asyncio.wait(tasks, timeout=grace))
    for task in pending:
        log.warning(
            "task %s ignored its cancellation for %g s; exiting without it", task.get_name(), grace
        )


def exit_watchdog(code: int, grace: float = EXIT_GRACE_SECS) -> None:
    """Exit with ``code`` anyway if the process is still alive ``grace`` s from now (the
    interpreter joining a stuck worker thread). For a command's very last step only."""

    def expire() -> None:
        stuck = [t.name for t in threading.enumerate() if not t.daemon and t.is_alive()]
        stuck = [name for name in stuck if name != "MainThread"] or ["?"]
        log.warning(
            "threads still running %g s after shutdown (%s); exiting without them",
            grace,
            ", ".join(stuck),
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(grace, expire)
    timer.daemon = True  # a normal exit does not wait for it
    timer.name = "tangram:exit-watchdog"
    timer.start()
