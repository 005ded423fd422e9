"""Benchmark scenarios about many connections: the join storm and idle connections.

- ``joinstorm``: N clients connect, then all send their join at once (the web app's
  ``system`` topic after a gateway restart). Measures the time until every client has
  its ok reply and its ``presence_state``, the frames each client received meanwhile,
  the gateway's CPU, and whether one broadcast published right after reaches all.
- ``idle``: clients connect and join in steps (1k, 5k, 10k, ...) and stay idle; the
  gateway's memory (RSS of the process and its children) is read at each step.

The Rust anchor sends no presence, so for it "joined" means the ok reply only.
"""

from __future__ import annotations

import asyncio
import resource
import time
from array import array
from typing import Any

import httpx
import psutil
import redis.asyncio as aioredis
from gateways import Gateway, cpu_seconds
from redisload import payload
from wsload import OP_TEXT, BenchClient

__all__ = ["StormClient", "idle", "join_storm"]


class StormClient(BenchClient):
    """A bench client that also counts its frames and notices its presence_state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frames = 0
        self.count_acks = True  # every frame through _frame, not the broadcast fast path
        self.got_state: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def _frame(self, opcode: int, frame: bytes, now: int) -> None:
        self.frames += 1
        if opcode == OP_TEXT and not self.got_state.done() and b'"presence_state"' in frame[:80]:
            self.got_state.set_result(None)
            return
        super()._frame(opcode, frame, now)


async def _tokens(gw: Gateway, topics: list[str]) -> list[str]:
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=30) as http:
        gate = asyncio.Semaphore(50)

        async def one(topic: str) -> str:
            async with gate:
                r = await http.post("/token", json={"channel": topic})
                r.raise_for_status()
                return str(r.json()["token"])

        return list(await asyncio.gather(*(one(t) for t in topics)))


async def _open(
    gw: Gateway, topics: list[str], start: int = 0, share: bool = False
) -> list[StormClient]:
    """Connect (upgrade, no join yet) one client per topic. ``share``: one token (one
    client id) per distinct topic, as many tabs of one browser; minting is slow."""
    if share:
        distinct = sorted(set(topics))
        by_topic = dict(zip(distinct, await _tokens(gw, distinct), strict=True))
        tokens = [by_topic[t] for t in topics]
    else:
        tokens = await _tokens(gw, topics)
    loop = asyncio.get_running_loop()
    latencies: array[int] = array("q")
    gate = asyncio.Semaphore(100)  # below the listen backlog

    async def one(i: int) -> StormClient:
        async with gate:
            _, proto = await loop.create_connection(
                lambda: StormClient(
                    start + i, gw.host, gw.port, tokens[i], topics[i], 1, latencies
                ),
                gw.host,
                gw.port,
            )
            await asyncio.wait_for(proto.upgraded, 30)
            return proto

    return list(await asyncio.gather(*(one(i) for i in range(len(topics)))))


def _rss(ps: psutil.Process) -> int:
    total = 0
    for p in [ps, *ps.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


async def _wait_all(futures: list[asyncio.Future[Any]], timeout: float) -> int:
    """How many of ``futures`` completed within ``timeout`` s."""
    if futures:
        await asyncio.wait(futures, timeout=timeout)
    return sum(1 for f in futures if f.done())


async def join_storm(gw: Gateway, n: int, redis_url: str, topic: str = "system") -> dict[str, Any]:
    clients = await _open(gw, [topic] * n)
    await asyncio.sleep(0.5)
    cpu0, t0 = gw.cpu(), time.monotonic()
    for c in clients:
        c.join()
    presence = gw.name == "tangram"
    waits: list[asyncio.Future[Any]] = [c.joined for c in clients]
    if presence:
        waits += [c.got_state for c in clients]
    await _wait_all(waits, 120)
    elapsed = time.monotonic() - t0
    ok = sum(1 for c in clients if c.joined.done() and c.joined.result())
    states = sum(1 for c in clients if c.got_state.done())
    # The broadcast right after: does it reach everyone, and how fast?
    t1 = time.monotonic()
    redis = aioredis.from_url(redis_url)
    try:
        await redis.publish(f"to:{topic}:bench", payload(0, b"x" * 16))
    finally:
        await redis.aclose()
    deadline = t1 + 30
    while time.monotonic() < deadline and sum(c.received for c in clients) < n:
        await asyncio.sleep(0.02)
    reached = sum(c.received for c in clients)
    broadcast_s = time.monotonic() - t1
    await asyncio.sleep(0.3)
    cpu = gw.cpu() - cpu0
    # Every frame since the joins: reply, state, the merged diffs, the broadcast.
    frames = sum(c.frames for c in clients)
    for c in clients:
        c.close()
    await asyncio.sleep(1.0)
    return {
        "clients": n,
        "joined_ok": ok,
        "presence_states": states if presence else None,
        "all_joined_s": elapsed,
        "frames_per_client": frames / n,
        "broadcast_reached": reached,
        "broadcast_s": broadcast_s,
        "gateway_cpu_s": cpu,
        "closed_early": sum(1 for c in clients if c.closed_early and c.close_reason != "eof"),
    }


async def idle(gw: Gateway, steps: list[int], per_topic: int = 100) -> list[dict[str, Any]]:
    """Memory per idle joined connection at each of ``steps`` (cumulative counts)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    await asyncio.sleep(0.5)
    base = _rss(gw.ps)
    clients: list[StormClient] = []
    rows = []
    for target in steps:
        topics = [f"idle-{i // per_topic}" for i in range(len(clients), target)]
        try:
            fresh = await _open(gw, topics, len(clients), share=True)
        except (OSError, asyncio.TimeoutError, ConnectionError) as exc:
            rows.append({"clients": target, "error": repr(exc)})
            break
        for c in fresh:
            c.join()
        joined = await _wait_all([c.joined for c in fresh], 120)
        clients += fresh
        await asyncio.sleep(2.0)  # let allocations settle
        rss = _rss(gw.ps)
        rows.append(
            {
                "clients": len(clients),
                "joined_now": joined,
                "gateway_rss_mib": rss / 2**20,
                "baseline_rss_mib": base / 2**20,
                "kib_per_conn": (rss - base) / 1024 / len(clients),
                "gateway_cpu_s": cpu_seconds(gw.ps),
            }
        )
    for c in clients:
        c.close()
    await asyncio.sleep(2.0)
    return rows
