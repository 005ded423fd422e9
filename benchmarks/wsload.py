"""A lean Phoenix v2 WebSocket client for load generation.

Why hand-rolled: with 100 sockets receiving ~100,000 frames per second on a 2-core
machine, the load generator must not starve the gateway it measures. A full client
library spends tens of microseconds per frame; this one is an ``asyncio.Protocol``
that parses the (unmasked) server frames in one pass and recognises benchmark
payloads with a single regular expression, without decoding JSON.

Benchmark payloads are JSON objects whose keys are already sorted and compact
(``{"a":SEQ,"b":TIME_NS,"c":...}``), so they survive gateways that re-serialise
payloads (the upstream Rust gateway sorts keys) byte for byte.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import time
from array import array

from websockets.speedups import apply_mask

__all__ = ["DATA_RE", "BenchClient", "complete_frames", "encode_frame", "parse_frames"]

# Sequence number and publish time of a benchmark payload, wherever the frame puts it.
DATA_RE = re.compile(rb'\{"a":(\d+),"b":(\d+)')

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def encode_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """One final, masked client frame (RFC 6455 requires clients to mask)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + key + apply_mask(payload, key)


def parse_frames(buf: bytes) -> tuple[list[tuple[int, bytes]], int]:
    """Split ``buf`` into complete server frames; returns them and the bytes consumed.

    Only used by tests and slow paths; :class:`BenchClient` inlines the same loop.
    """
    frames: list[tuple[int, bytes]] = []
    pos, n = 0, len(buf)
    while n - pos >= 2:
        b1 = buf[pos + 1]
        length, hdr = b1 & 0x7F, 2
        if length == 126:
            if n - pos < 4:
                break
            length, hdr = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
        elif length == 127:
            if n - pos < 10:
                break
            length, hdr = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
        if b1 & 0x80:
            hdr += 4  # a masked server frame is a protocol error, but skip it cleanly
        end = pos + hdr + length
        if end > n:
            break
        frames.append((buf[pos] & 0x0F, buf[pos + hdr : end]))
        pos = end
    return frames, pos


def complete_frames(buf: bytes) -> tuple[int, bool]:
    """Bytes of ``buf`` holding whole frames, and whether all are final text frames."""
    pos, n, plain = 0, len(buf), True
    while n - pos >= 2:
        length = buf[pos + 1] & 0x7F
        if length < 126:
            end = pos + 2 + length
        elif length == 126:
            if n - pos < 4:
                break
            end = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
        else:
            if n - pos < 10:
                break
            end = pos + 10 + int.from_bytes(buf[pos + 2 : pos + 10], "big")
        if end > n:
            break
        if buf[pos] != 0x81:
            plain = False
        pos = end
    return pos, plain


