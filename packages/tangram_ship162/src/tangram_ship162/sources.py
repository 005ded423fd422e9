"""NMEA over the network: ``tcp://HOST:PORT`` clients and ``udp://BIND:PORT`` listeners.

Both hand every complete line to a synchronous callback. A TCP source reconnects with
backoff forever (a receiver restarting is normal); a line longer than the limit is
cut off and counted as noise by the decoder; a UDP datagram may hold several lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tangram.redis import backoff_delays

from .nmea import MAX_LINE_BYTES

__all__ = ["UDP_BUFFER_BYTES", "LineHandler", "Source", "SourceState", "parse_source", "run_source"]

log = logging.getLogger(__name__)

#: Receive buffer asked for on UDP sockets.
UDP_BUFFER_BYTES = 4 << 20

#: ``on_line(line, source_name)``.
LineHandler = Callable[[bytes, str], None]


@dataclass(frozen=True)
class Source:
    scheme: str
    host: str
    port: int

    @property
    def name(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


@dataclass
class SourceState:
    connected: bool = False
    lines: int = 0
    datagrams: int = 0
    connects: int = 0
    last_error: str | None = None


def parse_source(value: str) -> Source:
    """``tcp://HOST:PORT`` or ``udp://BIND:PORT``; ValueError says what is expected."""
    hint = 'expected "tcp://HOST:PORT" or "udp://BIND:PORT", e.g. "udp://0.0.0.0:10110"'
    parts = urlsplit(value)
    if parts.scheme not in ("tcp", "udp"):
        raise ValueError(f"source {value!r}: unknown scheme {parts.scheme!r}; {hint}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ValueError(f"source {value!r}: a host and a port are needed; {hint}")
    return Source(parts.scheme, parts.hostname, port)


async def run_source(source: Source, on_line: LineHandler, state: SourceState) -> None:
    if source.scheme == "tcp":
        await _tcp(source, on_line, state)
    else:
        await _udp(source, on_line, state)


async def _tcp(source: Source, on_line: LineHandler, state: SourceState) -> None:
    delays = backoff_delays(first=0.5, cap=30.0)
    attempt = 0
    name = source.name
    while True:
        writer = None
        try:
            reader, writer = await asyncio.open_connection(
                source.host, source.port, limit=MAX_LINE_BYTES * 4
            )
            state.connected, attempt = True, 0
            state.connects += 1
            log.info("AIS source %s connected", name)
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.LimitOverrunError as exc:
                    # A line longer than any NMEA sentence: skip it, keep the stream.
                    junk = await reader.readexactly(exc.consumed)
                    on_line(junk[: MAX_LINE_BYTES + 1], name)
                    continue
                except asyncio.IncompleteReadError as exc:
                    if exc.partial:
                        on_line(exc.partial, name)
                    raise ConnectionError("the server closed the connection") from None
                state.lines += 1
                on_line(line, name)
        except (OSError, ConnectionError) as exc:
            if state.connected or attempt == 0:
                log.warning("AIS source %s: %s; reconnecting", name, exc)
            state.last_error = str(exc)
        finally:
            state.connected = False
            if writer is not None:
                writer.close()
        await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
        attempt += 1


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, source: Source, on_line: LineHandler, state: SourceState) -> None:
        self.name = source.name
        self.on_line = on_line
        self.state = state

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.state.datagrams += 1
        for line in data.splitlines():
            if line:
                self.state.lines += 1
                try:
                    self.on_line(line, self.name)
                except Exception:  # a handler bug must not close the socket
                    log.exception("AIS source %s: handler failed", self.name)


async def _udp(source: Source, on_line: LineHandler, state: SourceState) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Datagrams(source, on_line, state), local_addr=(source.host, source.port)
    )
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Receivers send in bursts: a larger buffer loses fewer datagrams (the kernel
        # caps it at net.core.rmem_max).
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER_BYTES)
    state.connected = True
    log.info("AIS source %s listening", source.name)
    try:
        await asyncio.Future()
    finally:
        state.connected = False
        transport.close()
