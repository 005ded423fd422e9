"""Presence diffs coalesced per topic over a short window.

Publishing one ``presence_diff`` per join makes a storm of N joins cost N frames for
each of N members: N². Instead, the joins and leaves of one topic that happen within
``window_secs`` are merged into one diff, so that each member gets about one frame
per window however many joined.

Merging follows phoenix.js' ``Presence.syncDiff``, which applies a diff's joins before
its leaves and matches metas by ``phx_ref``:

- a leave of a ref whose join is still pending drops that join, and the leave is
  kept (some members may have seen the ref in their ``presence_state`` already, and a
  leave of a ref they never saw changes nothing for them);
- a join of a ref that a member already has (from its ``presence_state``) replaces
  the same meta, so repeating it is harmless.

:class:`PendingDiff` is sans-I/O; :class:`DiffBuffer` adds the timers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

__all__ = ["DIFF_WINDOW_SECS", "DiffBuffer", "PendingDiff"]

#: Default window over which one topic's presence changes are merged into one diff.
DIFF_WINDOW_SECS = 0.1

Meta = dict[str, Any]


def _group(entries: dict[str, tuple[str, Meta]]) -> dict[str, dict[str, list[Meta]]]:
    grouped: dict[str, dict[str, list[Meta]]] = {}
    for client_id, meta in entries.values():
        grouped.setdefault(client_id, {"metas": []})["metas"].append(meta)
    return grouped


class PendingDiff:
    """The joins and leaves of one topic not yet published, keyed by ``phx_ref``."""

    def __init__(self) -> None:
        self.joins: dict[str, tuple[str, Meta]] = {}
        self.leaves: dict[str, tuple[str, Meta]] = {}

    def join(self, client_id: str, meta: Meta) -> None:
        self.joins[meta["phx_ref"]] = (client_id, meta)

    def leave(self, client_id: str, meta: Meta) -> None:
        ref = meta["phx_ref"]
        self.joins.pop(ref, None)
        self.leaves[ref] = (client_id, meta)

    def __bool__(self) -> bool:
        return bool(self.joins or self.leaves)

    def encode(self) -> bytes:
        """The phoenix.js ``presence_diff`` payload: ``{"joins": ..., "leaves": ...}``."""
        return json.dumps({"joins": _group(self.joins), "leaves": _group(self.leaves)}).encode()


class DiffBuffer:
    """Collects presence changes per topic; ``publish(topic, diff)`` once per window."""

    def __init__(
        self, publish: Callable[[str, bytes], None], window_secs: float = DIFF_WINDOW_SECS
    ) -> None:
        self._publish = publish
        self.window_secs = window_secs
        self._pending: dict[str, PendingDiff] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def join(self, topic: str, client_id: str, meta: Meta) -> None:
        self._topic(topic).join(client_id, meta)

    def leave(self, topic: str, client_id: str, meta: Meta) -> None:
        self._topic(topic).leave(client_id, meta)

    def _topic(self, topic: str) -> PendingDiff:
        pending = self._pending.get(topic)
        if pending is None:
            pending = self._pending[topic] = PendingDiff()
            if self.window_secs <= 0:
                asyncio.get_running_loop().call_soon(self.flush, topic)
            else:
                self._timers[topic] = asyncio.get_running_loop().call_later(
                    self.window_secs, self.flush, topic
                )
        return pending

    def flush(self, topic: str) -> None:
        """Publish ``topic``'s pending diff now (nothing when there is none)."""
        timer = self._timers.pop(topic, None)
        if timer is not None:
            timer.cancel()
        pending = self._pending.pop(topic, None)
        if pending:
            self._publish(topic, pending.encode())

    def flush_all(self) -> None:
        for topic in list(self._pending):
            self.flush(topic)
