"""Two ``tangram serve`` instances on one Redis behind nginx, as docs/deploy.md sets up.

nginx (Debian's, installed by scripts/install-system) runs in the foreground with its
own prefix and configuration in a temporary directory, on free loopback ports. The
configuration is the one from docs/deploy.md, with the ports filled in.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect

from tangram.testing import RedisServer, TangramProcess, free_port, start_tangram, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DOC = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"
CLIENTS = 6


def nginx_config_from_doc() -> str:
    """The first ```nginx block of docs/deploy.md: the config the test runs."""
    text = DOC.read_text()
    start = text.index("```nginx\n") + len("```nginx\n")
    return text[start : text.index("```", start)]


@pytest.fixture
def balancer(redis_server: RedisServer, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if not os.path.exists(NGINX):
        pytest.fail(f"{NGINX} not found; run scripts/install-system (it installs nginx)")
    lb_port = free_port()
    public = f"http://127.0.0.1:{lb_port}/gateway"
    config = f"""
        [core]
        redis_url = "{redis_server.url}"
        plugins = []
        [channel]
        port = {{channel_port}}
        public_url = "{public}"
    """
    instances: list[TangramProcess] = []
    nginx: subprocess.Popen[bytes] | None = None
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            instances.append(start_tangram(config, tmp_path / name, wait=False))
        for served in instances:
            wait_for(lambda s=served: _ready(s), timeout=30, interval=0.1)
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        conf = nginx_config_from_doc()
        ports = {
            "127.0.0.1:2346": [f"127.0.0.1:{s.http_port}" for s in instances],
            "127.0.0.1:2347": [f"127.0.0.1:{s.channel_port}" for s in instances],
        }
        for doc_address, real in ports.items():
            lines = [ln for ln in conf.splitlines() if f"server {doc_address}" in ln]
            assert lines, f"no 'server {doc_address}' line in docs/deploy.md's nginx block"
            conf = conf.replace(lines[0], "\n".join(lines[0].replace(doc_address, r) for r in real))
            conf = "\n".join(ln for ln in conf.splitlines() if ln not in lines[1:])
        conf = conf.replace("listen 80;", f"listen 127.0.0.1:{lb_port};")
        # Foreground, one process, everything under the temporary prefix.
        head = f"daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\n"
        head += f"error_log {prefix}/error.log info;\n"
        (prefix / "nginx.conf").write_text(head + conf)
        log = (prefix / "stdout.log").open("wb")
        nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        base = f"http://127.0.0.1:{lb_port}"

        def lb_ready() -> bool:
            assert nginx is not None
            if nginx.poll() is not None:
                raise AssertionError((prefix / "stdout.log").read_text())
            return httpx.get(f"{base}/manifest.json", timeout=1).status_code == 200

        wait_for(lb_ready, timeout=15, interval=0.1)
        yield {"base": base, "public": public, "instances": instances, "redis": redis_server}
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for served in instances:
            if served.process.poll() is None:
                served.stop()


def _ready(served: TangramProcess) -> bool:
    if served.process.poll() is not None:
        raise AssertionError(f"tangram serve exited:\n{served.log()}")
    try:
        manifest = httpx.get(f"{served.url}/manifest.json", timeout=1)
        token = httpx.post(f"{served.channel_url}/token", json={"channel": "x"}, timeout=1)
    except httpx.HTTPError:
        return False
    return manifest.status_code == 200 and token.status_code == 200


class Client:
    """A raw Phoenix client through the balancer, keeping phoenix.js-style presence."""

    def __init__(self, url: str, client_id: str, token: str) -> None:
        self.url, self.id, self.token = url, client_id, token
        self.state: dict[str, dict[str, Any]] = {}  # id -> {phx_ref: meta}
        self.leaves: list[str] = []  # every ref a diff told us left
        self.news: list[str] = []
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.lost = asyncio.Event()

    async def join(self) -> None:
        self.lost.clear()
        self.ws = await connect(f"{self.url}/websocket?vsn=2.0.0", open_timeout=3)
        await self.ws.send(json.dumps(["1", "1", "system", "phx_join", {"token": self.token}]))
        joined = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read(self.ws, joined))
        assert await asyncio.wait_for(joined, 5) == "ok"

    async def _read(self, ws: ClientConnection, joined: asyncio.Future[str]) -> None:
        try:
            async for raw in ws:
                _, _, topic, event, payload = json.loads(raw)
                if event == "phx_reply" and not joined.done():
                    joined.set_result(payload["status"])
                elif event == "presence_state":
                    self.state = {
                        k: {m["phx_ref"]: m for m in v["metas"]} for k, v in payload.items()
                    }
                elif event == "presence_diff":
                    for k, v in payload["joins"].items():  # joins first, as phoenix.js
                        self.state.setdefault(k, {}).update({m["phx_ref"]: m for m in v["metas"]})
                    for k, v in payload["leaves"].items():
                        for m in v["metas"]:
                            self.leaves.append(m["phx_ref"])
                            self.state.get(k, {}).pop(m["phx_ref"], None)
                        if not self.state.get(k, True):
                            del self.state[k]
                elif event == "news":
                    self.news.append(payload["n"])
        except Exception:
            pass
        finally:
            self.lost.set()

    def refs(self) -> set[str]:
        return {ref for metas in self.state.values() for ref in metas}

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=5)


