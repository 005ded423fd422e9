"""Presence shared by every gateway process on one Redis.

Layout in Redis:

- ``tangram:presence:<topic>``: hash ``phx_ref -> {"id": ..., "meta": {...}}``, one
  field per join anywhere;
- ``tangram:channel:instance:<instance>:refs``: hash ``phx_ref -> topic`` of the joins
  held by one gateway process, so that its entries can be removed when it dies;
- ``tangram:channel:instance:<instance>:alive``: a key with a short TTL, refreshed
  while the process lives; ``tangram:channel:instances`` lists the instances.

Diffs are published to ``to:<topic>:presence_diff``, so they reach the members on
every instance through the normal routing; each process merges its changes of one
topic over a short window into one diff (:mod:`.coalesce`). Joins that arrive while
a topic's state is being read share the next read (one ``HGETALL`` in flight per
topic), so that a storm of N joins reads and encodes the state a few times, not N.

When an instance's liveness key expires, the survivors remove its entries and
publish the leaves; ``HDEL`` decides which survivor publishes, so each leave is
announced once. An instance that was only stalled (paused, swapped out) past the
TTL notices on its next heartbeat that it was reaped (its liveness key or its
``refs`` hash is gone), re-records its entries and announces them as joins again:
its clients are still connected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..resp import CommandClient, RedisDown
from .actions import Membership
from .coalesce import DIFF_WINDOW_SECS, DiffBuffer

__all__ = ["INSTANCES", "Presence", "Snapshot", "presence_state"]

log = logging.getLogger(__name__)

INSTANCES = "tangram:channel:instances"


def _topic_key(topic: str) -> str:
    return f"tangram:presence:{topic}"


def _instance_key(instance: str, what: str) -> str:
    return f"tangram:channel:instance:{instance}:{what}"


def presence_state(entries: Iterable[bytes]) -> dict[str, dict[str, list[Any]]]:
    """phoenix.js ``presence_state`` from stored entries: ``{id: {"metas": [...]}}``."""
    state: dict[str, dict[str, list[Any]]] = {}
    for raw in entries:
        entry = json.loads(raw)
        state.setdefault(entry["id"], {"metas": []})["metas"].append(entry["meta"])
    return state


class Snapshot:
    """One read of a topic's presence: the ``presence_state`` payload and the ids."""

    __slots__ = ("members", "state")

    def __init__(self, flat: list[bytes]) -> None:
        state = presence_state(flat[1::2])
        self.state = json.dumps(state).encode()
        self.members = sorted(state)


Waiter = Callable[[Snapshot | BaseException], None]


