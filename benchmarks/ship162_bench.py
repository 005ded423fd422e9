"""Benchmark the tangram_ship162 ingest path over TCP and UDP: sentences/s, CPU µs each.

A private redis-server and a real ``tangram serve`` with only tangram_ship162 (gateway
off) are started, with one streaming client whose box covers the whole feed (frames
every second) and the history on. This process plays the receiver: a pool of AIS
sentences for ``--ships`` vessels (positions of types 1 and 18, and a two-sentence
type 5 for one message in ten) is encoded once with pyais, then

- TCP: served to the plugin's ``tcp://`` source as fast as the socket takes them;
- UDP: sent to its ``udp://`` source in datagrams of ``--per-datagram`` lines, paced
  at ``--udp-rate`` sentences/s (datagrams beyond the socket buffer are lost: that
  is UDP, and the numbers say how many arrived).

For each, it reports the sentences the plugin counted per second of wall time, and
the serve process's CPU time (user + sys, all threads: decoding, streaming, SQLite)
per sentence. Goal: 20,000 sentences/s on one core.

Run:  .venv/bin/python benchmarks/ship162_bench.py [--ships 2000] [--sentences 200000]
"""

from __future__ import annotations

import argparse
import random
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson
import psutil
import redis

from tangram.testing import free_port, start_redis, start_tangram


def make_pool(ships: int, size: int) -> list[bytes]:
    from tangram_ship162.encode import position_lines, static_lines

    rng = random.Random(1)
    fleet = [(227_000_000 + n, rng.uniform(49, 51), rng.uniform(-2, 2)) for n in range(ships)]
    pool: list[bytes] = []
    seq = 0
    while len(pool) < size:
        mmsi, lat, lon = rng.choice(fleet)
        if rng.random() < 0.1:
            seq = seq % 9 + 1
            pool += static_lines(mmsi, f"SHIP {mmsi % 10000}", "FXYZ", "LE HAVRE", 70, seq_id=seq)
        else:
            lat, lon = lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01)
            pool += position_lines(mmsi, round(lat, 4), round(lon, 4), 12.0, rng.uniform(0, 359))
    return pool


def lines_seen(http: httpx.Client) -> int:
    stats = http.get("/ship162/stats").json()
    return int(stats["nmea"]["lines"])


def cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def tcp_server(port: int, lines: list[bytes], go: threading.Event) -> None:
    """Accept the plugin's connection; once ``go`` is set, send every line as fast as
    it reads."""
    payload = b"".join(line + b"\r\n" for line in lines)
    with socket.create_server(("127.0.0.1", port)) as server:
        conn, _ = server.accept()
        go.wait()
        with conn:
            conn.sendall(payload)
            time.sleep(1.0)


def measure(
    http: httpx.Client, proc: psutil.Process, before: int, expected: int
) -> tuple[int, float, float]:
    """Wait until the plugin stops counting; (lines, seconds, cpu seconds)."""
    start, cpu0 = time.monotonic(), cpu(proc)
    last, last_change = before, time.monotonic()
    while time.monotonic() - last_change < 5.0 and last - before < expected:
        time.sleep(0.05)
        seen = lines_seen(http)
        if seen != last:
            last, last_change = seen, time.monotonic()
    end = last_change if last - before < expected else time.monotonic()
    return last - before, end - start, cpu(proc) - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ships", type=int, default=2000)
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--per-datagram", type=int, default=1)
    parser.add_argument("--udp-rate", type=float, default=20_000)
    args = parser.parse_args()

    pool = make_pool(args.ships, 20_000)
    lines = (pool * (args.sentences // len(pool) + 1))[: args.sentences]
    tcp_port, udp_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp, start_redis() as redis_server:
        config = f"""
[core]
redis_url = "{redis_server.url}"
plugins = ["tangram_ship162"]
log_level = "WARNING"

[channel]
enabled = false

[plugins.tangram_ship162]
sources = ["tcp://127.0.0.1:{tcp_port}", "udp://127.0.0.1:{udp_port}"]
history_path = "{Path(tmp) / "ships.sqlite"}"
"""
        go = threading.Event()
        sender = threading.Thread(target=tcp_server, args=(tcp_port, lines, go))
        sender.start()
        served = start_tangram(config, Path(tmp))
        try:
            proc = psutil.Process(served.process.pid)
            bus = redis.Redis.from_url(redis_server.url)
            http = httpx.Client(base_url=served.url, timeout=10)
            # a browser whose box is the whole world (sent until the plugin listens)
            box = {
                "northEastLat": 90,
                "northEastLng": 180,
                "southWestLat": -90,
                "southWestLng": -180,
            }
            while "bench" not in http.get("/ship162/stats").json()["streaming_clients"]:
                bus.publish("from:streaming-bench:bound-box", orjson.dumps(box))
                time.sleep(0.2)
            print(f"{len(lines):,} sentences, {args.ships:,} ships, streaming and history on")

            while not http.get("/ship162/stats").json()["sources"][f"tcp://127.0.0.1:{tcp_port}"][
                "connected"
            ]:
                time.sleep(0.2)
            before = lines_seen(http)
            go.set()
            got, secs, cpu_s = measure(http, proc, before, len(lines))
            sender.join()
            print(
                f"TCP: {got:,}/{len(lines):,} sentences in {secs:.2f} s = {got / secs:,.0f}/s, "
                f"{cpu_s / max(got, 1) * 1e6:.1f} µs CPU each"
            )

            before = lines_seen(http)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            per = args.per_datagram
            interval = per / args.udp_rate
            cpu0, start = cpu(proc), time.monotonic()
            for n, i in enumerate(range(0, len(lines), per)):
                sock.sendto(b"\r\n".join(lines[i : i + per]), ("127.0.0.1", udp_port))
                ahead = start + (n + 1) * interval - time.monotonic()
                if ahead > 0.001:
                    time.sleep(ahead)
            got, _, _ = measure(http, proc, before, len(lines))
            secs, cpu_s = time.monotonic() - start, cpu(proc) - cpu0
            print(
                f"UDP ({per} line(s)/datagram, sent at {args.udp_rate:,.0f}/s): "
                f"{got:,}/{len(lines):,} arrived ({100 * got / len(lines):.1f} %) in {secs:.2f} s"
                f" = {got / secs:,.0f}/s, {cpu_s / max(got, 1) * 1e6:.1f} µs CPU each"
            )
            stats = http.get("/ship162/stats").json()
            print(
                f"plugin: {stats['ships']:,} ships, {stats['frames_sent']} frames, "
                f"{stats['history_points_written']:,} history points, "
                f"noise: {stats['nmea']['incomplete']} incomplete, "
                f"{stats['nmea']['invalid']} invalid"
            )
        finally:
            served.stop()
            problems = [
                line for line in served.log().splitlines() if "WARNING" in line or "ERROR" in line
            ]
            if problems:
                print("serve warnings (first 10):", *problems[:10], sep="\n  ")


if __name__ == "__main__":
    main()
