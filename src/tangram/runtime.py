"""``tangram.Runtime``: tangram started in-process, from a script or a notebook.

Everything ``tangram serve`` runs (Redis if needed, the channel gateway, the HTTP server,
plugins and services) runs on an event loop of its own in a background thread, so the
caller keeps control, and a notebook's own running loop is never touched::

    rt = tangram.Runtime("tangram.toml").start()
    rt.url          # http://127.0.0.1:2346
    rt.state        # the BackendState, as plugins see it
    rt.stop()       # frees the ports; no child process is left behind
"""

from __future__ import annotations

import asyncio
import atexit
import html
import logging
import os
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .config import TangramConfig, load_config, parse_config
from .errors import TangramError

if TYPE_CHECKING:
    from .serve import Started
    from .state import BackendState

__all__ = ["Runtime"]

T = TypeVar("T")

log = logging.getLogger(__name__)

#: How long start() waits for everything to come up, and stop() for it to go down.
START_TIMEOUT_SECS = 60.0
STOP_TIMEOUT_SECS = 30.0


class Runtime:
    """tangram running in the background of this process.

    :param config: a ``tangram.toml`` path, a :class:`~tangram.TangramConfig` (copied,
        never modified), or None for ``$TANGRAM_CONFIG``/``./tangram.toml``/defaults.
    """

    def __init__(self, config: str | os.PathLike[str] | TangramConfig | None = None) -> None:
        if isinstance(config, TangramConfig):
            # A copy, through the same checks and defaults as a file (the access key's
            # environment variable, the gateway's token key, the map style path).
            self.config = parse_config(config.model_dump(), source=config.source)
        else:
            self.config = load_config(config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: Started | None = None
        self._ready = threading.Event()
        #: stop() during start-up: serving ends as soon as it begins.
        self._stop_requested = threading.Event()
        self._error: BaseException | None = None
        self._url: str | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT_SECS) -> Runtime:
        """Start everything and return once the HTTP server answers; raises the usual
        :class:`~tangram.TangramError` (busy port, bad plugin...) if it cannot."""
        if self._thread is not None:
            raise TangramError("this Runtime is already started; create a new one to restart")
        self._ready.clear()
        self._stop_requested.clear()
        self._thread = threading.Thread(target=self._run, name="tangram-runtime", daemon=True)
        self._thread.start()
        try:
            ready = self._ready.wait(timeout)
        except BaseException:  # Ctrl+C (a notebook's interrupt) while starting
            self.stop()
            raise
        if not ready:
            self.stop()
            raise TangramError(f"tangram did not start within {timeout:g} s")
        if self._error is not None:
            error, self._error = self._error, None
            self._thread.join(STOP_TIMEOUT_SECS)
            self._thread = None
            raise error
        # A script that ends without stop() still stops in order (the children would
        # otherwise only get their parent-death signal).
        atexit.register(self.stop)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_SECS) -> None:
        """Stop in reverse order (services, HTTP server, channel, embedded Redis) and wait
        until the ports are free. Safe to call twice."""
        thread, loop, running = self._thread, self._loop, self._running
        if thread is None:
            return
        self._stop_requested.set()
        if loop is not None and running is not None and not loop.is_closed():

            def request_exit() -> None:
                running.server.should_exit = True

            try:
                loop.call_soon_threadsafe(request_exit)
            except RuntimeError:  # the loop closed meanwhile: nothing left to stop
                pass
        thread.join(timeout)
        atexit.unregister(self.stop)
        if thread.is_alive():
            raise TangramError(f"tangram did not stop within {timeout:g} s")
        self._thread = None
        self._running = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._running is not None

    # -- what callers use -----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The HTTP server's base URL (the web app, the API, ``/docs``)."""
        if self._url is None:
            raise TangramError("the Runtime is not started; call .start() first")
        return self._url

    @property
    def state(self) -> BackendState:
        """The server's :class:`~tangram.BackendState` (its Redis client belongs to the
        runtime's loop: use it through :meth:`call`, or open a client of your own on
        ``state.redis_url``)."""
        if self._running is None:
            raise TangramError("the Runtime is not started; call .start() first")
        return self._running.state

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run a coroutine on the runtime's loop (where ``state``'s clients live) and
        return its result."""
        if self._loop is None or not self.running:
            raise TangramError("the Runtime is not started; call .start() first")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- context managers and notebook display --------------------------------------------

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Runtime:
        # Start-up blocks on a thread; the caller's loop keeps running meanwhile.
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        where = self._url if self.running else "stopped"
        return f"<tangram.Runtime {where}>"

    def _repr_html_(self) -> str:
        if not self.running or self._url is None:
            return "<b>tangram</b>: stopped"
        url = html.escape(self._url, quote=True)
        return f'<b>tangram</b> running: <a href="{url}" target="_blank">open the map at {url}</a>'

    # -- the background thread ------------------------------------------------------------

    def _run(self) -> None:
        from .shutdown import run

        try:
            # As `tangram serve` does: leftover tasks get a bounded grace, and worker
            # threads that plugins left blocked are not waited for.
            run(self._main())
        except BaseException as exc:  # reported to start() when it happens there
            if not self._ready.is_set():
                self._error = exc
            else:
                log.exception("tangram runtime stopped with an error")
        finally:
            self._loop = None
            self._ready.set()

    async def _main(self) -> None:
        from .serve import started

        self._loop = asyncio.get_running_loop()

        async with started(self.config) as running:
            host, port = running.sock.getsockname()[:2]
            if host in ("0.0.0.0", "::", ""):
                host = "127.0.0.1"
            elif ":" in host:
                host = f"[{host}]"
            serving = asyncio.create_task(running.server.serve(sockets=[running.sock]))
            while not running.server.started and not serving.done():
                await asyncio.sleep(0.02)
            if self._stop_requested.is_set():
                running.server.should_exit = True
            if serving.done():
                serving.result()  # raises what made it fail
                raise TangramError("the HTTP server exited at start-up (see the log above)")
            self._url = f"http://{host}:{port}"
            self._running = running
            self._ready.set()
            await serving
        log.info("tangram runtime stopped")
