"""Receivers read directly by a real ``tangram serve``: Beast, AVR and SBS over TCP."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tangram.testing import RedisServer, TangramProcess, wait_for

from .conftest import FeedServer, receiver_feed, serve_config


def _config(redis_url: str, tmp_path: Path, sources: list[str], extra: str = "") -> str:
    listed = ", ".join(f'"{s}"' for s in sources)
    return serve_config(redis_url, tmp_path, f"sources = [{listed}]", 'reference = "LFPG"', extra)


def _get(served: TangramProcess, path: str) -> Any:
    return httpx.get(f"{served.url}/jet1090/{path}", timeout=5).json()


def _flight(served: TangramProcess) -> dict[str, Any] | None:
    found = [a for a in _get(served, "aircraft")["aircraft"] if a["icao24"] == "393322"]
    return found[0] if found else None


@pytest.mark.parametrize("kind", ["beast", "avr", "sbs"])
def test_a_receiver_puts_the_flight_on_the_map(
    kind: str,
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    feed_server: Callable[..., FeedServer],
    tmp_path: Path,
) -> None:
    receiver = feed_server(receiver_feed(kind, 900, 1200))  # take-off roll and climb-out
    served = tangram_server(_config(redis_server.url, tmp_path, [f"{kind}://{receiver.url}"]))

    def located() -> bool:
        flight = _flight(served)
        return bool(flight and flight["callsign"] == "AFR34ZG" and flight["latitude"] is not None)

    wait_for(located, timeout=20)
    flight = _flight(served)
    assert flight is not None
    # around Paris (CDG is 49.01, 2.55; by then it climbs out westwards)
    assert 48.5 < flight["latitude"] < 49.5 and 1.8 < flight["longitude"] < 3.0, flight
    assert flight["altitude"] is not None and flight["groundspeed"] is not None

    # SBS carries fewer messages (only what the receiver decoded), all distinct ones
    wait_for(lambda: _get(served, "receivers")["receivers"][0]["messages"] > 200, timeout=20)
    (figures,) = _get(served, "receivers")["receivers"]
    assert figures["url"] == f"{kind}://{receiver.url}"
    assert figures["connected"] is True and figures["state"] == "connected"
    assert figures["last_message"] is not None
    assert _get(served, "aircraft")["count"] == 1  # nothing made up
    stats = _get(served, "stats")
    assert stats["applied"] == stats["received"] and stats["malformed"] == 0
    # the same ingest path as a jet1090 feed: the history has the track
    track = _get(served, "data/393322")
    assert len(track) > 20 and all(48.5 < p["latitude"] < 49.5 for p in track)


def test_two_receivers_hearing_the_same_frames_count_them_once(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    feed_server: Callable[..., FeedServer],
    tmp_path: Path,
) -> None:
    data = receiver_feed("beast", 900, 1200)
    first, second = feed_server(data), feed_server(data)
    sources = [f"beast://{first.url}", f"beast://{second.url}"]
    # a wide window: the two copies may reach serve seconds apart on a busy machine
    served = tangram_server(_config(redis_server.url, tmp_path, sources, "dedup_window_secs = 60"))

    def settled() -> bool:
        figures = _get(served, "receivers")["receivers"]
        heard = sum(f["messages"] + f["duplicates"] for f in figures)
        return all(f["connected"] for f in figures) and heard >= 2 * _frames(data) * 0.95

    wait_for(settled, timeout=30)
    figures = _get(served, "receivers")["receivers"]
    stats = _get(served, "stats")
    distinct = len(set(_payloads(data)))
    # every frame reached serve twice; each distinct one was applied at most once
    assert sum(f["messages"] for f in figures) == stats["applied"] <= distinct
    assert sum(f["duplicates"] for f in figures) >= _frames(data)
    assert _flight(served)["count"] == stats["applied"]  # type: ignore[index]


def _payloads(data: bytes) -> list[bytes]:
    from tangram_jet1090.receivers.beast import BeastParser

    return [frame.payload for frame in BeastParser().feed(data)]


def _frames(data: bytes) -> int:
    return len(_payloads(data))


def test_a_receiver_restarted_on_the_same_port_is_picked_up_again(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    feed_server: Callable[..., FeedServer],
    tmp_path: Path,
) -> None:
    receiver = feed_server(receiver_feed("avr", 900, 1000))
    served = tangram_server(_config(redis_server.url, tmp_path, [f"avr://{receiver.url}"]))

    def figures() -> dict[str, Any]:
        result: dict[str, Any] = _get(served, "receivers")["receivers"][0]
        return result

    wait_for(lambda: figures()["messages"] > 100, timeout=20)
    before = figures()["messages"]
    receiver.stop()  # the receiver is killed
    wait_for(lambda: not figures()["connected"], timeout=10)
    assert figures()["state"] in ("lost", "unreachable")

    again = feed_server(receiver_feed("avr", 1000, 1200), port=receiver.port)
    wait_for(lambda: figures()["connected"] and figures()["messages"] > before + 100, timeout=30)
    assert figures()["connects"] == 2 and again.clients == 1
    log = served.log()
    # one line per change of state, not one per retry
    assert log.count("connection lost") == 1 and log.count("connected again") == 1, log


def test_garbage_on_one_receiver_leaves_the_other_unaffected(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    feed_server: Callable[..., FeedServer],
    tmp_path: Path,
) -> None:
    noise = feed_server(os.urandom(2_000_000) + b"\x1a3\x1a\x1a\x1a2garbage" * 1000)
    good = feed_server(receiver_feed("beast", 900, 1200))
    sources = [f"beast://{noise.url}", f"beast://{good.url}"]
    served = tangram_server(_config(redis_server.url, tmp_path, sources))

    def done() -> bool:
        bad, fine = _get(served, "receivers")["receivers"]
        return bool(bad["bytes_read"] >= 2_000_000 and fine["messages"] > 1000)

    wait_for(done, timeout=30)
    bad, fine = _get(served, "receivers")["receivers"]
    assert bad["connected"] and bad["errors"]["garbage_bytes"] > 1_000_000
    assert fine["connected"] and fine["errors"]["garbage_bytes"] == 0
    assert fine["errors"]["truncated"] == 0
    flight = _flight(served)
    assert flight is not None and flight["callsign"] == "AFR34ZG"
    # random bytes decode into no aircraft: CRC checks and the confirmation rule hold
    assert _get(served, "aircraft")["count"] == 1
