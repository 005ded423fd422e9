"""History queries on a real ``tangram serve`` fed by ``tangram jet1090 replay``:
flight search, history slices, the picture at a past instant, the stored range, live
search, bad parameters, and the ``tangram jet1090 history`` commands."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tangram.testing import RedisServer, TangramProcess, run_cli

from .conftest import serve_config

PARIS = {"north": 49.5, "south": 48.5, "east": 3.0, "west": 2.0}
ELSEWHERE = {"north": 44.0, "south": 43.0, "east": 6.0, "west": 5.0}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("jet1090", *args)


def _get(served: TangramProcess, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{served.url}{path}", params=params, timeout=30)
    assert answer.status_code == 200, (path, params, answer.text)
    return answer.json()


def test_search_slices_the_past_and_the_range(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    served = tangram_server(serve_config(redis_server.url, tmp_path))
    empty = _get(served, "/jet1090/history/range")
    assert empty == {"start": None, "stop": None, "flights": 0, "retention_secs": 86400}
    assert _get(served, "/jet1090/search", q="AFR") == []
    replayed = _cli("replay", str(afr_slice(900, 1200)), "--speed", "100",
                    "--config", str(served.config_path))  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr

    # Search: one flight, by callsign (any case, substring), icao24, or a short prefix.
    (flight,) = _get(served, "/jet1090/search", q="AFR34")
    assert flight["icao24"] == "393322" and flight["callsign"] == "AFR34ZG"
    assert set(flight) == {"icao24", "callsign", "registration", "squawk", "start", "stop",
                           "count"}  # fmt: skip
    assert flight["start"] < flight["stop"] and flight["count"] > 50
    for q in ("afr34zg", "r34z", "3933", "393322", "AF", " 39 "):
        assert _get(served, "/jet1090/search", q=q) == [flight], q
    for q in ("ZG", "ZZZ", "AFR34ZGX", "%", "_FR", '"'):  # short non-prefixes, no match
        assert _get(served, "/jet1090/search", q=q) == [], q
    if flight["squawk"]:
        assert _get(served, "/jet1090/search", q=flight["squawk"]) == [flight]

    # The stored range is the flight's.
    stored = _get(served, "/jet1090/history/range")
    assert (stored["start"], stored["stop"], stored["flights"]) == (
        flight["start"],
        flight["stop"],
        1,
    )

    # History slices: the whole flight, then its first half.
    start, stop = flight["start"], flight["stop"]
    points = _get(served, "/jet1090/history/393322", start=start, stop=stop)
    assert len(points) == flight["count"]
    times = [p["timestamp"] for p in points]
    assert times == sorted(times) and times[0] == start and times[-1] == stop
    assert {"icao24", "timestamp", "callsign", "latitude", "altitude", "squawk"} <= set(points[0])
    mid = (start + stop) / 2
    half = _get(served, "/jet1090/history/393322", start=start, stop=mid)
    assert half == [p for p in points if p["timestamp"] <= mid] and 0 < len(half) < len(points)
    assert _get(served, "/jet1090/history/3C6DD1", start=start, stop=stop) == []
    assert _get(served, "/jet1090/history/393322")  # defaults: the last hour

    # The picture at an instant: the latest point at or before it, inside the box.
    past = _get(served, "/jet1090/at", t=mid, **PARIS)
    assert past["timestamp"] == mid and past["count"] == 1
    (state,) = past["aircraft"]
    latest = half[-1]
    assert state["icao24"] == "393322" and state["lastseen"] == latest["timestamp"]
    assert (state["latitude"], state["longitude"]) == (latest["latitude"], latest["longitude"])
    live = _get(served, "/jet1090/aircraft")["aircraft"][0]
    assert set(state) == set(live)  # rendered like a stream frame
    assert _get(served, "/jet1090/at", t=mid, **ELSEWHERE) == {
        "timestamp": mid, "count": 1, "aircraft": []
    }  # fmt: skip
    assert _get(served, "/jet1090/at", t=mid)["aircraft"] == [state]  # no box: everything
    assert _get(served, "/jet1090/at", t=start - 120)["count"] == 0  # before the flight
    assert _get(served, "/jet1090/at", t=stop + 61, lookback=60)["count"] == 0  # too late
    wide = {"north": 50, "south": 48, "east": -170, "west": 1}  # across the antimeridian
    assert len(_get(served, "/jet1090/at", t=mid, **wide)["aircraft"]) == 1

    # Live search, ranked, for the palette.
    (hit,) = _get(served, "/jet1090/search/live", q="afr34zg")
    assert hit["icao24"] == "393322" and hit["score"] > 0 and "latitude" in hit
    assert _get(served, "/jet1090/search/live", q="34z")[0]["icao24"] == "393322"
    assert _get(served, "/jet1090/search/live", q="QQQ") == []


#: (route, parameters, the parameter the 422 must name).
BAD: list[tuple[str, dict[str, Any], str]] = [
    ("/jet1090/search", {}, "q"),
    ("/jet1090/search", {"q": "  "}, "q"),
    ("/jet1090/search", {"q": "A" * 33}, "q"),
    ("/jet1090/search", {"q": "AFR\x00ZG"}, "q"),
    ("/jet1090/search", {"q": "AFR\nZG"}, "q"),
    ("/jet1090/search", {"q": "AFR", "limit": 0}, "limit"),
    ("/jet1090/search", {"q": "AFR", "limit": 501}, "limit"),
    ("/jet1090/search/live", {"q": "A" * 33}, "q"),
    ("/jet1090/search/live", {"q": "AFR", "limit": 101}, "limit"),
    ("/jet1090/history/39332", {}, "icao24"),
    ("/jet1090/history/393322%0A", {}, "icao24"),
    ("/jet1090/history/393322", {"start": 1000, "stop": 999}, "start"),
    ("/jet1090/history/393322", {"start": 0, "stop": 86400.5}, "start"),
    ("/jet1090/history/393322", {"stop": "nan"}, "stop"),
    ("/jet1090/history/393322", {"start": "-inf"}, "start"),
    ("/jet1090/history/393322", {"start": "yesterday"}, "start"),
    ("/jet1090/at", {}, "t"),
    ("/jet1090/at", {"t": "inf"}, "t"),
    ("/jet1090/at", {"t": 1e9, "lookback": 600.5}, "lookback"),
    ("/jet1090/at", {"t": 1e9, "lookback": 0}, "lookback"),
    ("/jet1090/at", {"t": 1e9, "lookback": "nan"}, "lookback"),
    ("/jet1090/at", {"t": 1e9, "north": 49, "south": 48, "east": 3}, "west"),
    ("/jet1090/at", {"t": 1e9, **PARIS, "north": 90.5}, "north"),
    ("/jet1090/at", {"t": 1e9, **PARIS, "east": -180.5}, "east"),
    ("/jet1090/at", {"t": 1e9, **PARIS, "west": "nan"}, "west"),
    ("/jet1090/at", {"t": 1e9, **PARIS, "south": 49.6}, "south"),
]
#: Just inside the same limits.
GOOD: list[tuple[str, dict[str, Any]]] = [
    ("/jet1090/search", {"q": "A" * 32, "limit": 500}),
    ("/jet1090/search", {"q": "A", "limit": 1}),
    ("/jet1090/search/live", {"q": "A" * 32, "limit": 100}),
    ("/jet1090/history/393322", {"start": 0, "stop": 86400}),
    ("/jet1090/history/393322", {"start": 5, "stop": 5}),
    (
        "/jet1090/at",
        {"t": 1e9, "lookback": 600, "north": 90, "south": -90, "east": 180, "west": -180},
    ),  # fmt: skip
]


def test_bad_parameters_get_a_422_naming_them(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess], tmp_path: Path
) -> None:
    served = tangram_server(serve_config(redis_server.url, tmp_path))
    for route, params, name in BAD:
        refused = httpx.get(f"{served.url}{route}", params=params)
        assert refused.status_code == 422, (route, params, refused.text)
        assert name in refused.text, (route, params, refused.text)
    for route, params in GOOD:
        assert httpx.get(f"{served.url}{route}", params=params).status_code == 200, route


@pytest.mark.timeout(300)  # seven CLI processes on a possibly busy machine
def test_history_commands_size_retention_purge(
    redis_server: RedisServer,
    tangram_server: Callable[..., TangramProcess],
    afr_slice: Callable[[float, float], Path],
    tmp_path: Path,
) -> None:
    served = tangram_server(serve_config(redis_server.url, tmp_path))
    config = str(served.config_path)
    replayed = _cli("replay", str(afr_slice(900, 1000)), "--speed", "100", "--config", config)
    assert replayed.returncode == 0, replayed.stderr
    (flight,) = _get(served, "/jet1090/search", q="AFR34ZG")  # also flushes the points

    size = _cli("history", "size", "--config", config)
    assert size.returncode == 0, size.stderr
    assert f"points:  {flight['count']}" in size.stdout and "flights: 1" in size.stdout
    retention = _cli("history", "retention", "--config", config)
    assert "history_retention_secs = 86400 (24 h)" in retention.stdout
    assert "points past it (deleted by a running tangram serve within a minute): 0" in (
        retention.stdout
    )

    kept = _cli("history", "purge", "--older-than", "3600", "--config", config)
    assert kept.returncode == 0 and "deleted 0 points and 0 flights" in kept.stdout
    purged = _cli("history", "purge", "--all", "--config", config)
    assert purged.returncode == 0, purged.stderr
    assert f"deleted {flight['count']} points and 1 flights" in purged.stdout
    assert _get(served, "/jet1090/search", q="AFR34ZG") == []
    assert _get(served, "/jet1090/history/range")["start"] is None

    # The running server's open flight was purged: new points bring it back.
    again = _cli("replay", str(afr_slice(1000, 1100)), "--speed", "100", "--config", config)
    assert again.returncode == 0, again.stderr
    (renewed,) = _get(served, "/jet1090/search", q="AFR34ZG")
    assert renewed["count"] == len(
        _get(served, "/jet1090/history/393322", start=renewed["start"], stop=renewed["stop"])
    )


def test_history_command_errors_are_one_line(tmp_path: Path) -> None:
    def config(history: Path) -> str:
        path = tmp_path / f"{history.stem}.toml"
        path.write_text(f'[plugins.tangram_jet1090]\nhistory_path = "{history}"\n')
        return str(path)

    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database" * 100)
    cases = [
        (("purge", "--config", config(garbage)), "exactly one of --older-than"),
        (("purge", "--all", "--older-than", "5", "--config", config(garbage)), "exactly one"),
        (("purge", "--older-than", "-1", "--config", config(garbage)), "--older-than must be"),
        (("size", "--config", config(tmp_path / "none.sqlite")), "no history file at"),
        (("size", "--config", config(garbage)), "is not a tangram_jet1090 history"),
    ]
    for args, message in cases:
        failed = _cli("history", *args)
        assert failed.returncode == 1, (args, failed.stdout, failed.stderr)
        assert failed.stderr.startswith("error:") and message in failed.stderr, failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
