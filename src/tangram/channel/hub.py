"""Routing Redis messages to joined sockets: one pub/sub connection per process.

Each topic with local members has one ``PSUBSCRIBE to:<topic>:*``. A message on
``to:<topic>:<event>`` (split at the *last* colon) goes to the members of exactly
that topic, once: when several patterns match one channel (members of ``weather``
and of ``weather:wind``), only the pattern built from the channel's own topic
delivers it. The frame is encoded once and the same bytes are queued on every
member; queues are flushed (one write per socket) when Redis's read batch ends.

Consecutive messages of one topic within a read batch (a run) are joined once and
queued on each member as one piece: per delivery, the hot path does no Python work
at all, only per member and run. Runs keep the order of the batch, so every socket
still receives its topics' messages in the order Redis sent them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from ..resp import PubSubClient
from .wire import FrameError, PayloadTooDeep, encode_broadcast

__all__ = ["PERMANENT", "Hub", "Member", "pattern_for"]

log = logging.getLogger(__name__)

#: Topics subscribed for the whole life of the process.
PERMANENT = ("system", "admin")


class Member(Protocol):
    def queue(self, frame: bytes) -> bool: ...
    def flush(self) -> None: ...


def pattern_for(topic: str) -> bytes:
    return f"to:{topic}:*".encode()


class Hub:
    """Topic memberships of this process and the fan-out of Redis messages."""

    def __init__(self, redis_url: str, stats: dict[str, int]) -> None:
        self.stats = stats
        self.topics: dict[str, set[Member]] = {}
        # Same sets, keyed by the subscription pattern that delivers them.
        self._by_pattern: dict[bytes, set[Member]] = {}
        self._dirty: list[Member] = []
        # The run in progress: consecutive frames of one topic, and that topic's members.
        self._run_members: set[Member] | None = None
        self._run_frames: list[bytes] = []
        self.pubsub = PubSubClient(redis_url, self._on_message, self._flush)

    def start(self) -> None:
        """Subscribe the permanent topics; the link connects (and reconnects) by itself."""
        for topic in PERMANENT:
            self.pubsub.psubscribe(pattern_for(topic))
        self.pubsub.start()

    async def stop(self) -> None:
        await self.pubsub.stop()

    def subscribe(self, topic: str) -> asyncio.Future[None]:
        """Resolves once Redis confirmed the topic's pattern (at once if it already had)."""
        return self.pubsub.psubscribe(pattern_for(topic))

    def release(self, topic: str) -> None:
        """Drop the topic's pattern if a join asked for it but nobody became a member."""
        if topic not in self.topics and topic not in PERMANENT:
            self.pubsub.punsubscribe(pattern_for(topic))

    def add(self, topic: str, member: Member) -> bool:
        """Add ``member``; True when it is the topic's first local member."""
        members = self.topics.get(topic)
        first = members is None
        if members is None:
            members = self.topics[topic] = set()
            self._by_pattern[pattern_for(topic)] = members
        members.add(member)
        return first

    def remove(self, topic: str, member: Member) -> bool:
        """Remove ``member``; True when the topic has no local member left."""
        members = self.topics.get(topic)
        if members is None:
            return False
        members.discard(member)
        if members:
            return False
        del self.topics[topic]
        pattern = pattern_for(topic)
        del self._by_pattern[pattern]
        if topic not in PERMANENT:
            self.pubsub.punsubscribe(pattern)
        return True

    def _on_message(self, pattern: bytes, channel: bytes, payload: bytes) -> None:
        members = self._by_pattern.get(pattern)
        if not members:
            return
        head, sep, event = channel.rpartition(b":")
        # pattern is b"to:<topic>:*": deliver only through the channel's own topic.
        if not sep or head != pattern[:-2]:
            return
        topic = head[3:].decode("utf-8", "replace")
        try:
            frame = encode_broadcast(topic, event.decode("utf-8", "replace"), payload)
        except FrameError as exc:
            log.warning("dropped a message on %r: %s", channel, exc)
            too_deep = isinstance(exc, PayloadTooDeep)
            self.stats["dropped_too_deep" if too_deep else "dropped_unencodable"] += 1
            return
        self.stats["redis_messages"] += 1
        self.stats["delivered"] += len(members)
        if members is self._run_members:
            self._run_frames.append(frame)
        else:
            self._end_run()
            self._run_members, self._run_frames = members, [frame]

    def _end_run(self) -> None:
        """Queue the run in progress on its members (called before anything else may
        change the member sets: at the end of the batch, or when another topic starts)."""
        members, frames = self._run_members, self._run_frames
        if members is None:
            return
        self._run_members, self._run_frames = None, []
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        dirty = self._dirty
        for member in members:
            if member.queue(data):  # True: first piece since the last flush
                dirty.append(member)

    def _flush(self) -> None:
        self._end_run()
        dirty, self._dirty = self._dirty, []
        for member in dirty:
            member.flush()
