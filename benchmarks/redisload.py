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
import time
from typing import Any

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
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    pubsub.subscribe(channel)
    while pubsub.get_message(timeout=1.0) is None and not pubsub.subscribed:
        pass
    print("ready", flush=True)
    seen = [bytearray(per_client) for _ in range(clients)]
    latencies: list[int] = []
    received = duplicates = foreign = 0
    expected = clients * per_client
    last = time.monotonic()
    first_ns = last_ns = 0
    # A hard cap on the wait keeps a broken gateway from hanging the run.
    hard_stop = time.monotonic() + 600
    while received < expected and time.monotonic() < hard_stop:
        msg: dict[str, Any] | None = pubsub.get_message(timeout=0.5)
        now = time.time_ns()
        if msg is None:
            if received and time.monotonic() - last > quiet_secs:
                break
            continue
        last = time.monotonic()
        m = INGRESS_RE.search(msg["data"])
        if m is None:
            foreign += 1
            continue
        seq, sent, who = int(m[1]), int(m[2]), int(m[3])
        latencies.append(now - sent)
        first_ns = first_ns or now
        last_ns = now
        if who >= clients or seq >= per_client:
            foreign += 1
        elif seen[who][seq]:
            duplicates += 1
        else:
            seen[who][seq] = 1
            received += 1
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
            }
        ),
        flush=True,
    )
    client.close()


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
