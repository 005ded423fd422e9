"""The official ``phoenix`` npm client against our gateway, end to end.

Starts a private Redis and ``python -m tangram.channel`` on free ports, runs
``tests/channel/js/e2e.mjs`` under Node (``npm ci`` first if ``node_modules`` is
missing), feeds it one Redis PUBLISH when it asks, and checks its JSON-lines report
against what a Redis subscriber saw.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from tangram.testing import RedisServer, free_port, wait_for

from .conftest import ADMIN_KEY

JS_DIR = Path(__file__).resolve().parent / "js"
# A colon in the topic also proves the gateway splits Redis channels at the last colon.
TOPIC = "e2e:phoenix"
# Compact JSON whose keys are deliberately unsorted: a re-serialising gateway would
# reorder them, and the client would see different bytes.
BROADCAST = '{"z":1,"a":{"y":2,"b":[true,null]},"s":"é \\"q\\""}'.encode()

# UTF-8 that is not JSON (the plugin guide's example): delivered as a JSON string.
PLAIN_TEXT = b"Hello from plugin"
# Not UTF-8 (think Arrow IPC): delivered as a binary push frame, byte for byte.
BINARY = b"ARROW1\x00\x00\xff\xfe{"


@pytest.fixture(scope="module", autouse=True)
def node_and_npm() -> None:
    """Skip without Node or npm on a developer machine; under CI (``$CI`` set) fail,
    so that a broken CI image cannot silently drop the only real-browser-client test."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if not missing:
        return
    why = (
        f"{' and '.join(missing)} not found on PATH; "
        "the phoenix.js end-to-end test needs Node 20 and npm"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{why} (running under CI, so this is an error; install Node 20 and npm)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def js_deps() -> Path:
    """``tests/channel/js/node_modules``, installed from the committed lock file if absent."""
    if not (JS_DIR / "node_modules" / "phoenix").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300
        )
    return JS_DIR


@pytest.fixture
def channel_gateway(redis_server: RedisServer, tmp_path: Path) -> Iterator[str]:
    """Our gateway, standalone, on a free loopback port; yields its base URL."""
    port = free_port()
    log_path = tmp_path / "channel.log"
    config = tmp_path / "tangram.toml"
    config.write_text(f'[channel]\nadmin_key = "{ADMIN_KEY}"\n')
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "tangram.channel", "--config", str(config),
                "--redis-url", redis_server.url, "--host", "127.0.0.1", "--port", str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            return True  # reported below, with the log
        return httpx.post(f"{base}/token", json={"channel": "probe"}, timeout=1).is_success

    try:
        wait_for(ready, timeout=30)
        assert process.poll() is None, f"gateway exited:\n{log_path.read_text()}"
        yield base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _run_node(base: str, redis_url: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    """Run the script, publishing the broadcast when asked; returns rc, steps, stderr."""
    publisher = aioredis.from_url(redis_url)
    node = await asyncio.create_subprocess_exec(
        "node", "e2e.mjs", base, TOPIC,
        cwd=JS_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TANGRAM_ADMIN_KEY": ADMIN_KEY},
    )  # fmt: skip
    assert node.stdout is not None and node.stderr is not None
    steps: dict[str, dict[str, Any]] = {}

    async def converse() -> tuple[int, str]:
        assert node.stdout is not None and node.stderr is not None
        while line := await node.stdout.readline():
            step = json.loads(line)
            steps[step["step"]] = step
            if step["step"] == "ready_for_broadcast":
                await publisher.publish(f"to:{TOPIC}:news", BROADCAST)
                await publisher.publish(f"to:{TOPIC}:text", PLAIN_TEXT)
                await publisher.publish(f"to:{TOPIC}:blob", BINARY)
        stderr = (await node.stderr.read()).decode(errors="replace")
        return await node.wait(), stderr

    try:
        # Every step in the script has its own 5 s timeout; this only bounds a hang.
        rc, stderr = await asyncio.wait_for(converse(), timeout=90)
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()
        await publisher.aclose()
    return rc, steps, stderr


async def test_phoenix_js_client_end_to_end(
    js_deps: Path, channel_gateway: str, redis_server: RedisServer
) -> None:
    watcher = aioredis.from_url(redis_server.url)
    pubsub = watcher.pubsub()
    await pubsub.psubscribe("from:*")
    try:
        rc, steps, stderr = await _run_node(channel_gateway, redis_server.url)
        seen: list[tuple[bytes, bytes]] = []
        # Not ignore_subscribe_messages: it turns the psubscribe confirmation into None,
        # which would end this loop before the first real message.
        while (msg := await pubsub.get_message(timeout=1.0)) is not None:
            if msg["type"] == "pmessage":
                seen.append((msg["channel"], msg["data"]))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await watcher.aclose()

    report = json.dumps(steps, indent=1, ensure_ascii=False)
    failed = [name for name, step in steps.items() if not step["ok"]]
    assert rc == 0 and not failed, f"failed steps {failed}\n{report}\nstderr:\n{stderr}"

    # Redis -> browser: same bytes, same key order.
    assert steps["broadcast"]["text"].encode() == BROADCAST
    assert steps["broadcast_text"]["payload"] == PLAIN_TEXT.decode()
    assert steps["broadcast_binary"]["hex"] == BINARY.hex()
    # Browser -> Redis: push acknowledged, and the payload arrives byte for byte.
    assert steps["push"]["status"] == "ok"
    uploads = [data for channel, data in seen if channel == f"from:{TOPIC}:upload".encode()]
    assert uploads == [steps["push"]["sent"].encode()]
    # A token minted for another channel is refused with an error reply, not a timeout.
    assert steps["refused"]["status"] == "error"
    assert steps["refused"]["response"] == {"reason": "unauthorized"}
    # Presence.onSync: both clients, then only the one that stayed.
    assert steps["presence_two"]["ids"] == ["alice", "bob"]
    assert steps["presence_after_leave"]["ids"] == ["alice"]
    # A join storm within one presence window, then half leaving at once: every
    # member's Presence.list is exact (diffs are merged per window).
    assert steps["presence_storm_join"]["joined"] == 16
    assert steps["presence_storm_join"]["lists"] == [17] * 17
    remaining = ["alice", *(f"s{i:02d}" for i in range(8, 16))]
    assert steps["presence_storm_leave"]["lists"] == [remaining] * 9
    # Lifecycle events reach plugins, naming the client; no token ever reaches Redis.
    leaves = [data for channel, data in seen if channel == f"from:{TOPIC}:phx_leave".encode()]
    assert any(b"bob" in data for data in leaves), seen
    assert not any(b"eyJ" in data for _, data in seen), "a JWT leaked to Redis"
