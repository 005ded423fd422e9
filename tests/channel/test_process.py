"""The gateway as its own process(es): ChannelProcess and ``python -m tangram.channel``."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import psutil
import pytest

from tangram.channel import ChannelProcess, public_url
from tangram.config import TangramConfig
from tangram.errors import ChannelError
from tangram.testing import RedisServer, free_port, wait_for


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
