"""``GET /search/airports``: airports by ICAO, IATA, name or city, from offline data.

The data is the ``airportsdata`` package (about 28,000 airports with an ICAO code),
loaded on the first request and kept by the app; nothing is fetched at run time.
Matching is case- and accent-insensitive and ranked (see ``score``).
"""

from __future__ import annotations

import asyncio
import heapq
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

__all__ = ["MAX_QUERY_CHARS", "Airport", "AirportIndex", "normalise", "router"]

router = APIRouter(tags=["tangram"])

#: Longest query, after trimming.
MAX_QUERY_CHARS = 64


def normalise(text: str) -> str:
    """Lower case without accents: "Zürich" and "zurich" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Airport:
    icao: str
    iata: str
    name: str
    city: str
    country: str
    lat: float
    lon: float
    # Pre-normalised search keys.
    key_name: str
    key_city: str
    words: tuple[str, ...]
    haystack: str  # key_name and key_city: one substring test rejects most airports
    minor: bool  # a code with digits is a local identifier, not an ICAO location code

    def as_json(self) -> dict[str, Any]:
        return {
            "icao": self.icao,
            "iata": self.iata,
            "name": self.name,
            "city": self.city,
            "country": self.country,
            "lat": self.lat,
            "lon": self.lon,
        }

    def score(self, q: str, upper: str) -> int:
        """0 when it does not match; else higher is better. ``q`` is normalised,
        ``upper`` is the trimmed query in upper case (for codes)."""
        if self.icao == upper:
            return 100
        if self.iata and self.iata == upper:
            return 95
        if self.icao.startswith(upper):
            return 80 - 20 * self.minor
        if self.key_name.startswith(q) or self.key_city.startswith(q):
            score = 60
        elif any(word.startswith(q) for word in self.words):
            score = 50
        elif q in self.haystack:
            score = 40
        else:
            return 0
        # Among equals, an international airport, or one whose name and city both
        # match ("Paris-Orly", Paris), is the likelier target.
        both = q in self.key_name and q in self.key_city
        return score - 20 * self.minor + 5 * ("international" in self.key_name) + 3 * both


class AirportIndex:
    """Every airport of the database, ready to be searched."""

    def __init__(self, airports: list[Airport]) -> None:
        self.airports = airports

    @classmethod
    def load(cls) -> AirportIndex:
        import airportsdata  # imported here: only a search needs it

        airports = []
        for row in airportsdata.load("ICAO").values():
            name, city = str(row["name"]), str(row["city"])
            key_name, key_city = normalise(name), normalise(city)
            words = tuple(w for w in set(f"{key_name} {key_city}".replace("-", " ").split()) if w)
            airports.append(
                Airport(
                    str(row["icao"]), str(row["iata"]), name, city, str(row["country"]),
                    float(row["lat"]), float(row["lon"]), key_name, key_city, words,
                    f"{key_name}\n{key_city}", any(c.isdigit() for c in str(row["icao"])),
                )
            )  # fmt: skip
        return cls(airports)

    def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        q, upper = normalise(query), query.upper()
        candidates = [
            a
            for a in self.airports
            if q in a.haystack or a.icao.startswith(upper) or a.iata == upper
        ]
        scored = ((a.score(q, upper), a) for a in candidates)
        best = heapq.nsmallest(
            limit,
            ((s, a) for s, a in scored if s > 0),
            key=lambda item: (-item[0], not item[1].iata, item[1].icao),
        )
        return [airport.as_json() for _, airport in best]


async def _index(request: Request) -> AirportIndex:
    # Kept on the app (not in a module global): one per server, loaded once.
    index: AirportIndex | None = getattr(request.app.state, "airport_index", None)
    if index is None:
        index = await asyncio.to_thread(AirportIndex.load)
        request.app.state.airport_index = index
    return index


@router.get("/search/airports")
async def search_airports(
    request: Request,
    q: Annotated[str, Query(max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict[str, Any]]:
    """Airports matching ``q`` by ICAO, IATA, name or city, best first:
    ``[{"icao", "iata", "name", "city", "country", "lat", "lon"}]``."""
    text = q.strip()
    if not 1 <= len(text) <= MAX_QUERY_CHARS:
        raise HTTPException(
            422, f"q: expected 1 to {MAX_QUERY_CHARS} characters after trimming, got {len(text)}"
        )
    index = await _index(request)
    return await asyncio.to_thread(index.search, text, limit)
