"""Benchmark the tangram_jet1090 ingest path: messages/s, CPU per message, staleness.

A private redis-server is started; a consumer subprocess runs the plugin runtime
(feed reader, state table, history in SQLite, streaming loop at 1 Hz) with one
streaming client whose viewport covers the whole feed. This process publishes a
synthetic but realistic jet1090 feed (many aircraft; ADS-B positions and velocities,
identification, DF4/DF5, flat and nested Comm-B) at increasing target rates and
reports, per step:

- ingested: messages/s the consumer actually processed;
- CPU/msg: consumer CPU time (user+sys) divided by messages processed;
- staleness: at each streamed frame, receive time minus the newest ``lastseen`` in
  it (the publisher stamps messages with the time it sends them), median and p95.
  It includes the up-to-1 s wait for the next frame.

With ``--feed beast`` the consumer reads a receiver instead: a local TCP server
(``beast_feed.py``) serves Beast frames (real frames re-addressed to the fleet) at each
rate and then as fast as the consumer takes them; the consumer parses, deduplicates,
decodes (rs1090, CPR) and applies them. CPU per message then covers the whole path from
the socket to the streamed frame.

Run:  .venv/bin/python benchmarks/jet1090_bench.py [--aircraft 3000] [--seconds 8] [--clients 1]
      .venv/bin/python benchmarks/jet1090_bench.py --feed beast [--rates 5000 20000 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import hiredis
import orjson
import redis.asyncio as aioredis

from tangram.testing import start_redis

CHANNEL = "jet1090"
CLIENT = "bench"


def load_average() -> str:
    """The machine's load, printed with every result (CPU time inflates under load)."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- consumer (subprocess) -----------------------------------------------------------


async def consume(
    redis_url: str, history: str, beast_port: int | None = None, keep_history: bool = True
) -> None:
    from tangram_jet1090.config import Jet1090Config
    from tangram_jet1090.runtime import Jet1090Runtime

    sources = [f"beast://127.0.0.1:{beast_port}"] if beast_port else []
    config = Jet1090Config(
        history_path=history,
        history_enabled=keep_history,
        aircraft_db_cache=history + ".none",
        sources=sources,
        reference="LFPG" if sources else None,
    )
    runtime = Jet1090Runtime(config, redis_url)
    await runtime.open()
    client = aioredis.Redis.from_url(redis_url)
    tasks = [
        asyncio.create_task(runtime.feed.run()),
        asyncio.create_task(runtime.stream_forever(client)),
        asyncio.create_task(runtime.history_forever()),
    ]
    hub = runtime.receivers
    if hub is not None:
        from beast_feed import sent_time

        # Date each read by the send time the server stamped in it, so that lastseen
        # (and the staleness) includes the time the bytes waited in the socket.
        for source in hub.sources:
            source.on_data = lambda src, data, now: hub.handle(src, data, sent_time(data, now))
        tasks.append(asyncio.create_task(runtime.receivers_forever(client)))
    await runtime.feed.subscribed.wait()
    gc.collect()  # as tangram serve does once started
    gc.freeze()
    while True:
        cpu = time.process_time()
        print(
            json.dumps(
                {
                    "bytes": sum(s.stats.bytes_read for s in hub.sources) if hub else 0,
                    "duplicates": hub.dedup.duplicates if hub else 0,
                    "received": runtime.stats.received,
                    "malformed": runtime.stats.malformed,
                    "cpu": cpu,
                    "aircraft": len(runtime.table),
                    "history": runtime.history.written if runtime.history else 0,
                    "reconnects": runtime.feed.reconnects,
                }
            ),
            flush=True,
        )
        await asyncio.sleep(0.5)
    for task in tasks:  # pragma: no cover - killed by the parent
        task.cancel()


# -- feed ------------------------------------------------------------------------------


def make_fleet(n: int) -> list[dict[str, Any]]:
    rng = random.Random(42)
    return [
        {
            "icao24": f"{rng.randrange(0x300000, 0x4FFFFF):06x}",
            "callsign": f"TST{i:04d}",
            "lat": rng.uniform(43, 51),
            "lon": rng.uniform(-4, 8),
            "alt": rng.randrange(-100, 39000, 25),
        }
        for i in range(n)
    ]


