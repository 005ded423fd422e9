"""tangram's lean Redis client (asyncio + hiredis), for hot paths.

Used by the channel gateway and by plugins' high-rate feeds (jet1090): pipelined
commands with futures or callbacks (:class:`CommandClient`), and pub/sub with
synchronous per-message callbacks (:class:`PubSubClient`). Both connect over TCP,
TLS (``rediss://``) or a unix socket (``unix://``), authenticate, select the database,
and reconnect by themselves with one backoff policy (:data:`RECONNECT_DELAYS`).
URLs are parsed by :mod:`tangram.redis_url`. It never imports redis-py, so a process
that only needs this (a gateway worker) starts fast.
"""

from __future__ import annotations

from .commands import CommandClient, ReplyCallback
from .link import PROBE_SECS, RECONNECT_DELAYS, Link, RedisDown, backoff_delays
from .pubsub import MessageHandler, PatternHandler, PubSubClient

__all__ = [
    "PROBE_SECS",
    "RECONNECT_DELAYS",
    "CommandClient",
    "Link",
    "MessageHandler",
    "PatternHandler",
    "PubSubClient",
    "RedisDown",
    "ReplyCallback",
    "backoff_delays",
]