class BenchClient(asyncio.Protocol):
    """One WebSocket, joined to one topic, counting benchmark payloads by sequence."""

    def __init__(
        self,
        index: int,
        host: str,
        port: int,
        token: str,
        topic: str,
        expected: int,
        latencies: array[int],
    ) -> None:
        self.index = index
        self.host, self.port, self.token, self.topic = host, port, token, topic
        self.seen = bytearray(expected)  # one flag per sequence number: loss and duplicates
        self.latencies = latencies  # shared by all clients, nanoseconds
        self.received = 0
        self.last_ns = 0  # receipt time of the latest benchmark payload
        self.duplicates = 0
        self.out_of_range = 0
        self.replies_ok = 0
        self.count_acks = False  # ingress: look at every reply frame
        self.replies_error = 0
        self.closed_early = False
        self.close_reason = ""
        self.transport: asyncio.Transport | None = None
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.joined: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._buf = b""
        self._ref = 1
        self._join_prefix = b'["1","1",'

    # -- connection --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses; same interface.
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()  # RFC 6455: 16 random bytes
        transport.write(  # type: ignore[attr-defined]
            (
                f"GET /websocket?vsn=2.0.0&userToken={self.token} HTTP/1.1\r\n"
                f"Host: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed_early = True
        if not self.close_reason:
            self.close_reason = repr(exc) if exc else "eof"
        if not self.upgraded.done():
            self.upgraded.set_exception(
                ConnectionError(f"client {self.index}: {self.close_reason}")
            )
        if not self.joined.done():
            self.joined.set_result(False)  # the caller reports close_reason

    # -- sending -----------------------------------------------------------------------
    def send_json(self, message: list[object]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(json.dumps(message, separators=(",", ":")).encode()))

    def send_raw(self, text: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(text))

    def join(self) -> None:
        self.send_json(["1", "1", self.topic, "phx_join", {"token": self.token}])

    def heartbeat(self) -> None:
        self._ref += 1
        self.send_json([None, f"h{self._ref}", "phoenix", "heartbeat", {}])

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(b"\x03\xe8", OP_CLOSE))
            self.transport.close()

    # -- receiving ---------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if not self.upgraded.done():
            self._buf += data
            head, sep, rest = self._buf.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.close_reason = head.split(b"\r\n", 1)[0].decode(errors="replace")
                self.upgraded.set_exception(ConnectionError(self.close_reason))
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded.set_result(None)
            self._buf = b""
            data = rest
            if not data:
                return
        buf = self._buf + data if self._buf else data
        now = time.time_ns()  # one clock read per TCP chunk keeps the per-frame cost low
        pos, plain = complete_frames(buf)
        region = buf[:pos] if pos < len(buf) else buf
        self._buf = buf[pos:]
        # Replies matter only while joining and when counting push acknowledgements;
        # presence frames and heartbeat replies are ignored, so the fast path skips them.
        if plain and self.joined.done() and not self.count_acks:
            self._count_bulk(region, now)
        else:
            for opcode, frame in parse_frames(region)[0]:
                self._frame(opcode, frame, now)

    def _count_bulk(self, region: bytes, now: int) -> None:
        """Fast path: only final text frames carrying broadcasts, matched in one pass.

        Frame headers are binary and benchmark payloads contain no frame boundary, so
        one regex scan over the whole region finds every payload: about 35 % cheaper per
        frame than slicing each frame out.
        """
        seen, lat_append, limit = self.seen, self.latencies.append, len(self.seen)
        matched = fresh = 0
        for m in DATA_RE.finditer(region):
            seq = int(m[1])
            lat_append(now - int(m[2]))
            matched += 1
            if seq >= limit:
                self.out_of_range += 1
            elif seen[seq]:
                self.duplicates += 1
            else:
                seen[seq] = 1
                fresh += 1
        if matched:
            self.received += fresh
            self.last_ns = now

    def _frame(self, opcode: int, frame: bytes, now: int) -> None:
        if opcode == OP_TEXT or opcode == OP_BINARY or opcode == OP_CONT:
            if DATA_RE.search(frame) is not None:
                self._count_bulk(frame, now)
            else:
                self._control(frame)
        elif opcode == OP_PING:
            self.send_raw_pong(frame)
        elif opcode == OP_CLOSE:
            code = int.from_bytes(frame[:2], "big") if len(frame) >= 2 else 1005
            self.close_reason = f"close {code} {frame[2:].decode(errors='replace')}"

    def send_raw_pong(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(payload, OP_PONG))

    def _control(self, frame: bytes) -> None:
        """Replies and presence frames: rare, so plain byte tests are enough."""
        if b'"phx_reply"' not in frame:
            return
        ok = b'"status":"ok"' in frame
        if frame.startswith(self._join_prefix) and not self.joined.done():
            self.joined.set_result(ok)
        elif frame.startswith(b"[null,"):
            pass  # heartbeat replies are not push acknowledgements
        elif ok:
            self.replies_ok += 1
        else:
            self.replies_error += 1