def message(aircraft: dict[str, Any], kind: int, ts: float) -> bytes:
    icao = aircraft["icao24"]
    aircraft["lat"] += 0.0005
    if kind < 4:  # positions dominate a real feed
        return orjson.dumps(
            {"timestamp": ts, "frame": "8d" + icao + "58c382d690c8ac2863a7", "df": "17",
             "icao24": icao, "bds": "05", "NUCp": 7, "altitude": aircraft["alt"],
             "source": "barometric", "parity": "even", "lat_cpr": 93000, "lon_cpr": 51372,
             "latitude": aircraft["lat"], "longitude": aircraft["lon"]}
        )  # fmt: skip
    if kind < 7:
        return orjson.dumps(
            {"timestamp": ts, "frame": "8d" + icao + "99440994083817", "df": "17",
             "icao24": icao, "bds": "09", "NACv": 1, "groundspeed": 420.5, "track": 87.3,
             "vrate_src": "barometric", "vertical_rate": -640, "geo_minus_baro": 250}
        )  # fmt: skip
    if kind == 7:
        return orjson.dumps(
            {"timestamp": ts, "frame": "8d" + icao + "20", "df": "17", "icao24": icao,
             "bds": "08", "wake_vortex": "n/a", "callsign": aircraft["callsign"]}
        )  # fmt: skip
    if kind == 8:
        return orjson.dumps(
            {"timestamp": ts, "frame": "2000171806a983", "df": "4", "icao24": icao,
             "altitude": aircraft["alt"]}
        )  # fmt: skip
    if kind == 9:
        return orjson.dumps(
            {"timestamp": ts, "frame": "a0001838ca3e51f0a8000047", "df": "20", "icao24": icao,
             "altitude": aircraft["alt"], "bds": "60", "heading": 42.1, "IAS": 250,
             "Mach": 0.42, "vrate_barometric": 0, "vrate_inertial": 32}
        )  # fmt: skip
    return orjson.dumps(
        {"timestamp": ts, "frame": "a8001838ca3e51f0a8000047", "df": "21", "icao24": icao,
         "squawk": "7421", "bds40": {"selected_altitude": 24000, "barometric_setting": 1013.2},
         "bds50": {"roll": 1.4, "track": 87.2, "groundspeed": 420, "tas": 400}}
    )  # fmt: skip


