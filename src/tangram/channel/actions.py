"""What a Phoenix session asks of the I/O layer, without any I/O.

:class:`~tangram.channel.phoenix.Session` answers every message with a list of these
actions (send a frame, publish, start or end a membership, close), and
:mod:`tangram.channel.websocket` carries them out. Apart from the state machine
because both sides use them: the session builds them, the I/O layer and the
gateway's joins read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from .wire import encode_message

__all__ = ["OK", "Action", "Close", "Join", "Leave", "Membership", "Publish", "Send", "reply"]

#: The body of an ``ok`` reply with an empty response.
OK = b'{"status":"ok","response":{}}'


@dataclass(slots=True)
class Membership:
    """One join of one topic by this socket; ``phx_ref`` is unique across gateways."""

    topic: str
    join_ref: str
    client_id: str
    phx_ref: str
    #: Set by the gateway once the join took effect; a Leave of an inactive one is a no-op.
    active: bool = False


@dataclass(frozen=True, slots=True)
class Send:
    """Send this text frame (Phoenix JSON text, not yet WebSocket-framed)."""

    text: bytes


class Publish(NamedTuple):
    """Publish ``payload`` to Redis ``channel``, then answer with :meth:`ok` (or
    :meth:`unavailable` when Redis cannot take it); no answer when ``ref`` is None.
    (A named tuple: one is made per push, and a frozen dataclass costs twice that.)"""

    channel: str
    payload: bytes
    join_ref: str | None
    ref: str | None
    topic: str
    #: The ``ok`` reply, when the session built it ahead (the same bytes as reply()).
    ack: bytes | None = None
    #: The same reply as a complete WebSocket text frame, when built ahead.
    ack_frame: bytes | None = None

    def ok(self) -> bytes | None:
        if self.ack is not None or self.ref is None:
            return self.ack
        return reply(self.join_ref, self.ref, self.topic, "ok")

    def unavailable(self) -> bytes | None:
        if self.ref is None:
            return None
        return reply(self.join_ref, self.ref, self.topic, "error", reason="unavailable")


@dataclass(frozen=True, slots=True)
class Join:
    """Start ``membership``: subscribe, then send ``ok`` and the presence state (or
    ``unavailable`` and forget the membership when Redis cannot be reached)."""

    membership: Membership
    ref: str | None
    ok: bytes
    unavailable: bytes


@dataclass(frozen=True, slots=True)
class Leave:
    """End ``membership``; ``reason`` goes to plugins in ``from:<topic>:phx_leave``."""

    membership: Membership
    reason: str


@dataclass(frozen=True, slots=True)
class Close:
    """Close the socket with this WebSocket close code and reason."""

    code: int
    reason: str


Action = Send | Publish | Join | Leave | Close


def reply(join_ref: str | None, ref: str | None, topic: str, status: str, **response: Any) -> bytes:
    """A ``phx_reply`` frame: ``{"status": status, "response": response}``."""
    if status == "ok" and not response:
        body = OK
    elif list(response) == ["reason"] and isinstance(response["reason"], str):
        body = b'{"status":%s,"response":{"reason":%s}}' % (
            encode_basestring(status).encode(),
            encode_basestring(response["reason"]).encode(),
        )
    else:
        body = json.dumps({"status": status, "response": response}).encode()
    return encode_message(join_ref, ref, topic, "phx_reply", body)
