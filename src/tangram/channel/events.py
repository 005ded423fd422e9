"""What the gateway itself publishes to Redis: lifecycle events and admin meta events.

Lifecycle events (``from:<topic>:phx_join`` / ``phx_leave``) tell plugins who joined
and left, and which membership: ``phx_ref`` (the presence meta's ref, unique across
processes) tells a leave of a membership that was since replaced (a client that
re-joined through another process before the reaper announced its old one) from the
end of the current one. Admin events (``to:admin:channel.*``) reach the members of
topic ``admin``. Both are fire-and-forget on the pipelined command link.
"""

from __future__ import annotations

import collections
import json
from typing import Any

from ..resp import CommandClient

__all__ = ["Events"]


class Events:
    """Publishes the gateway's own events on ``commands``; counts lifecycle losses."""

    def __init__(self, commands: CommandClient, stats: collections.Counter[str]) -> None:
        self.commands = commands
        self.stats = stats

    def lifecycle(
        self, topic: str, client_id: str, phx_ref: str, event: str, reason: str | None = None
    ) -> None:
        payload: dict[str, str] = {"id": client_id, "topic": topic, "phx_ref": phx_ref}
        if reason is not None:
            payload["reason"] = reason
        if not self.commands.send("PUBLISH", f"from:{topic}:{event}", json.dumps(payload)):
            self.stats["lifecycle_lost"] += 1

    def admin(self, event: str, **payload: Any) -> None:
        self.commands.send("PUBLISH", f"to:admin:{event}", json.dumps(payload))