async def until(predicate: Any, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


async def test_two_instances_behind_nginx(balancer: dict[str, Any]) -> None:
    base, public = balancer["base"], balancer["public"]
    a, b = balancer["instances"]
    # The HTTP server through the balancer points browsers at the balanced gateway.
    async with httpx.AsyncClient(base_url=base) as http:
        manifest = (await http.get("/manifest.json")).json()
        assert manifest["channel"]["url"] == public
        minted = [
            (await http.post("/gateway/token", json={"channel": "system"})).json()
            for _ in range(CLIENTS)
        ]
    ws_url = public.replace("http://", "ws://")
    clients = [Client(ws_url, m["id"], m["token"]) for m in minted]
    redis = aioredis.from_url(balancer["redis"].url)
    try:
        for c in clients:  # one at a time: nginx's round robin puts them on both
            await c.join()
        everyone = sorted(c.id for c in clients)
        # Presence lists the clients of every instance, for everyone.
        await until(lambda: all(sorted(c.state) == everyone for c in clients), 10, "full presence")
        await redis.publish("to:system:news", json.dumps({"n": "first"}))
        await until(lambda: all("first" in c.news for c in clients), 5, "first broadcast")

        # kill -9 of instance a's whole process group (server, gateway workers).
        refs_before = {ref for c in clients for ref in c.refs()}
        os.killpg(a.process.pid, signal.SIGKILL)
        a.process.wait(timeout=10)
        killed_at = asyncio.get_running_loop().time()
        await asyncio.sleep(0.5)
        dropped = [c for c in clients if c.lost.is_set()]
        kept = [c for c in clients if not c.lost.is_set()]
        assert dropped and kept, "nginx should have spread the clients over both instances"

        # Its clients reconnect through the balancer (to b) and receive again < 10 s.
        for c in dropped:
            await c.close()
            for _ in range(50):
                try:
                    await c.join()
                    break
                except (OSError, AssertionError, asyncio.TimeoutError, Exception):
                    await asyncio.sleep(0.1)
        seq = 0
        while not all(f"again{seq}" in c.news for c in clients):
            if asyncio.get_running_loop().time() - killed_at > 10:
                raise AssertionError(
                    f"not everyone received again within 10 s: {[c.news for c in clients]}"
                )
            seq += 1
            await redis.publish("to:system:news", json.dumps({"n": f"again{seq}"}))
            await asyncio.sleep(0.2)

        # The dead instance's presence is cleaned (by b's reaper, after the TTL): every
        # client lists each of the six exactly once, with its current membership.
        await until(
            lambda: all(
                sorted(c.state) == everyone and all(len(m) == 1 for m in c.state.values())
                for c in clients
            ),
            30,
            f"dead entries reaped: {[c.state for c in clients]}",
        )
        live = clients[0].refs()
        assert all(c.refs() == live for c in clients)
        reconnected_refs = live - refs_before
        assert len(reconnected_refs) == len(dropped)
        # No stale leave: nobody was ever told that a live membership left.
        for c in clients:
            assert not live & set(c.leaves), (c.id, c.leaves)
        assert b.process.poll() is None
    finally:
        for c in clients:
            await c.close()
        await redis.aclose()