class Presence:
    """Tracks this process's joins in Redis and reaps those of dead processes."""

    def __init__(
        self,
        commands: CommandClient,
        instance: str,
        ttl_secs: float = 3.0,
        window_secs: float = DIFF_WINDOW_SECS,
    ) -> None:
        self.commands = commands
        self.instance = instance
        self.ttl_ms = int(ttl_secs * 1000)
        self._local: dict[str, tuple[str, bytes]] = {}  # phx_ref -> (topic, entry)
        self.diffs = DiffBuffer(self._publish_diff, window_secs)
        # Group reads: topics with an HGETALL in flight, and who waits for the next one.
        self._reading: set[str] = set()
        self._next_read: dict[str, list[Waiter]] = {}

    def _publish_diff(self, topic: str, diff: bytes) -> None:
        self.commands.send("PUBLISH", f"to:{topic}:presence_diff", diff)

    async def track(self, m: Membership) -> Snapshot:
        """Record ``m`` and return the topic's full state (``m`` included)."""
        meta = {"phx_ref": m.phx_ref, "online_at": int(time.time() * 1000)}
        entry = json.dumps({"id": m.client_id, "meta": meta}).encode()
        self._local[m.phx_ref] = (m.topic, entry)
        self.commands.send("HSET", _instance_key(self.instance, "refs"), m.phx_ref, m.topic)
        self.commands.send("HSET", _topic_key(m.topic), m.phx_ref, entry)
        return await self.snapshot(m.topic)

    async def snapshot(self, topic: str) -> Snapshot:
        """The topic's state as Redis has it after every command sent so far.

        Raises RedisDown (or Redis' error reply)."""
        future: asyncio.Future[Snapshot] = asyncio.get_running_loop().create_future()

        def wake(result: Snapshot | BaseException) -> None:
            if future.done():
                return  # the waiter was cancelled
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        waiters = self._next_read.get(topic)
        if waiters is not None:
            waiters.append(wake)  # a read is already queued after our commands
        elif topic in self._reading:
            # The read in flight was sent before our commands: wait for the next one.
            self._next_read[topic] = [wake]
        else:
            self._read(topic, [wake])
        return await future

    def _read(self, topic: str, waiters: list[Waiter]) -> None:
        self._reading.add(topic)
        sent = self.commands.call_then(
            self._read_done, (topic, waiters), "HGETALL", _topic_key(topic)
        )
        if not sent:
            self._read_done((topic, waiters), RedisDown("Redis is unreachable"))

    def _read_done(self, context: tuple[str, list[Waiter]], reply: Any) -> None:
        topic, waiters = context
        self._reading.discard(topic)
        result: Snapshot | BaseException
        if isinstance(reply, BaseException):
            result = reply  # RedisDown, or Redis' error reply
        else:
            try:
                result = Snapshot(reply)
            except (ValueError, KeyError, TypeError) as exc:  # a foreign entry in the hash
                result = exc
        for wake in waiters:
            wake(result)
        queued = self._next_read.pop(topic, None)
        if queued is not None:
            self._read(topic, queued)

    def announce_join(self, m: Membership) -> None:
        """Tell every member (on every instance) that ``m`` joined (within the window)."""
        local = self._local.get(m.phx_ref)
        if local is not None:
            self.diffs.join(m.topic, m.client_id, json.loads(local[1])["meta"])

    def untrack(self, m: Membership) -> None:
        local = self._local.pop(m.phx_ref, None)
        if local is None:
            return
        meta = json.loads(local[1])["meta"]
        self.commands.send("HDEL", _topic_key(m.topic), m.phx_ref)
        self.commands.send("HDEL", _instance_key(self.instance, "refs"), m.phx_ref)
        self.diffs.leave(m.topic, m.client_id, meta)

    def heartbeat(self) -> None:
        """Refresh this instance's liveness (alive key first, then the listing)."""
        self.commands.send("SET", _instance_key(self.instance, "alive"), "1", "PX", self.ttl_ms)
        self.commands.send("SADD", INSTANCES, self.instance)

    async def beat(self) -> bool:
        """Refresh liveness; True when this instance may have been reaped meanwhile (its
        liveness key had expired, or its ``refs`` hash is gone) and holds joins, so
        that the caller must :meth:`restore` them. Raises RedisDown."""
        alive_key = _instance_key(self.instance, "alive")
        was_alive = self.commands.call("SET", alive_key, "1", "PX", self.ttl_ms, "GET")
        self.commands.send("SADD", INSTANCES, self.instance)
        if not self._local:
            await was_alive
            return False
        # A reap ends with DEL of the refs hash, so a reap that raced with an earlier
        # restore is still seen here, on the next beat.
        refs = self.commands.call("EXISTS", _instance_key(self.instance, "refs"))
        return (await was_alive) is None or not await refs

    async def restore(self) -> list[tuple[str, str, str]]:
        """Re-record this process's joins (after a reap, or after Redis lost its data);
        entries that were gone are announced as joins. Returns their
        ``(topic, client id, phx_ref)``. Raises RedisDown."""
        self.heartbeat()
        pending = []
        for ref, (topic, entry) in list(self._local.items()):
            self.commands.send("HSET", _instance_key(self.instance, "refs"), ref, topic)
            pending.append(
                (ref, topic, self.commands.call("HSETNX", _topic_key(topic), ref, entry))
            )
        restored: list[tuple[str, str, str]] = []
        for ref, topic, added in pending:
            result = await added
            local = self._local.get(ref)
            # Untracked meanwhile: its HDEL followed our HSETNX and its leave went out.
            if result != 1 or local is None:
                continue
            parsed = json.loads(local[1])
            self.diffs.join(topic, parsed["id"], parsed["meta"])
            restored.append((topic, parsed["id"], ref))
        if restored:
            log.warning(
                "restored %d presence entries of this gateway (reaped or lost)", len(restored)
            )
        return restored

    async def members(self, topic: str) -> list[str]:
        """The client ids present on ``topic`` across every instance."""
        return (await self.snapshot(topic)).members

    async def leave(self) -> None:
        """Clean shutdown: remove every local entry and announce the leaves."""
        for ref, (topic, entry) in list(self._local.items()):
            parsed = json.loads(entry)
            m = Membership(topic, "", parsed["id"], ref)
            self.untrack(m)
        self.diffs.flush_all()
        self.commands.send("DEL", _instance_key(self.instance, "refs"))
        self.commands.send("DEL", _instance_key(self.instance, "alive"))
        await self.commands.execute("SREM", INSTANCES, self.instance)

    async def reap(self) -> list[tuple[str, str, str]]:
        """Remove the entries of instances whose liveness expired; returns the
        ``(topic, client id, phx_ref)`` leaves this process announced."""
        reaped: list[tuple[str, str, str]] = []
        try:
            for raw in await self.commands.execute("SMEMBERS", INSTANCES):
                other = raw.decode()
                if other == self.instance:
                    continue
                if await self.commands.execute("EXISTS", _instance_key(other, "alive")):
                    continue
                reaped += await self._reap_instance(other)
        except RedisDown:
            pass
        return reaped

    async def _reap_instance(self, other: str) -> list[tuple[str, str, str]]:
        refs_key = _instance_key(other, "refs")
        flat = await self.commands.execute("HGETALL", refs_key)
        reaped: list[tuple[str, str, str]] = []
        for ref, topic_raw in zip(flat[::2], flat[1::2], strict=True):
            topic = topic_raw.decode()
            entry = await self.commands.execute("HGET", _topic_key(topic), ref)
            removed = await self.commands.execute("HDEL", _topic_key(topic), ref)
            if not removed or entry is None:
                continue  # another survivor got there first
            parsed = json.loads(entry)
            self.diffs.leave(topic, parsed["id"], parsed["meta"])
            reaped.append((topic, parsed["id"], ref.decode()))
        self.commands.send("DEL", refs_key)
        self.commands.send("SREM", INSTANCES, other)
        if reaped:
            log.warning(
                "gateway instance %s stopped answering; removed its %d presence entries",
                other,
                len(reaped),
            )
        return reaped