class RawPublisher:
    """PUBLISH pipelined over a raw socket: redis-py's per-command overhead would make
    the publisher, not the plugin, the bottleneck on a 2-core machine."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def connect(self) -> None:
        host, port = self.url.removeprefix("redis://").split("/")[0].split(":")
        self.reader, self.writer = await asyncio.open_connection(host, int(port))
        self.parser = hiredis.Reader()
        self.pending = 0

    #: Upstream tangram-jet1090 0.6 refuses messages without jet1090's ``metadata``.
    metadata = b""

    def publish(self, payload: bytes) -> None:
        if self.metadata:  # its system_timestamp dates (and expires) the aircraft
            payload = payload[:-1] + self.metadata % time.time()
        self.writer.write(b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
            len(CHANNEL), CHANNEL.encode(), len(payload), payload))  # fmt: skip
        self.pending += 1

    async def sync(self) -> None:
        await self.writer.drain()
        while self.pending:
            reply = self.parser.gets()
            if reply is False:
                self.parser.feed(await self.reader.read(65536))
            else:
                self.pending -= 1


async def publish_step(
    redis: RawPublisher,
    fleet: list[dict[str, Any]],
    rate: float | None,
    seconds: float,
    publishing: list[bool],
) -> int:
    """Publish for ``seconds`` at ``rate`` messages/s (None: as fast as possible)."""
    rng = random.Random(7)
    batch, sent = 500, 0
    publishing[0] = True
    start = time.perf_counter()
    while (now := time.perf_counter()) - start < seconds:
        if rate is not None:
            ahead = start + sent / rate - now
            if ahead > 0:
                await asyncio.sleep(ahead)
        ts = time.time()
        for _ in range(batch):
            redis.publish(message(rng.choice(fleet), rng.randrange(11), ts))
        await redis.sync()
        sent += batch
    publishing[0] = False
    return sent


async def watch_everything(redis: aioredis.Redis, client_id: str, ref: int) -> None:
    """Register a streaming client whose box covers the world, as the gateway and the
    browser would: the gateway's ``phx_join`` of the private topic ``streaming-<id>``,
    then the browser's ``bound-box`` push on that topic. (A ``bound-box`` on the shared
    ``system`` topic naming a ``connectionId`` is ignored since the gateway hardening:
    nobody vouches for that id, so such a client never gets a frame.)"""
    await redis.publish(
        f"from:streaming-{client_id}:phx_join",
        orjson.dumps({"id": client_id, "topic": f"streaming-{client_id}",
                      "phx_ref": f"bench-{ref}"}),
    )  # fmt: skip
    await redis.publish(
        f"from:streaming-{client_id}:bound-box",
        orjson.dumps({"northEastLat": 90, "northEastLng": 180,
                      "southWestLat": -90, "southWestLng": -180}),
    )  # fmt: skip


async def watch_frames(
    redis_url: str,
    staleness: list[float],
    publishing: list[bool],
    upstream: list[float] | None = None,
) -> None:
    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.subscribe(f"to:streaming-{CLIENT}:new-jet1090-data")
    async for item in pubsub.listen():
        if item["type"] != "message":
            continue
        received = time.time()
        frame = orjson.loads(item["data"])
        if frame["aircraft"] and publishing[0]:
            newest = max(a["lastseen"] for a in frame["aircraft"])
            if newest > 1e12:  # upstream's frames: lastseen in integer microseconds
                if upstream is not None:
                    upstream.append(received - newest / 1e6)
            else:
                staleness.append(received - newest)


async def bench(args: argparse.Namespace) -> None:
    with start_redis() as server, tempfile.TemporaryDirectory() as tmp:
        consumer = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--consumer",
                server.url,
                str(Path(tmp) / "h.sqlite"),
                *(["--no-history"] if args.no_history else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert consumer.stdout is not None
        latest: dict[str, Any] = {}

        async def read_consumer() -> None:
            loop = asyncio.get_running_loop()
            while line := await loop.run_in_executor(None, consumer.stdout.readline):  # type: ignore[union-attr]
                latest.update(json.loads(line))

        reader = asyncio.create_task(read_consumer())
        # Upstream tangram-jet1090 0.6.0 on the same Redis and the same feed, if asked.
        theirs: dict[str, Any] = {}
        rival = None
        if args.upstream:
            rival = subprocess.Popen(
                [args.upstream, str(Path(__file__).parent / "upstream_consumer.py"), server.url,
                 str(Path(tmp) / "empty.sqb")],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip

            async def read_rival() -> None:
                loop = asyncio.get_running_loop()
                while line := await loop.run_in_executor(None, rival.stdout.readline):  # type: ignore[union-attr]
                    theirs.update(json.loads(line))

            rival_reader = asyncio.create_task(read_rival())
        redis = aioredis.Redis.from_url(server.url)
        while not latest or (rival is not None and not theirs):
            await asyncio.sleep(0.1)
        # the measured client plus --clients - 1 others, all looking at the whole feed
        # (on each client's private topic, as the gateway would pass its pushes on)
        for i in range(args.clients):
            await watch_everything(redis, CLIENT if i == 0 else f"extra{i}", i)
        if rival is not None:
            # Upstream starts serving browsers only once its history registration gave
            # up (about 15 s without a history service): repeat the box until then.
            box = orjson.dumps({"connectionId": CLIENT, "northEastLat": 90,
                                "northEastLng": 180, "southWestLat": -90,
                                "southWestLng": -180})  # fmt: skip

            async def keep_box() -> None:
                while True:
                    await asyncio.sleep(3)
                    join = orjson.dumps({"connectionId": CLIENT})
                    await redis.publish("from:system:join-streaming", join)
                    await redis.publish("from:system:bound-box", box)

            boxer = asyncio.create_task(keep_box())
            await asyncio.sleep(20)
        staleness: list[float] = []
        upstream_staleness: list[float] = []
        publishing = [False]
        watcher = asyncio.create_task(
            watch_frames(server.url, staleness, publishing, upstream_staleness)
        )
        fleet = make_fleet(args.aircraft)
        raw = RawPublisher(server.url)
        if rival is not None:
            raw.metadata = (
                b',"metadata":[{"system_timestamp":%.6f,"gnss_timestamp":null,'
                b'"nanoseconds":null,"rssi":-10.0,"serial":1,"name":"bench"}]}'
            )
        await raw.connect()
        await publish_step(raw, fleet, 5000, 2, publishing)  # warm-up: every aircraft known
        await asyncio.sleep(1.5)
        print(
            f"{args.aircraft} aircraft, {args.seconds:g} s per step, "
            f"{args.clients} streaming client(s) seeing every aircraft"
            + (", no history" if args.no_history else "")
            + f"; {load_average()}"
        )
        print(f"{'target/s':>9} {'published/s':>12} {'ingested/s':>11} {'CPU µs/msg':>11} "
              f"{'stale p50':>10} {'stale p95':>10}")  # fmt: skip
        if rival is not None:
            print(f"{'':>9} {'':>12} {'':>11} upstream 0.6.0: {'CPU µs/msg':>11} "
                  f"{'stale p50':>10} {'stale p95':>10}")  # fmt: skip
        for rate in [*args.rates, None]:
            before = dict(latest)
            rival_before = dict(theirs)
            del staleness[:]
            del upstream_staleness[:]
            t0 = time.perf_counter()
            sent = await publish_step(raw, fleet, rate, args.seconds, publishing)
            elapsed = time.perf_counter() - t0
            # wait until the consumer has drained the step (or gives up on it)
            for _ in range(50):
                await asyncio.sleep(0.5)
                if latest["received"] - before["received"] >= sent:
                    break
            drained = time.perf_counter() - t0
            after = dict(latest)
            got = after["received"] - before["received"]
            cpu = after["cpu"] - before["cpu"]
            stale = sorted(staleness) or [float("nan")]
            print(
                f"{'max' if rate is None else rate:>9} {sent / elapsed:>12.0f} "
                f"{got / max(elapsed, drained - 0.5):>11.0f} {cpu / max(got, 1) * 1e6:>11.1f} "
                f"{statistics.median(stale):>9.2f}s {stale[int(len(stale) * 0.95)]:>9.2f}s"
                + ("" if got >= sent else f"  ({sent - got} lost)")
            )
            if rival is not None:
                # It has no message counter: CPU per message *published* (all of them,
                # if it kept up, which its staleness tells).
                cpu_up = theirs["cpu"] - rival_before["cpu"]
                up = sorted(upstream_staleness) or [float("nan")]
                print(
                    f"{'':>9} {'':>12} {'':>11} {'upstream':>15} {cpu_up / sent * 1e6:>11.1f} "
                    f"{statistics.median(up):>9.2f}s {up[int(len(up) * 0.95)]:>9.2f}s"
                )
        print(
            f"consumer: {latest['aircraft']} aircraft, {latest['history']} history points, "
            f"{latest['reconnects']} reconnects, {latest['malformed']} malformed; {load_average()}"
        )
        watcher.cancel()
        reader.cancel()
        await redis.aclose()
        consumer.terminate()
        consumer.wait()
        if rival is not None:
            boxer.cancel()
            rival_reader.cancel()
            rival.terminate()
            rival.wait()


async def bench_beast(args: argparse.Namespace) -> None:
    from beast_feed import BeastServer, fleet_stream

    stream = fleet_stream(args.aircraft, args.rounds)
    receiver = BeastServer(stream)
    port = await receiver.start()
    with start_redis() as server, tempfile.TemporaryDirectory() as tmp:
        consumer = subprocess.Popen(
            [sys.executable, __file__, "--consumer", server.url, str(Path(tmp) / "h.sqlite"),
             "--beast-port", str(port), *(["--no-history"] if args.no_history else [])],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert consumer.stdout is not None
        latest: dict[str, Any] = {}

        async def read_consumer() -> None:
            loop = asyncio.get_running_loop()
            while line := await loop.run_in_executor(None, consumer.stdout.readline):  # type: ignore[union-attr]
                latest.update(json.loads(line))

        reader = asyncio.create_task(read_consumer())
        redis = aioredis.Redis.from_url(server.url)
        await asyncio.wait_for(receiver.connected.wait(), timeout=30)
        while not latest:
            await asyncio.sleep(0.1)
        await watch_everything(redis, CLIENT, 0)
        staleness: list[float] = []
        publishing = [False]
        watcher = asyncio.create_task(watch_frames(server.url, staleness, publishing))
        await receiver.send(5000, 2)  # warm-up: every aircraft known
        await asyncio.sleep(1.5)
        print(f"Beast over TCP: {args.aircraft} aircraft, {args.seconds:g} s per step, "
              "1 streaming client seeing every aircraft"
              + (", no history" if args.no_history else "") + f"; {load_average()}")  # fmt: skip
        print(f"{'target/s':>9} {'frames/s':>9} {'decoded/s':>10} {'dup %':>6} "
              f"{'CPU µs/msg':>11} {'stale p50':>10} {'stale p95':>10}")  # fmt: skip
        for rate in [*args.rates, None]:
            before = dict(latest)
            del staleness[:]
            bytes_before = receiver.bytes_sent
            t0 = time.perf_counter()
            publishing[0] = True
            sent = await receiver.send(rate, args.seconds)
            publishing[0] = False
            elapsed = time.perf_counter() - t0
            for _ in range(50):
                await asyncio.sleep(0.5)
                if latest["bytes"] - before["bytes"] >= receiver.bytes_sent - bytes_before:
                    break
            drained = time.perf_counter() - t0
            after = dict(latest)
            got = after["received"] - before["received"]
            dups = after["duplicates"] - before["duplicates"]
            cpu = after["cpu"] - before["cpu"]
            stale = sorted(staleness) or [float("nan")]
            print(
                f"{'max' if rate is None else rate:>9} {sent / elapsed:>9.0f} "
                f"{got / max(elapsed, drained - 0.5):>10.0f} {dups / max(sent, 1) * 100:>5.1f}% "
                f"{cpu / max(got, 1) * 1e6:>11.1f} "
                f"{statistics.median(stale):>9.2f}s {stale[int(len(stale) * 0.95)]:>9.2f}s"
            )
        print(
            f"consumer: {latest['aircraft']} aircraft, {latest['history']} history points, "
            f"{latest['malformed']} malformed; {load_average()}"
        )
        watcher.cancel()
        reader.cancel()
        await redis.aclose()
        consumer.terminate()
        consumer.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aircraft", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=1, help="browsers streamed to")
    parser.add_argument("--rates", type=int, nargs="*", default=[5000, 10000, 20000, 40000])
    parser.add_argument(
        "--feed", choices=["redis", "beast"], default="redis",
        help="jet1090 JSON on Redis, or Beast frames from a receiver over TCP",
    )  # fmt: skip
    parser.add_argument(
        "--upstream", metavar="PYTHON",
        help="also run upstream tangram-jet1090 0.6.0 on the same feed, with this "
        "interpreter of its own venv (.bench/upstream/bin/python)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=60,
        help="Beast feed: frames per aircraft before the stream loops; at high rates a "
        "short loop comes back within the dedup window and its frames count once",
    )  # fmt: skip
    parser.add_argument(
        "--no-history", action="store_true",
        help="run our consumer without its SQLite history (as upstream runs here)",
    )  # fmt: skip
    parser.add_argument("--consumer", nargs=2, metavar=("REDIS_URL", "HISTORY"))
    parser.add_argument("--beast-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consumer:
        try:
            asyncio.run(
                consume(
                    *args.consumer, beast_port=args.beast_port, keep_history=not args.no_history
                )
            )
        except KeyboardInterrupt:
            pass
        return
    asyncio.run(bench_beast(args) if args.feed == "beast" else bench(args))


if __name__ == "__main__":
    main()
