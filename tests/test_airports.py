"""``GET /search/airports`` on a real ``tangram serve``: ranked, offline, bounded."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tangram.airports import MAX_QUERY_CHARS, AirportIndex, normalise
from tangram.testing import RedisServer, TangramProcess

Serve = Callable[..., TangramProcess]


@pytest.fixture
def served(redis_server: RedisServer, tangram_server: Serve) -> TangramProcess:
    return tangram_server(
        f"""
        [core]
        redis_url = "{redis_server.url}"
        plugins = []
        [channel]
        enabled = false
        port = {{channel_port}}
        """
    )


def test_codes_names_and_cities_are_found_and_ranked(served: TangramProcess) -> None:
    def first(q: str) -> dict[str, object]:
        found = httpx.get(f"{served.url}/search/airports", params={"q": q}, timeout=30).json()
        assert found, q
        return found[0]  # type: ignore[no-any-return]

    cdg = first("LFPG")
    assert cdg["icao"] == "LFPG" and cdg["iata"] == "CDG" and cdg["city"] == "Paris"
    assert cdg["country"] == "FR" and abs(cdg["lat"] - 49.01) < 0.05  # type: ignore[operator]
    assert set(cdg) == {"icao", "iata", "name", "city", "country", "lat", "lon"}
    assert first("cdg")["icao"] == "LFPG"  # IATA, any case
    assert first("  heathrow ")["icao"] == "EGLL"  # name, trimmed, the major airport first
    assert first("zürich")["icao"] == "LSZH"  # accents do not matter
    paris = httpx.get(f"{served.url}/search/airports", params={"q": "paris", "limit": 8}).json()
    assert len(paris) == 8 and {"LFPG", "LFPO"} <= {a["icao"] for a in paris}
    prefix = httpx.get(f"{served.url}/search/airports", params={"q": "LFP", "limit": 50}).json()
    # "LFP" is also Lakefield's IATA code: an exact code beats the ICAO prefixes.
    assert prefix[0]["iata"] == "LFP"
    codes = [a["icao"].startswith("LFP") for a in prefix[1:]]
    assert sum(codes) > 20 and codes == sorted(codes, reverse=True)  # ICAO prefixes next
    others = [a for a in prefix[1:] if not a["icao"].startswith("LFP")]
    assert all("lfp" in normalise(f"{a['name']} {a['city']}") for a in others)  # then names
    assert httpx.get(f"{served.url}/search/airports", params={"q": "qqqqzz"}).json() == []


#: (parameters, the parameter the 422 must name); one server for all of them.
BAD = [
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "q"),
    ({"q": "x" * 1001}, "q"),
    ({}, "q"),
    ({"q": "LFPG", "limit": 0}, "limit"),
    ({"q": "LFPG", "limit": 51}, "limit"),
    ({"q": "LFPG", "limit": "ten"}, "limit"),
]


def test_bad_parameters_get_a_422_naming_them(served: TangramProcess) -> None:
    for params, name in BAD:
        refused = httpx.get(f"{served.url}/search/airports", params=params)  # type: ignore[arg-type]
        assert refused.status_code == 422, (params, refused.text)
        assert name in refused.text, params
    # just at the limits
    answer = httpx.get(f"{served.url}/search/airports", params={"q": "x" * MAX_QUERY_CHARS})
    assert answer.status_code == 200 and answer.json() == []
    answer = httpx.get(f"{served.url}/search/airports", params={"q": "LF", "limit": 50})
    assert answer.status_code == 200 and len(answer.json()) == 50


def test_index_normalises_and_ties_go_to_airports_with_an_iata_code() -> None:
    assert normalise("Zürich-Kloten") == "zurich-kloten"
    index = AirportIndex.load()
    found = index.search("orly", 3)
    assert found[0]["icao"] == "LFPO"
