"""End to end: a real `tangram serve` process, real Redis, real HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest
import redis
import redis.asyncio

from tangram.embedded_redis import sweep_stale_workdirs
from tangram.testing import RedisServer, TangramProcess, free_port, run_cli, wait_for

Serve = Callable[..., TangramProcess]
NO_CHANNEL = "[channel]\nenabled = false\n"


def guide_config(redis_url: str) -> str:
    return f"""
    [core]
    redis_url = "{redis_url}"
    plugins = ["my_tangram_plugin"]
    {NO_CHANNEL}
    """


def test_guide_plugin_works_verbatim(redis_server: RedisServer, tangram_server: Serve) -> None:
    client = redis.Redis.from_url(redis_server.url)
    status = client.pubsub()
    status.subscribe("my-plugin:status")
    served = tangram_server(guide_config(redis_server.url))

    # The endpoint, and its listing in the OpenAPI schema behind /docs.
    assert httpx.get(f"{served.url}/my-plugin/").json() == {
        "message": "Hello from my custom plugin!"
    }
    assert "/my-plugin/" in httpx.get(f"{served.url}/openapi.json").json()["paths"]
    assert "swagger" in httpx.get(f"{served.url}/docs").text.lower()

    # The periodic publisher.
    deadline = time.monotonic() + 15
    received = None
    while time.monotonic() < deadline and received is None:
        received = status.get_message(ignore_subscribe_messages=True, timeout=0.5)
    assert received is not None and received["data"] == b"alive"

    # The Subscriber service, which prints what it receives.
    def delivered(payload: str) -> bool:
        client.publish("from:system:my-plugin-command", payload)
        return f"received on `from:system:my-plugin-command`: {payload}" in served.log()

    wait_for(lambda: delivered("before-restart"), timeout=10, interval=0.3)
    assert "Command #1 received on `from:system:my-plugin-command`: before-restart" in served.log()

    # ... keeps receiving after Redis restarts.
    redis_server.restart(downtime=0.5)
    client = redis.Redis.from_url(redis_server.url)
    wait_for(lambda: delivered("after-restart"), timeout=20, interval=0.3)
    assert "resubscribed to from:system:my-plugin-command" in served.log()

    started = time.monotonic()
    assert served.stop() == 0
    assert time.monotonic() - started < 5


def test_broken_plugins_and_crashing_service_do_not_take_the_server_down(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    served = tangram_server(
        f"""
        [core]
        redis_url = "{redis_server.url}"
        plugins = ["broken_import", "not_a_plugin", "not_installed_at_all", "crashy", "configured"]
        {NO_CHANNEL}
        [plugins.configured]
        greeting = "hi "
        repeat = 2
        """
    )
    client = redis.Redis.from_url(redis_server.url)
    assert httpx.get(f"{served.url}/crashy/").json() == {"status": "still serving"}
    # The crashing service is restarted (with backoff) while its sibling keeps running.
    wait_for(lambda: int(client.get("crashy:runs") or 0) >= 2, timeout=10)
    beats = int(client.get("crashy:heartbeats") or 0)
    wait_for(lambda: int(client.get("crashy:heartbeats") or 0) > beats + 2, timeout=5)
    log = served.log()
    assert "RuntimeError: this service crashes on purpose" in log
    assert "service tangram_test_plugins.crashy.crash (plugin crashy) crashed; restarting" in log
    assert "plugin 'broken_import' (distribution 'tangram-test-plugins') failed to load" in log
    assert "is a dict, expected a tangram.Plugin instance" in log
    assert "'not_installed_at_all' is enabled but no installed distribution provides it" in log

    # Typed config, lifespan, plain-function service and InjectBackendState all work.
    answer = httpx.get(f"{served.url}/configured/").json()
    assert answer["greeting"] == "hi hi "
    assert answer["lifespan"] == ["enter"]
    assert answer["plugins"] == ["configured", "crashy"]
    assert answer["redis_url"] == redis_server.url
    assert client.get("configured:lifespan") == b"entered"
    wait_for(lambda: int(client.get("configured:sync-ticks") or 0) >= 3, timeout=5)
    assert served.stop() == 0


def test_embedded_redis_starts_and_leaves_nothing_behind(tangram_server: Serve) -> None:
    served = tangram_server(f'[core]\nredis_url = "embedded"\nplugins = ["crashy"]\n{NO_CHANNEL}')
    match = re.search(r"can use (redis://127\.0\.0\.1:(\d+)/0)", served.log())
    assert match, served.log()
    url, port = match.group(1), int(match.group(2))
    client = redis.Redis.from_url(url)
    wait_for(lambda: int(client.get("crashy:heartbeats") or 0) > 0, timeout=10)
    children = psutil.Process(served.process.pid).children(recursive=True)
    (server_proc,) = [p for p in children if "redis" in p.name() or "valkey" in p.name()]
    workdir = Path(server_proc.cwd()) if server_proc.cwd() != "/" else None
    client.close()

    assert served.stop() == 0
    assert not psutil.pid_exists(server_proc.pid) or server_proc.status() == psutil.STATUS_ZOMBIE
    assert not any(c.laddr.port == port for c in psutil.net_connections() if c.laddr)
    if workdir is not None:
        assert not workdir.exists()


def test_embedded_redis_dies_with_a_killed_server(tangram_server: Serve) -> None:
    served = tangram_server(f'[core]\nredis_url = "embedded"\n{NO_CHANNEL}')
    children = psutil.Process(served.process.pid).children(recursive=True)
    (server_proc,) = [p for p in children if "redis" in p.name() or "valkey" in p.name()]
    workdir = Path(server_proc.cwd())
    assert workdir.name.startswith(f"tangram-redis-{served.process.pid}-")
    # Its own session (start_new_session, not a preexec_fn), out of reach of a terminal's
    # Ctrl+C; the parent-death signal was set by the launcher it replaced (exec).
    assert os.getsid(server_proc.pid) == server_proc.pid != os.getsid(served.process.pid)
    assert server_proc.exe() != psutil.Process(served.process.pid).exe()
    served.process.send_signal(signal.SIGKILL)
    served.process.wait()
    wait_for(lambda: not server_proc.is_running() or server_proc.status() == psutil.STATUS_ZOMBIE)
    # Nothing could clean up after a SIGKILL; the next start does.
    assert workdir.exists()
    assert workdir in sweep_stale_workdirs()
    assert not workdir.exists()


def test_unreachable_redis_is_reported_and_retried(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    url = redis_server.url
    redis_server.stop()
    # The channel is on: it must come up without Redis and recover with it.
    served = tangram_server(f'[core]\nredis_url = "{url}"\nplugins = ["crashy"]\n')
    assert httpx.get(f"{served.url}/crashy/").status_code == 200
    wait_for(lambda: f"Redis at {url} is not reachable" in served.log(), timeout=10)
    token_url = f"{served.channel_url}/token"
    assert httpx.post(token_url, json={"channel": "system"}).status_code == 503
    redis_server.start()
    client = redis.Redis.from_url(url)
    wait_for(lambda: int(client.get("crashy:heartbeats") or 0) > 0, timeout=15)
    assert "is reachable now" in served.log()
    wait_for(lambda: httpx.post(token_url, json={"channel": "system"}).status_code == 200)
    started = time.monotonic()
    assert served.stop() == 0
    assert time.monotonic() - started < 5


def test_bad_config_is_one_line_error_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text('[server]\nport = "abc"\n')
    result = run_cli("serve", "--config", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and str(path) in lines[0]
    assert "server.port = 'abc'" in lines[0]


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        path = tmp_path / "tangram.toml"
        path.write_text(
            f'[server]\nport = {port}\n[core]\nredis_url = "redis://127.0.0.1:{free_port()}"\n'
        )
        result = run_cli("serve", "--config", str(path))
    assert result.returncode == 1
    assert f"[server] 127.0.0.1:{port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_busy_channel_port_is_the_same_one_line_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        path = tmp_path / "tangram.toml"
        path.write_text(
            f'[core]\nredis_url = "redis://127.0.0.1:{free_port()}"\n'
            f"[server]\nport = {free_port()}\n[channel]\nport = {port}\n"
        )
        # Before the fix serve kept running (and pointed browsers at this socket).
        result = run_cli("serve", "--config", str(path), timeout=30)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0] == (
        f"error: {path}: [channel] 127.0.0.1:{port} is already in use; stop the other "
        "program or set [channel] port to a free port"
    )


def test_channel_port_zero_advertises_the_bound_port(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    served = tangram_server(f'[core]\nredis_url = "{redis_server.url}"\n[channel]\nport = 0\n')
    url = httpx.get(f"{served.url}/manifest.json").json()["channel"]["url"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0"), url
    # ... and it is the gateway that answers there.
    token = httpx.post(f"{url}/token", json={"channel": "system"})
    assert token.status_code == 200 and token.json()["token"]
    assert f"channel {url};" in served.log()
    assert served.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_everything_quickly(
    redis_server: RedisServer, tangram_server: Serve, signum: int
) -> None:
    served = tangram_server(f'[core]\nredis_url = "{redis_server.url}"\nplugins = ["crashy"]\n')
    children = psutil.Process(served.process.pid).children(recursive=True)
    assert children, "the channel gateway runs as a child process"
    started = time.monotonic()
    served.process.send_signal(signum)
    served.process.wait(timeout=10)
    assert time.monotonic() - started < 5
    assert served.process.returncode == 0
    assert "shutting down" in served.log()
    wait_for(lambda: not any(child.is_running() for child in children), timeout=5)


async def test_serve_runs_the_channel_in_its_own_process(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    import json

    import websockets

    served = tangram_server(f'[core]\nredis_url = "{redis_server.url}"\n')
    manifest = httpx.get(f"{served.url}/manifest.json").json()
    assert manifest["channel"] == {"url": served.channel_url}
    gateway = [
        p
        for p in psutil.Process(served.process.pid).children(recursive=True)
        if "redis" not in p.name()
    ]
    assert gateway, "the channel gateway runs as a child process"

    token = httpx.post(f"{served.channel_url}/token", json={"channel": "system"}).json()
    ws_url = served.channel_url.replace("http", "ws") + "/websocket?vsn=2.0.0"
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps(["1", "1", "system", "phx_join", {"token": token["token"]}]))
        reply = json.loads(await ws.recv())
        assert reply[3:] == ["phx_reply", {"status": "ok", "response": {}}]
        client = redis.asyncio.Redis.from_url(redis_server.url)

        async def first_update() -> list[object]:
            while True:
                await client.publish("to:system:update", '{"hello": 1}')
                try:
                    while True:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        if frame[3] == "update":
                            return list(frame)
                except asyncio.TimeoutError:
                    continue

        frame = await asyncio.wait_for(first_update(), 10)
        assert frame == [None, None, "system", "update", {"hello": 1}]
        await client.aclose()

    assert served.stop() == 0

    def gone(proc: psutil.Process) -> bool:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE

    wait_for(lambda: all(gone(proc) for proc in gateway))


def test_plugins_that_will_not_stop_cannot_keep_serve_alive(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    served = tangram_server(
        f'[core]\nredis_url = "{redis_server.url}"\nplugins = ["stubborn"]\n{NO_CHANNEL}'
    )
    wait_for(lambda: "started 2 service(s)" in served.log())
    # Before the fix serve waited for these without limit after SIGINT.
    assert served.stop(timeout=20) == 0
    log = served.log()
    stubborn = "tangram_test_plugins.stubborn"
    assert f"service:{stubborn}.ignores_cancellation did not stop within 3 s" in log
    assert "plugin stubborn: lifespan exit did not finish within 3 s" in log
    assert f"task service:{stubborn}.ignores_cancellation ignored its cancellation" in log
    assert "threads still running 2 s after shutdown" in log


def test_ctrl_c_in_a_terminal_stops_the_gateway_without_restarting_it(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    # A plugin slow to stop (as real ones can be) leaves time to see the workers' exit.
    served = tangram_server(
        f'[core]\nredis_url = "{redis_server.url}"\nplugins = ["stubborn"]\n'
        "[channel]\nport = {channel_port}\n"
    )
    children = psutil.Process(served.process.pid).children(recursive=True)
    assert children
    served.ctrl_c()  # the whole foreground process group, as a terminal does
    served.process.wait(timeout=20)
    assert served.process.returncode == 0
    log = served.log()
    assert "shutting down" in log
    # The workers used to get the SIGINT too, exit 0, and be "restarted" during shutdown.
    assert "exited with code" not in log and "restarting" not in log, log
    wait_for(lambda: not any(child.is_running() for child in children), timeout=5)


def test_duplicate_signals_still_stop_cleanly(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    # `timeout` and process-group kills deliver the same signal twice at once.
    served = tangram_server(guide_config(redis_server.url))
    served.process.send_signal(signal.SIGTERM)
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=10)
    assert served.process.returncode == 0
    assert "exiting now" not in served.log() and "shutting down" in served.log()
