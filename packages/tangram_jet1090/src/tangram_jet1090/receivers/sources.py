"""One TCP connection per receiver: ``beast://``, ``avr://`` or ``sbs://HOST:PORT``.

Each source reconnects on its own with backoff, so one unreachable, silent or
garbage-spewing receiver never affects the others. The log gets one line per change
of state (connected, lost, unreachable, silent), never one per retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tangram.redis import backoff_delays

__all__ = ["FORMATS", "READ_SIZE", "ReceiverSource", "ReceiverStats", "SourceUrl", "parse_source"]

log = logging.getLogger(__name__)

FORMATS = ("beast", "avr", "sbs")
#: Bytes read per wake-up: a burst is decoded in slices of about this size, so one
#: busy receiver cannot hold the event loop for long.
READ_SIZE = 32 * 1024
#: Seconds allowed for a TCP connection to open.
CONNECT_TIMEOUT = 10.0
#: Longest wait between two connection attempts.
BACKOFF_CAP = 30.0


@dataclass(frozen=True)
class SourceUrl:
    format: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.format}://{self.host}:{self.port}"


def parse_source(url: str) -> SourceUrl:
    """Raises ValueError saying what is wrong and what is expected."""
    expected = (
        "expected beast://HOST:PORT, avr://HOST:PORT or sbs://HOST:PORT "
        "(dump1090/readsb serve them on ports 30005, 30002 and 30003)"
    )
    parts = urlsplit(url.strip())
    if parts.scheme not in FORMATS:
        raise ValueError(f"{url!r}: unknown format {parts.scheme!r}; {expected}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r}: the port is not a number from 1 to 65535; {expected}") from None
    if not parts.hostname or not port or parts.path.strip("/") or parts.query:
        raise ValueError(f"{url!r}: needs a host and a port and nothing else; {expected}")
    return SourceUrl(parts.scheme, parts.hostname, port)


@dataclass
class ReceiverStats:
    url: str
    connected: bool = False
    #: "connecting", "connected", "unreachable", "lost", "silent"
    state: str = "connecting"
    #: Why the last connection failed or ended.
    reason: str | None = None
    #: Messages decoded from this receiver (duplicates of another receiver excluded).
    messages: int = 0
    #: Frames another receiver (or this one) delivered within the dedup window.
    duplicates: int = 0
    messages_per_sec: float = 0.0
    #: UNIX time of the last decoded message.
    last_message: float | None = None
    #: Skipped input, by kind (garbage_bytes, truncated, bad_lines, rejected, ...).
    errors: dict[str, int] = field(default_factory=dict)
    connects: int = 0
    bytes_read: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "connected": self.connected,
            "state": self.state,
            "reason": self.reason,
            "messages": self.messages,
            "duplicates": self.duplicates,
            "messages_per_sec": round(self.messages_per_sec, 1),
            "last_message": self.last_message,
            "errors": dict(self.errors),
            "connects": self.connects,
            "bytes_read": self.bytes_read,
        }


class ReceiverSource:
    """Connect to one receiver forever, handing each chunk read to ``on_data``."""

    def __init__(
        self,
        url: SourceUrl,
        on_data: Callable[[ReceiverSource, bytes, float], None],
        silence_secs: float,
        on_connect: Callable[[ReceiverSource], None] | None = None,
    ) -> None:
        self.url = url
        self.on_data = on_data
        self.on_connect = on_connect
        self.silence_secs = silence_secs
        self.stats = ReceiverStats(str(url))
        self._down_since: float | None = None

    async def run(self) -> None:
        delays = backoff_delays(first=0.5, cap=BACKOFF_CAP)
        attempt = 0
        while True:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.url.host, self.url.port),
                    timeout=CONNECT_TIMEOUT,
                )
            except (OSError, asyncio.TimeoutError) as exc:
                self._down("unreachable", _why(exc) or "connection timed out")
                await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
                attempt += 1
                continue
            self._connected()
            attempt = 0
            try:
                await self._pump(reader)
            except asyncio.TimeoutError:
                self._down("silent", f"nothing received for {self.silence_secs:g} s")
            except (OSError, ConnectionError) as exc:
                self._down("lost", _why(exc))
            finally:
                writer.close()
            await asyncio.sleep(delays[0])

    async def _pump(self, reader: asyncio.StreamReader) -> None:
        stats, on_data, silence = self.stats, self.on_data, self.silence_secs
        while True:
            data = await asyncio.wait_for(reader.read(READ_SIZE), timeout=silence)
            if not data:
                raise ConnectionError("closed by the receiver")
            stats.bytes_read += len(data)
            try:
                on_data(self, data, time.time())
            except Exception:  # a decoding bug must not cost the connection
                log.exception("receiver %s: failed to handle %d bytes", self.url, len(data))
                stats.errors["internal"] = stats.errors.get("internal", 0) + 1

    def _connected(self) -> None:
        stats = self.stats
        if self._down_since is not None:
            log.info(
                "receiver %s: connected again after %.0f s",
                self.url,
                time.time() - self._down_since,
            )
        else:
            log.info("receiver %s: connected", self.url)
        self._down_since = None
        stats.connected, stats.state, stats.reason = True, "connected", None
        stats.connects += 1
        if self.on_connect is not None:
            self.on_connect(self)

    def _down(self, state: str, reason: str) -> None:
        stats = self.stats
        if self._down_since is None or stats.state != state:
            # One line per change of state: retries in the same state stay quiet.
            log.warning(
                "receiver %s: %s (%s); retrying with backoff up to %g s",
                self.url,
                {"unreachable": "cannot connect", "lost": "connection lost"}.get(state, state),
                reason,
                BACKOFF_CAP,
            )
        if self._down_since is None:
            self._down_since = time.time()
        stats.connected, stats.state, stats.reason = False, state, reason


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
