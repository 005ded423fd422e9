"""Ranked, fuzzy search over the live picture, for a search palette.

Pure functions over state vectors: the HTTP route passes the live table in. Each
aircraft scores by its best-matching field among callsign, icao24, registration and
squawk: an exact match beats a prefix, a prefix beats a substring (earlier is
better), and a substring beats a fuzzy match (the query's characters in order, fewer
gaps better). Ties go to the shorter value, then to the callsign's alphabetical order.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["SEARCHED_FIELDS", "score_text", "search_live"]

#: State-vector fields a live search looks at.
SEARCHED_FIELDS = ("callsign", "icao24", "registration", "squawk")

_EXACT, _PREFIX, _SUBSTRING, _FUZZY = 1000.0, 800.0, 600.0, 200.0


def score_text(query: str, value: str) -> float:
    """How well ``value`` matches the upper-cased ``query`` (0: not at all)."""
    text = value.upper()
    if text == query:
        return _EXACT
    if text.startswith(query):
        return _PREFIX - len(text)
    at = text.find(query)
    if at >= 0:
        return _SUBSTRING - 10 * at - len(text)
    # Fuzzy: every character of the query, in order; each skipped character costs.
    gaps, pos = 0, 0
    for char in query:
        found = text.find(char, pos)
        if found < 0:
            return 0.0
        gaps += found - pos
        pos = found + 1
    return max(_FUZZY - 10 * gaps - len(text), 1.0)


def search_live(records: Iterable[dict[str, Any]], query: str, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` best matches, best first, each a copy with an added ``score``."""
    needle = query.strip().upper()
    if not needle:
        return []
    # The query's characters in order, within one field: a single C-level regex search
    # over the fields joined by newlines rejects most aircraft before any scoring.
    candidate = re.compile("[^\n]*?".join(re.escape(char) for char in needle)).search
    scored = []
    for record in records:
        text = (
            f"{record.get('callsign') or ''}\n{record.get('icao24') or ''}\n"
            f"{record.get('registration') or ''}\n{record.get('squawk') or ''}"
        ).upper()
        if candidate(text) is None:
            continue
        best = 0.0
        for name in SEARCHED_FIELDS:
            value = record.get(name)
            if value:
                best = max(best, score_text(needle, value))
        if best > 0:
            scored.append((best, record))
    top = heapq.nsmallest(
        limit,
        scored,
        key=lambda item: (-item[0], item[1].get("callsign") or "~", item[1]["icao24"]),
    )
    return [{**record, "score": score} for score, record in top]
