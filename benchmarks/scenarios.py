"""Benchmark scenarios: fan-out (Redis -> many sockets) and ingress (sockets -> Redis).

Each scenario connects its own clients to a running gateway, measures, closes them and
returns one flat result dict (see ``docs/bench-channel.md`` for what each field means).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis.asyncio as aioredis
from gateways import Gateway, cpu_seconds
from redisload import payload
from wsload import BenchClient

__all__ = ["Scenario", "percentiles", "run_scenario"]

HERE = Path(__file__).resolve().parent
REDISLOAD = str(HERE / "redisload.py")


@dataclass(frozen=True)
class Scenario:
    """What to run: ``kind`` is ``fanout`` or ``ingress``; ``rate`` 0 = as fast as possible.

    For fan-out ``messages`` is the number published (each goes to every client); for
    ingress it is the number each client pushes, at ``rate`` per client.
    """

    name: str
    kind: str
    clients: int
    messages: int
    rate: float
    pad: int = 64


def percentiles(values: array[int] | list[int]) -> dict[str, float]:
    """p50 / p99 / max in milliseconds (nan when there is nothing to measure)."""
    if not values:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ordered = sorted(values)
    n = len(ordered)
    return {
        "p50_ms": ordered[n // 2] / 1e6,
        "p99_ms": ordered[min(n - 1, (n * 99) // 100)] / 1e6,
        "max_ms": ordered[-1] / 1e6,
    }


async def _connect(
    gw: Gateway, topic: str, n: int, expected: int, latencies: array[int]
) -> list[BenchClient]:
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as http:
        tokens = []
        for _ in range(n):
            r = await http.post("/token", json={"channel": topic})  # the gateway draws ids
            r.raise_for_status()
            tokens.append(r.json()["token"])
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(20)  # keeps the accept backlog and join storm reasonable

    async def one(i: int) -> BenchClient:
        async with gate:
            _, proto = await loop.create_connection(
                lambda: BenchClient(i, gw.host, gw.port, tokens[i], topic, expected, latencies),
                gw.host,
                gw.port,
            )
            await asyncio.wait_for(proto.upgraded, 10)
            proto.join()
            if not await asyncio.wait_for(proto.joined, 10):
                raise RuntimeError(f"client {i}: join of {topic!r} failed ({proto.close_reason})")
            return proto

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def _heartbeats(clients: list[BenchClient]) -> None:
    # phoenix.js beats every 30 s; gateways may close sockets idle for 60 s.
    while True:
        await asyncio.sleep(20)
        for c in clients:
            c.heartbeat()


def _own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped helpers (publisher etc.)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


async def _drain(clients: list[BenchClient], per_client: int, quiet: float) -> None:
    """Wait until every client has everything, or nothing arrived for ``quiet`` s
    (and never more than 120 s: a trickle must not keep the run alive)."""
    last_total, last_change = -1, time.monotonic()
    deadline = last_change + 120
    while time.monotonic() < deadline:
        total = sum(c.received for c in clients)
        if total >= per_client * len(clients):
            return
        if total != last_total:
            last_total, last_change = total, time.monotonic()
        elif time.monotonic() - last_change > quiet:
            return
        await asyncio.sleep(0.05)


async def _fanout(gw: Gateway, sc: Scenario, redis_url: str, quiet: float) -> dict[str, Any]:
    topic = f"bench-{sc.name}"
    latencies: array[int] = array("q")
    # One extra sequence number for the liveness probe sent after the drain.
    clients = await _connect(gw, topic, sc.clients, sc.messages + 1, latencies)
    beat = asyncio.create_task(_heartbeats(clients))
    await asyncio.sleep(0.5)  # upstream subscribes its relays asynchronously after the reply
    return await _measure_fanout(gw, sc, redis_url, quiet, topic, latencies, clients, beat)


async def _measure_fanout(
    gw: Gateway,
    sc: Scenario,
    redis_url: str,
    quiet: float,
    topic: str,
    latencies: array[int],
    clients: list[BenchClient],
    beat: asyncio.Task[None],
) -> dict[str, Any]:
    gw_cpu0, own0 = gw.cpu(), _own_cpu()
    pub = await asyncio.create_subprocess_exec(
        sys.executable, REDISLOAD, "publish", "--url", redis_url,
        "--channel", f"to:{topic}:m", "--count", str(sc.messages),
        "--rate", str(sc.rate), "--pad", str(sc.pad),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await pub.communicate()
    published = json.loads(out)
    await _drain(clients, sc.messages, quiet)
    gw_cpu = gw.cpu() - gw_cpu0
    own = _own_cpu() - own0
    delivered = sum(c.received for c in clients)
    n_latencies = len(latencies)
    deaf = await _probe(clients, redis_url, f"to:{topic}:m", sc.messages)
    del latencies[n_latencies:]
    beat.cancel()
    dropped = [c for c in clients if c.closed_early]
    last_ns = max((c.last_ns for c in clients), default=0)
    window_s = (last_ns - published["first_ns"]) / 1e9 if last_ns else 0.0
    for c in clients:
        c.close()
    return {
        "sent": published["published"],
        "send_rate": published["rate"],
        "not_routed_by_redis": published["unreceived_by_gateway"],
        "expected": published["published"] * sc.clients,
        "delivered": delivered,
        "lost": published["published"] * sc.clients - delivered,
        "duplicates": sum(c.duplicates for c in clients),
        "dropped_clients": len(dropped),
        "deaf_clients": deaf,
        "close_reasons": sorted({c.close_reason for c in dropped}),
        **percentiles(latencies),
        "throughput": delivered / window_s if window_s > 0 else 0.0,
        "gateway_cpu_s": gw_cpu,
        "loadgen_cpu_s": own,
    }


async def _probe(clients: list[BenchClient], redis_url: str, channel: str, seq: int) -> int:
    """Clients still connected that do not receive a message published after the run.

    Such a socket is "joined but deaf": the failure the contract forbids, and what
    upstream's relay does after it lags (defect D12 in the upstream notes).
    """
    client = aioredis.from_url(redis_url)
    try:
        await client.publish(channel, payload(seq, b"probe"))
    finally:
        await client.aclose()
    alive = [c for c in clients if not c.closed_early]
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and not all(c.seen[seq] for c in alive):
        await asyncio.sleep(0.05)
    for c in alive:
        if c.seen[seq]:
            c.received -= 1  # the probe is not part of the measured run
    return sum(1 for c in alive if not c.seen[seq])


async def _ingress(gw: Gateway, sc: Scenario, redis_url: str, quiet: float) -> dict[str, Any]:
    topic = f"bench-{sc.name}"
    clients = await _connect(gw, topic, sc.clients, 0, array("q"))
    for c in clients:
        c.count_acks = True
    beat = asyncio.create_task(_heartbeats(clients))
    sub = await asyncio.create_subprocess_exec(
        sys.executable, REDISLOAD, "subscribe", "--url", redis_url,
        "--channel", f"from:{topic}:in", "--clients", str(sc.clients),
        "--per-client", str(sc.messages), "--quiet", str(quiet),
        stdout=asyncio.subprocess.PIPE, limit=2**26,
    )  # fmt: skip
    assert sub.stdout is not None
    if (await sub.stdout.readline()).strip() != b"ready":
        raise RuntimeError("ingress subscriber did not start")
    gw_cpu0, own0 = gw.cpu(), _own_cpu()
    start_ns, start = time.time_ns(), time.perf_counter()
    sent = 0
    template = b'["1","%d","' + topic.encode() + b'","in",{"a":%d,"b":%d,"c":%d}]'
    while sent < sc.messages:
        due = sc.messages if sc.rate <= 0 else int((time.perf_counter() - start) * sc.rate) + 1
        due = min(due, sc.messages, sent + 200)  # bounded batches keep the loop responsive
        if due <= sent:
            await asyncio.sleep(0.005)
            continue
        for seq in range(sent, due):
            now = time.time_ns()
            for c in clients:
                c.send_raw(template % (seq + 2, seq, now, c.index))
        sent = due
        await asyncio.sleep(0)
    send_s = time.perf_counter() - start
    out, _ = await sub.communicate()
    seen = json.loads(out)
    gw_cpu = gw.cpu() - gw_cpu0
    own = _own_cpu() - own0
    beat.cancel()
    dropped = [c for c in clients if c.closed_early]
    expected = sent * sc.clients
    window_s = (seen["last_ns"] - start_ns) / 1e9 if seen["last_ns"] else 0.0
    for c in clients:
        c.close()
    return {
        "sent": expected,
        "send_rate": expected / send_s if send_s else 0.0,
        "expected": expected,
        "delivered": seen["received"],
        "lost": expected - seen["received"],
        "duplicates": seen["duplicates"],
        "push_acks": sum(c.replies_ok for c in clients),
        "max_ms_by_second": seen["max_ms_by_second"],
        "dropped_clients": len(dropped),
        "close_reasons": sorted({c.close_reason for c in dropped}),
        **percentiles(seen["latencies"]),
        "throughput": seen["received"] / window_s if window_s > 0 else 0.0,
        "gateway_cpu_s": gw_cpu,
        "loadgen_cpu_s": own,
    }


async def run_scenario(
    gw: Gateway, sc: Scenario, redis_url: str, redis_ps: psutil.Process, quiet: float = 3.0
) -> dict[str, Any]:
    """Run one scenario against ``gw`` and return its flat result row."""
    redis0 = cpu_seconds(redis_ps)
    psutil.cpu_percent(None)  # starts the host-wide busy measurement
    load0 = os.getloadavg()[0]
    runner = _fanout if sc.kind == "fanout" else _ingress
    result = await runner(gw, sc, redis_url, quiet)
    delivered = result["delivered"]
    result.update(
        # This machine is shared: host-wide CPU busy % (all cores, 100 = every core busy)
        # and the 1-min load average tell how much else was running during the scenario.
        host_busy_pct=psutil.cpu_percent(None),
        host_load_1min=(load0, os.getloadavg()[0]),
        target=gw.name,
        scenario=sc.name,
        kind=sc.kind,
        clients=sc.clients,
        rate=sc.rate,
        pad=sc.pad,
        redis_cpu_s=cpu_seconds(redis_ps) - redis0,
        gateway_us_per_msg=result["gateway_cpu_s"] / delivered * 1e6 if delivered else None,
        gateway_alive=gw.alive(),
    )
    await asyncio.sleep(0.5)  # let the gateway tidy the closed sockets before the next run
    return result
