"""A keyed table of live entities (aircraft, ships...), one plain dict per key.

Records are plain dicts so that they serialise with orjson without conversion: the
streaming loop dumps them as they are, many times per second. Every record carries the
table's key field plus ``firstseen``, ``lastseen`` (message timestamps) and ``count``
(messages applied); the rest is the plugin's.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any

__all__ = ["BOOKKEEPING", "EntityTable", "TableFull"]

#: Fields every record has besides its key.
BOOKKEEPING = ("firstseen", "lastseen", "count")


class TableFull(Exception):
    """A new key arrived while the table holds ``max_entities`` records."""


class EntityTable:
    """Records keyed by ``key``, expiring when not updated for ``expire_secs``.

    Expiry uses the time a message was *received*, not its timestamp: a source whose
    clock is off must not make every entity vanish or linger. ``max_entities`` bounds
    the table (a source inventing keys cannot exhaust memory): beyond it, a new key
    raises :class:`TableFull` (counted in ``refused``) until expiry makes room.
    """

    def __init__(
        self,
        key: str,
        fields: Sequence[str],
        expire_secs: float,
        max_entities: int = 1_000_000,
    ) -> None:
        missing = [name for name in (key, *BOOKKEEPING) if name not in fields]
        if missing:
            raise ValueError(f"fields must include {missing} (the key and the bookkeeping)")
        self.key = key
        self.fields = tuple(fields)
        self.expire_secs = expire_secs
        self.max_entities = max_entities
        self.records: dict[Hashable, dict[str, Any]] = {}
        self.refused = 0
        self._received: dict[Hashable, float] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records.values())

    def get(self, key: Hashable) -> dict[str, Any] | None:
        return self.records.get(key)

    def update(
        self, key: Hashable, timestamp: float | None, fields: dict[str, Any], now: float
    ) -> dict[str, Any]:
        """Apply the fields one message carries; returns the updated record."""
        ts = now if timestamp is None else timestamp
        record = self.records.get(key)
        if record is None:
            if len(self.records) >= self.max_entities:
                self.refused += 1
                raise TableFull(f"{len(self.records)} entities tracked (max_entities)")
            record = self.new_record(key, ts)
            self.records[key] = record
        record.update(fields)
        if ts > record["lastseen"]:
            record["lastseen"] = ts
        record["count"] += 1
        self._received[key] = now
        return record

    def new_record(self, key: Hashable, ts: float) -> dict[str, Any]:
        """A blank record (every field None); subclasses may fill in more."""
        record = dict.fromkeys(self.fields)
        record[self.key] = key
        record["firstseen"] = ts
        record["lastseen"] = ts
        record["count"] = 0
        return record

    def expire(self, now: float) -> int:
        """Drop entities not heard from for ``expire_secs``; returns how many."""
        limit = now - self.expire_secs
        stale = [key for key, seen in self._received.items() if seen < limit]
        for key in stale:
            del self._received[key]
            del self.records[key]
        return len(stale)
