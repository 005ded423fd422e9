"""The gateway as its own process(es): ChannelProcess and ``python -m tangram.channel``."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from websockets.asyncio.client import connect

from tangram.channel import ChannelProcess, public_url
from tangram.channel.process import CONFIG_ENV, PARENT_ENV, READY
from tangram.config import TangramConfig
from tangram.errors import ChannelError
from tangram.testing import RedisServer, free_port, wait_for

from .conftest import Phx


def config_with(**channel: object) -> TangramConfig:
    config = TangramConfig()
    for key, value in channel.items():
        setattr(config.channel, key, value)
    return config


async def test_start_serve_stop(redis_server: RedisServer) -> None:
    proc = ChannelProcess(config_with(port=free_port()), redis_server.url)
    await proc.start()
    pid = proc.processes[0].pid
    async with httpx.AsyncClient() as http:
        response = await http.post(f"http://127.0.0.1:{proc.port}/token", json={"channel": "t"})
    assert response.status_code == 200
    children = list(proc.processes)
    await proc.stop(timeout=5)
    assert [child.returncode for child in children] == [0]  # clean exit on SIGTERM
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_port_in_use_is_a_clear_error(redis_server: RedisServer) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = ChannelProcess(config_with(port=port), redis_server.url)
        expected = rf"127.0.0.1:{port} is already in use.*\[channel\] port"
        with pytest.raises(ChannelError, match=expected):
            await proc.start()
    assert proc.processes == []


async def test_several_workers_share_the_port(redis_server: RedisServer) -> None:
    proc = ChannelProcess(config_with(port=0, workers=2), redis_server.url)
    await proc.start()
    try:
        assert len(proc.processes) == 2
        listeners = {
            p.pid
            for p in (psutil.Process(c.pid) for c in proc.processes)
            if any(conn.laddr.port == proc.port for conn in p.net_connections("tcp"))
        }
        assert listeners == {c.pid for c in proc.processes}
        async with httpx.AsyncClient() as http:
            for _ in range(6):
                url = f"http://127.0.0.1:{proc.port}/token"
                assert (await http.post(url, json={"channel": "t"})).status_code == 200
    finally:
        await proc.stop()


def test_public_url() -> None:
    assert public_url(config_with()) == "http://127.0.0.1:2347"
    assert public_url(config_with(host="0.0.0.0", port=9000)) == "http://localhost:9000"
    assert public_url(config_with(public_url="https://x.org/ws/")) == "https://x.org/ws"


PARENT = """
import asyncio, sys
from tangram.channel import ChannelProcess
from tangram.config import TangramConfig

async def main():
    config = TangramConfig()
    config.channel.port = 0
    proc = ChannelProcess(config, sys.argv[1])
    await proc.start()
    print(proc.processes[0].pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def test_workers_die_with_a_killed_parent(redis_server: RedisServer) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, redis_server.url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        worker = psutil.Process(int(parent.stdout.readline()))
        assert worker.is_running()
    finally:
        parent.kill()  # no chance to clean up: the worker must notice by itself
        parent.wait()
    wait_for(lambda: not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE)


async def poll_token(base: str, timeout: float = 10.0) -> httpx.Response:
    """POST /token until it answers 200 (the port may be dead or Redis not up yet)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: object = None
    async with httpx.AsyncClient() as http:
        while loop.time() < deadline:
            try:
                response = await http.post(f"{base}/token", json={"channel": "room"})
                if response.status_code == 200:
                    return response
                last = response.status_code
            except httpx.TransportError as exc:
                last = exc
            await asyncio.sleep(0.1)
    raise AssertionError(f"no token from {base} within {timeout} s (last: {last!r})")


async def test_start_without_redis_returns_and_recovers(tmp_path: Path) -> None:
    redis = RedisServer(port=free_port(), workdir=tmp_path)
    proc = ChannelProcess(config_with(port=0), redis.url)
    try:
        # Fails (ChannelError) if the worker does not report that it listens within 5 s.
        await proc.start(timeout=5)
        base = f"http://127.0.0.1:{proc.port}"
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{base}/token", json={"channel": "room"})
        assert response.status_code == 503
        await asyncio.to_thread(redis.start)
        await poll_token(base)
    finally:
        await proc.stop()
        await asyncio.to_thread(redis.stop)


async def test_killed_worker_is_restarted(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    proc = ChannelProcess(config_with(port=0), redis_server.url)
    await proc.start()
    first = proc.processes[0].pid
    try:
        with caplog.at_level(logging.ERROR, logger="tangram.channel.process"):
            os.kill(first, signal.SIGKILL)
            base = f"http://127.0.0.1:{proc.port}"
            token = (await poll_token(base, timeout=10)).json()["token"]
        assert f"pid {first}) exited with code -9" in caplog.text
        assert proc.restarts == 1 and proc.processes[0].pid != first
        async with connect(f"ws://127.0.0.1:{proc.port}/websocket?vsn=2.0.0") as ws:
            reply = await Phx(ws).join("room", token)
        assert reply[4] == {"status": "ok", "response": {}}
    finally:
        replacement = psutil.Process(proc.processes[0].pid)
        await proc.stop()
    # No orphan: the replacement went away with stop() too.
    assert not replacement.is_running() or replacement.status() == psutil.STATUS_ZOMBIE


def run_worker(redis_url: str, log_level: str) -> tuple[int, str]:
    """Run ``python -m tangram.channel`` until it is ready, stop it; (pid, its stderr)."""
    config = config_with(port=0)
    config.core.log_level = log_level  # type: ignore[assignment]
    # As ChannelProcess runs it: it reports readiness (after its signal handlers are
    # set) on stdout, then logs to stderr.
    env = {**os.environ, CONFIG_ENV: config.model_dump_json(), PARENT_ENV: str(os.getpid())}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tangram.channel", "--redis-url", redis_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith(READY)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, stderr
    return worker.pid, stderr


def test_worker_logs_plain_utc_lines_at_the_configured_level(redis_server: RedisServer) -> None:
    pid, stderr = run_worker(redis_server.url, "INFO")
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    listening = (
        rf"^{stamp} INFO +channel\[{pid}\] tangram\.channel\.server: channel gateway listening"
    )
    assert re.search(listening, stderr, re.MULTILINE), stderr
    _, quiet = run_worker(redis_server.url, "WARNING")
    assert " INFO " not in quiet and "listening" not in quiet, quiet
