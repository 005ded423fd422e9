"""Hostile request heads against a real ``tangram serve``: does the server stay responsive?

Usage (from the repository root)::

    .venv/bin/python benchmarks/http_heads.py [--attackers 4] [--seconds 10]

Starts a private ``redis-server`` and ``tangram serve`` (the ``crashy`` test plugin's
heartbeat service on the same event loop), then measures ``/manifest.json`` latency,
heartbeat rate, serve's CPU and RSS: first quietly, then while ``--attackers``
connections each stream an endless header as fast as they can (reconnecting whenever
the server closes them). Prints one line per phase, and how many connections the server
closed. Numbers, not assertions (see tests/test_http_limits.py for those).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import redis

from tangram.testing import start_redis, start_tangram


def attacker(port: int, stop: threading.Event, sent_per_connection: list[int]) -> None:
    chunk = b"a" * 65536
    while not stop.is_set():
        sent = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /manifest.json HTTP/1.1\r\nhost: x\r\nx-endless: ")
                while not stop.is_set():
                    sock.sendall(chunk)
                    sent += len(chunk)
        except OSError:
            pass
        sent_per_connection.append(sent)


def phase(name: str, url: str, heartbeat: redis.Redis, proc: psutil.Process, secs: float) -> None:
    latencies = []
    beats = int(heartbeat.get("crashy:heartbeats") or 0)
    proc.cpu_percent()
    deadline = time.monotonic() + secs
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            client.get(f"{url}/manifest.json")
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
    rate = (int(heartbeat.get("crashy:heartbeats") or 0) - beats) / secs
    print(
        f"{name:8} manifest p50 {statistics.median(latencies):7.1f} ms  max "
        f"{max(latencies):7.1f} ms  heartbeats {rate:5.1f}/s  serve CPU "
        f"{proc.cpu_percent():5.1f}%  RSS {proc.memory_info().rss / 2**20:6.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with start_redis() as redis_server, tempfile.TemporaryDirectory() as tmp:
        served = start_tangram(
            f'[core]\nredis_url = "{redis_server.url}"\nplugins = ["crashy"]\n'
            "[channel]\nenabled = false\n",
            Path(tmp),
        )
        try:
            heartbeat = redis.Redis.from_url(redis_server.url)
            proc = psutil.Process(served.process.pid)
            phase("quiet", served.url, heartbeat, proc, args.seconds)
            stop, sent = threading.Event(), []
            threads = [
                threading.Thread(target=attacker, args=(served.http_port, stop, sent))
                for _ in range(args.attackers)
            ]
            for thread in threads:
                thread.start()
            phase("attacked", served.url, heartbeat, proc, args.seconds)
            stop.set()
            for thread in threads:
                thread.join()
            closed = [n for n in sent if n]
            print(
                f"{len(sent)} attacking connections, each closed by the server; most bytes one "
                f"wrote before that (kernel buffers included): {max(closed, default=0) / 1024:.0f}"
                " KiB"
            )
        finally:
            served.stop()


if __name__ == "__main__":
    main()
