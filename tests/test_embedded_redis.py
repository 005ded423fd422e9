"""Choosing a Redis: configured, already running locally, or embedded."""

from __future__ import annotations

import logging
import subprocess
import tempfile

import pytest
import redis

from tangram.config import parse_config
from tangram.embedded_redis import EmbeddedRedis, redis_answers
from tangram.serve import resolve_redis
from tangram.testing import RedisServer, free_port, wait_for


async def test_configured_url_is_used_as_is(redis_server: RedisServer) -> None:
    url, embedded = await resolve_redis(parse_config({"core": {"redis_url": redis_server.url}}))
    assert (url, embedded) == (redis_server.url, None)


async def test_running_local_redis_is_used(redis_server: RedisServer) -> None:
    url, embedded = await resolve_redis(parse_config({}), local=("127.0.0.1", redis_server.port))
    assert url == f"redis://127.0.0.1:{redis_server.port}/0" and embedded is None


async def test_nothing_running_starts_an_embedded_server() -> None:
    port = free_port()
    url, embedded = await resolve_redis(parse_config({}), local=("127.0.0.1", port))
    assert embedded is not None
    try:
        assert redis.Redis.from_url(url).ping()
        assert url != f"redis://127.0.0.1:{port}/0"
    finally:
        await embedded.stop()
    assert not redis_answers("127.0.0.1", embedded.port)


async def test_password_protected_local_redis_is_not_used_blindly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        guarded = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--requirepass",
                "hunter2",
                "--dir",
                workdir,
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: redis.Redis(port=port, password="hunter2").ping())
            with caplog.at_level(logging.WARNING, logger="tangram.serve"):
                url, embedded = await resolve_redis(parse_config({}), local=("127.0.0.1", port))
            assert embedded is not None
            await embedded.stop()
            assert f"the Redis on 127.0.0.1:{port} needs a password" in caplog.text
            assert f'"redis://:PASSWORD@127.0.0.1:{port}/0"' in caplog.text
        finally:
            guarded.terminate()
            guarded.wait()


async def test_embedded_configured_explicitly(redis_server: RedisServer) -> None:
    config = parse_config({"core": {"redis_url": "embedded"}})
    url, embedded = await resolve_redis(config, local=("127.0.0.1", redis_server.port))
    assert isinstance(embedded, EmbeddedRedis)  # even though a Redis answers locally
    await embedded.stop()
