"""The same frame heard by several receivers (or repeated) counts once per window."""

from __future__ import annotations

from collections import deque

__all__ = ["Deduplicator"]


class Deduplicator:
    """Remembers each frame for ``window`` seconds, and never more than ``max_entries``
    frames: past that (more than ``max_entries / window`` frames/s) the oldest are
    forgotten early, so a flood can only let some duplicates through, not eat memory."""

    def __init__(self, window: float, max_entries: int = 200_000) -> None:
        self.window = window
        self.max_entries = max_entries
        self._seen: dict[bytes, float] = {}
        self._order: deque[tuple[float, bytes]] = deque()
        self.duplicates = 0

    def __len__(self) -> int:
        return len(self._seen)

    def is_duplicate(self, key: bytes, now: float) -> bool:
        seen = self._seen.get(key)
        if seen is not None and now - seen <= self.window:
            self.duplicates += 1
            return True
        self._seen[key] = now
        self._order.append((now, key))
        return False

    def fresh(self, keys: list[bytes], now: float) -> list[bytes]:
        """The keys of one read that are not duplicates (``is_duplicate`` on each, inline:
        this runs for every frame)."""
        seen, order, window = self._seen, self._order, self.window
        out = []
        for key in keys:
            last = seen.get(key)
            if last is not None and now - last <= window:
                continue
            seen[key] = now
            order.append((now, key))
            out.append(key)
        self.duplicates += len(keys) - len(out)
        return out

    def prune(self, now: float) -> None:
        """Forget frames older than the window (and the oldest beyond the bound)."""
        limit, order, seen = now - self.window, self._order, self._seen
        while order and (order[0][0] < limit or len(order) > self.max_entries):
            when, key = order.popleft()
            if seen.get(key) == when:
                del seen[key]
