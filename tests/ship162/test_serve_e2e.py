"""Ships against a real ``tangram serve``: NMEA over TCP and UDP, a browser's box
stream next to the aircraft, the trajectory endpoint and the real receiver sample."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from tangram_ship162.encode import position_lines, static_lines
from websockets.asyncio.client import ClientConnection, connect

from tangram.testing import RedisServer, TangramProcess, free_port

from .conftest import SAMPLE

WAIT = 20.0
#: Le Havre approach (inside the box) and off Brighton (outside it).
INSIDE = 227006760
OUTSIDE = 235012345
#: The Seine estuary and Paris: the ship at Le Havre and the AFR34ZG flight at CDG.
BOX = {"northEastLat": 50.0, "northEastLng": 3.5, "southWestLat": 48.0, "southWestLng": -0.5}
FLIGHT = Path(__file__).resolve().parents[2].parent / "shared/data/traffic-2.13"


def _config(redis_url: str, tmp_path: Path, tcp_port: int, udp_port: int) -> str:
    return f"""
[core]
redis_url = "{redis_url}"
plugins = ["tangram_jet1090", "tangram_ship162"]

[channel]
enabled = true
port = {{channel_port}}

[plugins.tangram_jet1090]
history_path = "{tmp_path / "aircraft.sqlite"}"
aircraft_db_cache = "{tmp_path / "none.sqb"}"
replay_file = "{FLIGHT / "full_flight_short.jsonl.gz"}"
replay_speed = 20
replay_loop = true

