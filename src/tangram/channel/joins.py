"""Joins and leaves of one gateway process: subscription, replies, presence, events.

A join is answered only once Redis confirmed the topic's pattern, so that anything
published after the reply reaches the joiner. Its effects (hub membership, presence
entry, lifecycle and admin events) are undone by :meth:`Joins.leave`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from .actions import Join, Membership
from .events import Events
from .hub import Hub
from .presence import Presence
from .websocket import WebSocketSide
from .wire import encode_message

__all__ = ["JOIN_TIMEOUT_SECS", "Joins"]

log = logging.getLogger(__name__)

#: How long a join waits for Redis to confirm the topic's subscription.
JOIN_TIMEOUT_SECS = 5.0

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class Joins:
    """Carries out the Join and Leave actions of every connection of a process."""

    def __init__(self, hub: Hub, presence: Presence, events: Events, spawn: Spawn) -> None:
        self.hub = hub
        self.presence = presence
        self.events = events
        self._spawn = spawn
        self.timeout_secs = JOIN_TIMEOUT_SECS

    async def join(self, conn: WebSocketSide, action: Join) -> None:
        m = action.membership
        session = conn.session
        assert session is not None
        added = False
        try:
            if not await self._subscribed(m.topic):
                session.drop(m)
                conn.send_text(action.unavailable)
                log.warning("join of %r failed: Redis did not confirm the subscription", m.topic)
                return
            if conn.closing or session.members.get(m.topic) is not m:
                return  # disconnected, left or replaced while Redis confirmed
            added = True
        finally:
            # Every way a join ends without a member (refused, gone meanwhile,
            # cancelled) gives the pattern back, unless another member holds it.
            if not added:
                self.hub.release(m.topic)
        await self._joined(conn, action)

    async def _joined(self, conn: WebSocketSide, action: Join) -> None:
        m = action.membership
        first = self.hub.add(m.topic, conn)
        m.active = True
        conn.memberships[m.phx_ref] = m
        conn.send_text(action.ok)
        if not m.active:
            return  # the reply itself overflowed a slow client, which was closed
        # Announced now, so that plugins always see the join before any leave.
        self.events.lifecycle(m.topic, m.client_id, m.phx_ref, "phx_join")
        if first:
            self.events.admin("channel.add", channel=m.topic, channels=sorted(self.hub.topics))
        try:
            # Joins arriving together share one read and one encoded state.
            snapshot = await self.presence.track(m)
            state, members = snapshot.state, snapshot.members
        except Exception as exc:  # Redis down or refusing: degrade, go on
            log.warning("presence of %r unavailable (%s); sending the joiner alone", m.topic, exc)
            state = json.dumps({m.client_id: {"metas": [{"phx_ref": m.phx_ref}]}}).encode()
            members = self.members(m.topic)
        # members: every instance's, from the shared presence (the joiner included).
        self.events.admin("channel.join", channel=m.topic, id=m.client_id, members=members)
        if not m.active:
            return  # left (or disconnected) while Redis answered
        conn.send_text(encode_message(m.join_ref, None, m.topic, "presence_state", state))
        self.presence.announce_join(m)

    async def _subscribed(self, topic: str) -> bool:
        """Wait until Redis confirmed the topic's pattern (False after the timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_secs
        while True:
            future = self.hub.subscribe(topic)
            try:
                await asyncio.wait_for(asyncio.shield(future), deadline - loop.time())
                return True
            except asyncio.TimeoutError:
                return False
            except asyncio.CancelledError:
                # The topic's last member left meanwhile, dropping the pattern:
                # subscribe again. A cancellation of this task itself propagates.
                if not future.cancelled() or loop.time() >= deadline:
                    raise

    def leave(self, conn: WebSocketSide, m: Membership, reason: str) -> None:
        if not m.active:
            return
        m.active = False
        conn.memberships.pop(m.phx_ref, None)
        empty = self.hub.remove(m.topic, conn)
        self.presence.untrack(m)
        self.events.lifecycle(m.topic, m.client_id, m.phx_ref, "phx_leave", reason)
        self._spawn(self._admin_leave(m, reason, empty))

    async def _admin_leave(self, m: Membership, reason: str, empty: bool) -> None:
        # Queued after untrack's HDEL, so the shared presence no longer lists m.
        try:
            members = await self.presence.members(m.topic)
        except Exception:  # Redis down: the local view is the best there is
            members = self.members(m.topic)
        self.events.admin(
            "channel.leave", channel=m.topic, id=m.client_id, reason=reason, members=members
        )
        if empty:
            self.events.admin("channel.remove", channel=m.topic, channels=sorted(self.hub.topics))

    def members(self, topic: str) -> list[str]:
        """Client ids of the topic's active local members."""
        ids: set[str] = set()
        for member in self.hub.topics.get(topic, ()):
            session = getattr(member, "session", None)
            m = session.members.get(topic) if session is not None else None
            if m is not None and m.active:
                ids.add(m.client_id)
        return sorted(ids)
