"""The system service against a real Redis, and the message format the widget expects."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import psutil
import redis.asyncio
from tangram_system import (
    CHANNEL,
    METRICS,
    Metrics,
    format_uptime,
    publish_system_info,
    system_messages,
)

import tangram
from tangram.config import TangramConfig
from tangram.testing import RedisServer, TangramProcess, wait_for


def test_uptime_is_formatted_like_upstream() -> None:
    assert format_uptime(0) == "0:00:00"
    assert format_uptime(59.9) == "0:00:59"
    assert format_uptime(3661) == "1:01:01"
    assert format_uptime(27 * 3600 + 5) == "1 day, 3:00:05"
    assert format_uptime(-3) == "0:00:00"  # clock skew never shows a negative uptime


def test_messages_have_the_upstream_format() -> None:
    def load_percent() -> float:
        return psutil.getloadavg()[0] / (psutil.cpu_count() or 1) * 100

    before = load_percent()
    messages = system_messages(started_at=1000.0, now=1000.0 + 3725.25)
    after = load_percent()
    by_el = {message["el"]: message["value"] for message in messages}
    assert [m["el"] for m in messages] == ["uptime", "info_utc", "cpu_load", "ram_usage"]
    assert by_el["uptime"] == "1:02:05"
    assert by_el["info_utc"] == 4725000  # whole seconds, in milliseconds
    # cpu_load is the 1-minute load average per CPU, not the instantaneous CPU use.
    assert re.fullmatch(r"\d+\.\d\d%", by_el["cpu_load"])
    low, high = sorted((before, after))
    assert low - 0.01 <= float(by_el["cpu_load"][:-1]) <= high + 0.01
    assert re.fullmatch(r"\d{1,3}\.\d\d%", by_el["ram_usage"])


async def test_service_publishes_every_second_to_the_system_channel(
    redis_server: RedisServer,
) -> None:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    listener = redis.asyncio.Redis.from_url(redis_server.url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(CHANNEL)
    async with httpx.AsyncClient() as http:
        state = tangram.BackendState(redis_client=client, http_client=http, config=TangramConfig())
        metrics = Metrics(started_at=time.time() - 5)
        METRICS.set(state, metrics)
        service = asyncio.create_task(publish_system_info(state))
        received: list[dict[str, Any]] = []

        async def collect() -> None:
            while len(received) < 8:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if message is not None:
                    received.append(json.loads(message["data"]))

        try:
            await asyncio.wait_for(collect(), timeout=10)  # asyncio.timeout needs 3.11
        finally:
            service.cancel()
            await asyncio.gather(service, return_exceptions=True)
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await listener.aclose()
            await client.aclose()
    assert [m["el"] for m in received] == ["uptime", "info_utc", "cpu_load", "ram_usage"] * 2
    assert [m["el"] for m in metrics.latest] == ["uptime", "info_utc", "cpu_load", "ram_usage"]
    first, second = received[1]["value"], received[5]["value"]
    # Two rounds, about a second apart, on the server's clock (epoch milliseconds).
    assert isinstance(first, int) and 500 <= second - first <= 2500


def test_latest_round_through_serve(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess]
) -> None:
    served = tangram_server(
        f"""
        [core]
        redis_url = "{redis_server.url}"
        plugins = ["tangram_system"]
        [channel]
        enabled = false
        """
    )
    wait_for(lambda: len(httpx.get(f"{served.url}/system/").json()) == 4)
    latest = httpx.get(f"{served.url}/system/").json()
    assert [m["el"] for m in latest] == ["uptime", "info_utc", "cpu_load", "ram_usage"]