[plugins.tangram_ship162]
sources = ["tcp://127.0.0.1:{tcp_port}", "udp://127.0.0.1:{udp_port}"]
history_path = "{tmp_path / "ships.sqlite"}"
history_sample_secs = 0
"""


class Receiver:
    """An NMEA server such as AIS-catcher: sends whatever is queued to every client."""

    def __init__(self) -> None:
        self.writers: list[asyncio.StreamWriter] = []
        self.connected = asyncio.Event()

    async def serve(self, port: int) -> asyncio.Server:
        async def client(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.append(writer)
            self.connected.set()

        return await asyncio.start_server(client, "127.0.0.1", port)

    async def send(self, lines: list[bytes]) -> None:
        for writer in self.writers:
            writer.write(b"".join(line + b"\r\n" for line in lines))
            await writer.drain()


async def _until(http: httpx.AsyncClient, url: str, check: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        body = (await http.get(url)).json()
        if check(body):
            return body
        assert time.monotonic() < deadline, f"{url}: {body}"
        await asyncio.sleep(0.2)


async def _browser(gateway: str) -> tuple[ClientConnection, str, list[list[Any]]]:
    """Tokens, sockets and joins as the web app does them; frames collected."""
    async with httpx.AsyncClient(timeout=WAIT) as http:
        system = (await http.post(f"{gateway}/token", json={"channel": "system"})).json()
        proof = {"channel": f"streaming-{system['id']}", "token": system["token"]}
        streaming = (await http.post(f"{gateway}/token", json=proof)).json()
    ws = await connect(gateway.replace("http://", "ws://") + "/websocket?vsn=2.0.0")
    topic, refs = f"streaming-{system['id']}", itertools.count(1)
    frames: list[list[Any]] = []
    for sent_topic, event, payload in (
        ("system", "phx_join", {"token": system["token"]}),
        (topic, "phx_join", {"token": streaming["token"]}),
        (topic, "join-streaming", {}),
        (topic, "bound-box", BOX),
    ):
        ref = str(next(refs))
        join_ref = "1" if sent_topic == "system" else "2"
        await ws.send(orjson.dumps([join_ref, ref, sent_topic, event, payload]).decode())
    return ws, topic, frames


async def _read(ws: ClientConnection, frames: list[list[Any]]) -> None:
    with contextlib.suppress(Exception):
        async for raw in ws:
            frames.append(orjson.loads(raw))


async def test_tcp_and_udp_vessels_stream_next_to_aircraft_with_history(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess], tmp_path: Path
) -> None:
    tcp_port, udp_port = free_port(), free_port()
    receiver = Receiver()
    server = await receiver.serve(tcp_port)
    served = tangram_server(_config(redis_server.url, tmp_path, tcp_port, udp_port))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    http = httpx.AsyncClient(base_url=served.url, timeout=WAIT)
    ws = None
    try:
        await asyncio.wait_for(receiver.connected.wait(), WAIT)
        # 1. one vessel over TCP (a two-sentence type 5, then a track of positions with
        # tag-block times), one over UDP (no tag blocks)
        now = time.time()
        await receiver.send(
            static_lines(INSIDE, "SEINE STAR", "FSEI", "ROUEN", 70, length=120, width=20)
        )
        track = [(round(49.48 + i * 0.002, 3), round(0.10 - i * 0.004, 3)) for i in range(6)]
        for i, (lat, lon) in enumerate(track):
            await receiver.send(
                position_lines(INSIDE, lat, lon, 11.5, 300, timestamp=now - 60 + 10 * i)
            )
        outside = static_lines(OUTSIDE, "CHANNEL EXPRESS", "MCHX", "GB SOU", 60, channel="B")
        outside += position_lines(OUTSIDE, 50.6, -1.2, 18.0, 250, channel="B")
        for line in outside:
            udp.sendto(line + b"\r\n", ("127.0.0.1", udp_port))

        def both(body: Any) -> bool:
            ships = {s["mmsi"]: s for s in body["ship"]}
            return all(
                m in ships and ships[m]["latitude"] is not None and ships[m]["callsign"]
                for m in (INSIDE, OUTSIDE)
            )

        body = await _until(http, "/ship162/ships", both)
        ships = {s["mmsi"]: s for s in body["ship"]}
        inside, far = ships[INSIDE], ships[OUTSIDE]
        assert (inside["shipname"], inside["callsign"], inside["destination"]) == (
            "SEINE STAR",
            "FSEI",
            "ROUEN",
        )
        assert (inside["latitude"], inside["longitude"]) == track[-1]
        assert (far["shipname"], far["callsign"], far["destination"]) == (
            "CHANNEL EXPRESS",
            "MCHX",
            "GB SOU",
        )
        assert (far["latitude"], far["longitude"], far["ship_type_text"]) == (
            50.6,
            -1.2,
            "passenger",
        )

        # 2. the trajectory, oldest first
        points = (await http.get(f"/ship162/data/{INSIDE}")).json()
        assert [(p["latitude"], p["longitude"]) for p in points] == track
        assert [p["timestamp"] for p in points] == sorted(p["timestamp"] for p in points)
        assert (await http.get("/ship162/data/12ab")).status_code == 422
        found = (await http.get("/ship162/search", params={"q": "seine"})).json()
        assert [s["mmsi"] for s in found["ship"]] == [INSIDE]
        assert (await http.get("/ship162/search", params={"q": "MCHX"})).json()["count"] == 1

        # 3. a browser's box: the ship inside, not the one outside, count covers both;
        # aircraft arrive on the same private topic
        ws, topic, frames = await _browser(served.channel_url)
        reader = asyncio.create_task(_read(ws, frames))
        deadline = time.monotonic() + 2 * WAIT
        ship_frame = aircraft_frame = None
        while ship_frame is None or aircraft_frame is None:
            assert time.monotonic() < deadline, (frames[-5:], served.log())
            await asyncio.sleep(0.2)
            for _, _, frame_topic, event, payload in frames:
                if frame_topic == topic and event == "new-ship162-data":
                    ship_frame = payload
                if frame_topic == topic and event == "new-jet1090-data" and payload["aircraft"]:
                    aircraft_frame = payload
        assert [s["mmsi"] for s in ship_frame["ship"]] == [INSIDE]
        assert ship_frame["count"] == 2
        assert all(a["icao24"] == "393322" for a in aircraft_frame["aircraft"])
        reader.cancel()

        # 4. the real receiver sample over TCP (lossless, unlike a burst of datagrams):
        # decoded, its noise counted, nothing fatal
        await receiver.send(SAMPLE.read_bytes().splitlines())
        stats = await _until(http, "/ship162/stats", lambda s: s["nmea"]["invalid"] >= 100)
        assert stats["nmea"]["messages"] >= 764 and stats["nmea"]["unknown"] >= 14
        assert stats["ships"] > 100 and stats["nmea"]["samples"]["invalid"]
        assert (await http.get("/ship162/ships")).status_code == 200
        assert "Traceback" not in served.log()
    finally:
        if ws is not None:
            await ws.close()
        udp.close()
        await http.aclose()
        server.close()
