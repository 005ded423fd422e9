"""A synthetic receiver for the jet1090 benchmark: Beast frames over TCP.

Real frames of the AFR34ZG sample flight, re-addressed to a fleet of aircraft (the
address and the parity are rewritten, so they decode and pass the CRC checks), served
by a local TCP server at a fixed rate or as fast as the reader takes them. Each batch
carries its send time in the Beast 12 MHz counter field (microseconds, modulo 2**48),
so the consumer can date what it reads and the staleness covers the socket backlog.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from pathlib import Path

import orjson
from tangram_jet1090.receivers.crc import residual

SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/traffic-2.13/full_flight_short.jsonl.gz"
TICKS_MOD = 1 << 48


def sample_frames() -> list[bytes]:
    frames = []
    with gzip.open(SAMPLE, "rb") as lines:
        for line in lines:
            msg = orjson.loads(line)
            payload = bytes.fromhex(msg["frame"])
            frames.append(payload[:7] if int(msg["df"]) < 16 else payload)
    return frames


def readdress(payload: bytes, icao: int) -> bytes:
    """The same frame from aircraft ``icao``, with a valid parity."""
    df = payload[0] >> 3
    body = bytearray(payload)
    body[-3:] = b"\x00\x00\x00"
    if df in (17, 18, 11):
        body[1:4] = icao.to_bytes(3, "big")
        return bytes(body[:-3]) + residual(bytes(body)).to_bytes(3, "big")
    # address/parity: the parity is the CRC XORed with the address
    return bytes(body[:-3]) + (residual(bytes(body)) ^ icao).to_bytes(3, "big")


def fleet_stream(aircraft: int, rounds: int = 60) -> list[bytes]:
    """Escaped Beast frame tails (signal byte + payload), interleaved over the fleet:
    aircraft ``k`` replays the sample from its own offset."""
    frames = sample_frames()
    out = []
    step = max(1, (len(frames) - rounds) // aircraft)
    for r in range(rounds):
        for k in range(aircraft):
            payload = readdress(frames[(k * step + r) % len(frames)], 0x400000 + k * 37)
            kind = b"2" if len(payload) == 7 else b"3"
            out.append(kind + (b"\x5a" + payload).replace(b"\x1a", b"\x1a\x1a"))
    return out


def stamp(now: float) -> bytes:
    ticks = int(now * 1e6) % TICKS_MOD
    return ticks.to_bytes(6, "big").replace(b"\x1a", b"\x1a\x1a")


def sent_time(data: bytes, now: float) -> float:
    """The send time stamped in the first frame of ``data`` (``now`` if unreadable)."""
    i = data.find(b"\x1a3")
    j = data.find(b"\x1a2")
    i = j if i < 0 or (0 <= j < i) else i
    raw = data[i + 2 : i + 8] if i >= 0 else b""
    if len(raw) < 6 or b"\x1a" in raw:
        return now
    now_us = int(now * 1e6)
    return (now_us - (now_us - int.from_bytes(raw, "big")) % TICKS_MOD) / 1e6


class BeastServer:
    """Serve ``stream`` to the first client, at ``rate`` frames/s (None: at once)."""

    def __init__(self, stream: list[bytes]) -> None:
        self.stream = stream
        self.position = 0
        self.bytes_sent = 0
        self.connected = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None

    async def start(self) -> int:
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.server = server
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.connected.set()

    async def send(self, rate: float | None, seconds: float, batch: int = 500) -> int:
        """Send for ``seconds``; returns frames sent. Writes wait for the reader (TCP
        back-pressure), so at "max" the rate is what the consumer sustains."""
        assert self.writer is not None
        stream, n, sent = self.stream, len(self.stream), 0
        start = time.perf_counter()
        while (now := time.perf_counter()) - start < seconds:
            if rate is not None:
                ahead = start + sent / rate - now
                if ahead > 0:
                    await asyncio.sleep(ahead)
            head = b"\x1a"
            ticks = stamp(time.time())
            chunk = []
            for _ in range(batch):
                tail = stream[self.position % n]
                chunk.append(head + tail[:1] + ticks + tail[1:])
                self.position += 1
            data = b"".join(chunk)
            self.bytes_sent += len(data)
            self.writer.write(data)
            await self.writer.drain()
            sent += batch
        return sent
