"""The Redis side of the benchmark, run as a separate process so that it does not share
the WebSocket clients' interpreter lock.

``publish``: PUBLISH ``count`` benchmark payloads to one channel, at a fixed rate (one
pipeline per 5 ms tick carrying every message that is due) or as fast as possible
(pipelines of ``--batch``). Each payload embeds its sequence number and
``time.time_ns()`` taken just before its pipeline is sent.

``subscribe``: SUBSCRIBE to one channel, print ``ready``, then count the ingress payloads
``{"a":SEQ,"b":TIME_NS,"c":CLIENT}`` per client until all are in or the line goes quiet.

Each prints one JSON line with its results on stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import time
from urllib.parse import urlsplit

import redis

__all__ = ["main", "payload"]

INGRESS_RE = re.compile(rb'\{"a":(\d+),"b":(\d+),"c":(\d+)')


def payload(seq: int, pad: bytes) -> bytes:
    """Compact JSON with sorted keys, so re-serialising gateways keep it byte for byte."""
    return b'{"a":%d,"b":%d,"c":"%s"}' % (seq, time.time_ns(), pad)


def publish(url: str, channel: str, count: int, rate: float, pad_bytes: int, batch: int) -> None:
    client = redis.Redis.from_url(url)
    client.ping()
    pad = b"x" * pad_bytes
    receivers: list[int] = []
    start = time.perf_counter()
    first_ns = time.time_ns()
    seq = 0
    while seq < count:
        if rate > 0:
            # Catch up to where the schedule says we should be; never burst past it.
            due = min(count, int((time.perf_counter() - start) * rate) + 1)
            if due <= seq:
                time.sleep(0.005)
                continue
            upto = due
        else:
            upto = min(count, seq + batch)
        pipe = client.pipeline(transaction=False)
        for i in range(seq, upto):
            pipe.publish(channel, payload(i, pad))
        receivers.extend(pipe.execute())
        seq = upto
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "published": seq,
                "seconds": elapsed,
                "rate": seq / elapsed if elapsed else 0.0,
                "first_ns": first_ns,
                "last_ns": time.time_ns(),
                # PUBLISH returns how many Redis subscribers got it: 0 means the gateway
                # was not subscribed yet and the message was lost before it.
                "unreceived_by_gateway": sum(1 for r in receivers if r == 0),
            }
        ),
        flush=True,
    )
    client.close()


def subscribe(url: str, channel: str, clients: int, per_client: int, quiet_secs: float) -> None:
    # A raw RESP socket rather than redis-py: at 10,000+ messages/s redis-py's
    # per-message overhead made this process the bottleneck and inflated latencies.
    # Pushed messages are scanned in bulk with one regular expression per TCP chunk.
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))
    name = channel.encode()
    sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(name), name))
    confirmation = b""
    while confirmation.count(b"\r\n") < 6:  # *3, $9, subscribe, $N, channel, :1
        confirmation += sock.recv(4096)
    print("ready", flush=True)
    sock.settimeout(0.5)
    seen = [bytearray(per_client) for _ in range(clients)]
    latencies: list[int] = []
    arrivals: list[int] = []
    received = duplicates = foreign = 0
    expected = clients * per_client
    last = time.monotonic()
    first_ns = last_ns = 0
    tail = b""
    # A hard cap on the wait keeps a broken gateway from hanging the run.
    hard_stop = time.monotonic() + 600
    while received < expected and time.monotonic() < hard_stop:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            if received and time.monotonic() - last > quiet_secs:
                break
            continue
        if not chunk:
            break
        now = time.time_ns()
        last = time.monotonic()
        # Payloads contain no CRLF: everything up to the last CRLF holds whole messages.
        data = tail + chunk
        cut = data.rfind(b"\r\n") + 2
        data, tail = data[:cut], data[cut:]
        for m in INGRESS_RE.finditer(data):
            seq, sent, who = int(m[1]), int(m[2]), int(m[3])
            latencies.append(now - sent)
            arrivals.append(now)
            if who >= clients or seq >= per_client:
                foreign += 1
            elif seen[who][seq]:
                duplicates += 1
            else:
                seen[who][seq] = 1
                received += 1
        first_ns = first_ns or now
        last_ns = now
    # Worst latency per second of arrival: shows whether a tail is a stall or steady.
    worst: dict[int, int] = {}
    for at, lat in zip(arrivals, latencies, strict=True):
        second = (at - first_ns) // 1_000_000_000
        worst[second] = max(worst.get(second, 0), lat)
    latencies.sort()
    print(
        json.dumps(
            {
                "received": received,
                "duplicates": duplicates,
                "foreign": foreign,
                "first_ns": first_ns,
                "last_ns": last_ns,
                "latencies": latencies,
                "max_ms_by_second": [round(worst[k] / 1e6, 1) for k in sorted(worst)],
            }
        ),
        flush=True,
    )
    sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    pub = sub.add_parser("publish")
    pub.add_argument("--url", required=True)
    pub.add_argument("--channel", required=True)
    pub.add_argument("--count", type=int, required=True)
    pub.add_argument("--rate", type=float, default=0.0, help="msg/s; 0 = as fast as possible")
    pub.add_argument("--pad", type=int, default=64)
    pub.add_argument("--batch", type=int, default=500)
    subs = sub.add_parser("subscribe")
    subs.add_argument("--url", required=True)
    subs.add_argument("--channel", required=True)
    subs.add_argument("--clients", type=int, required=True)
    subs.add_argument("--per-client", type=int, required=True)
    subs.add_argument("--quiet", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.mode == "publish":
        publish(args.url, args.channel, args.count, args.rate, args.pad, args.batch)
    else:
        subscribe(args.url, args.channel, args.clients, args.per_client, args.quiet)


if __name__ == "__main__":
    main()
