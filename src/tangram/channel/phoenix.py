"""The per-socket Phoenix Channels state machine, without any I/O.

A :class:`Session` is fed whole WebSocket messages (``receive_text``,
``receive_binary``) and answers with a list of actions for the I/O layer: frames
to send, payloads to publish, memberships to start or end, a close. Token checking
is injected, so this module (and :mod:`tangram.channel.wire`) stay pure and can be
tested with literal frames and no event loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from .wire import (
    MAX_NAME_BYTES,
    BinaryPush,
    FrameError,
    PrefixMemo,
    decode_binary_push,
    decode_text_frame,
    encode_message,
    event_problem,
    json_name,
    topic_problem,
)

__all__ = [
    "CLOSE_MALFORMED",
    "MAX_TOPICS_PER_SOCKET",
    "Close",
    "Join",
    "Leave",
    "Membership",
    "Publish",
    "Send",
    "Session",
    "TokenCheck",
    "TokensUnavailable",
    "reply",
]

#: RFC 6455 "invalid frame payload data": the client speaks something other than v2.
CLOSE_MALFORMED = 1007
OK = b'{"status":"ok","response":{}}'
#: Topics one socket may hold at once: each membership can stand for a client id (a
#: plugin serving ``streaming-<id>``), so one socket must not stand for thousands.
MAX_TOPICS_PER_SOCKET = 100

#: ``check(token, topic)`` returns the client id the token grants on ``topic``, or None;
#: it raises :class:`TokensUnavailable` while tokens cannot be checked at all.
TokenCheck = Callable[[str | None, str], str | None]


class TokensUnavailable(Exception):
    """The signing secret is not known yet (it lives in Redis, which is unreachable):
    the join is answered ``unavailable``, which phoenix.js retries, not ``unauthorized``."""


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


@dataclass(frozen=True, slots=True)
class Publish:
    """Publish ``payload`` to Redis ``channel``, then answer with :meth:`ok` (or
    :meth:`unavailable` when Redis cannot take it); no answer when ``ref`` is None."""

    channel: str
    payload: bytes
    join_ref: str | None
    ref: str | None
    topic: str
    #: The ``ok`` reply, when the session built it ahead (the same bytes as reply()).
    ack: bytes | None = None

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


class Session:
    """The Phoenix state of one socket: its memberships by topic."""

    def __init__(
        self,
        check_token: TokenCheck,
        new_phx_ref: Callable[[], str],
        user_token: str | None = None,
    ) -> None:
        self._check_token = check_token
        self._new_phx_ref = new_phx_ref
        self._user_token = user_token
        self.members: dict[str, Membership] = {}
        self._last_event = ""  # the last event name that passed event_problem()
        self._prefix = PrefixMemo()
        # The last push's (join_ref, topic) and its ok reply around the ref (one entry).
        self._ack_key: tuple[str | None, str] | None = None
        self._ack_parts = (b"", b"")

    def receive_text(self, text: str) -> list[Action]:
        try:
            frame = decode_text_frame(text, self._prefix)
        except FrameError as exc:
            return self._malformed(exc)
        if len(frame.topic) > MAX_NAME_BYTES:
            # First thing: an over-long topic is never looked up, validated or kept.
            msg = f"invalid topic: longer than {MAX_NAME_BYTES} bytes"
            return [Send(reply(frame.join_ref, frame.ref, frame.topic, "error", reason=msg))]
        if frame.topic == "phoenix":
            if frame.event == "heartbeat":
                return [Send(reply(None, frame.ref, "phoenix", "ok"))]
            return [Send(_unmatched(frame.join_ref, frame.ref, frame.topic))]
        if frame.event == "phx_join":
            return self._join(frame.join_ref, frame.ref, frame.topic, frame.payload)
        if frame.event == "phx_leave":
            return self._leave(frame.join_ref, frame.ref, frame.topic)
        return self._push(
            frame.join_ref, frame.ref, frame.topic, frame.event, frame.raw_payload.encode()
        )

    def receive_binary(self, data: bytes) -> list[Action]:
        try:
            push: BinaryPush = decode_binary_push(data)
        except FrameError as exc:
            return [Close(CLOSE_MALFORMED, f"malformed binary frame: {exc}")]
        # Binary header names are at most 255 bytes by construction (one length byte).
        return self._push(push.join_ref, push.ref, push.topic, push.event, push.payload)

    def close(self, reason: str) -> list[Action]:
        """The socket ended: every membership ends with ``reason``."""
        leaves: list[Action] = [Leave(m, reason) for m in self.members.values()]
        self.members.clear()
        return leaves

    def drop(self, membership: Membership) -> None:
        """Forget ``membership`` without a Leave (its join could not complete)."""
        if self.members.get(membership.topic) is membership:
            del self.members[membership.topic]

    def _malformed(self, exc: FrameError) -> list[Action]:
        if exc.topic is not None and exc.ref is not None:
            msg = reply(exc.join_ref, exc.ref, exc.topic, "error", reason=f"malformed frame: {exc}")
            return [Send(msg)]
        # Without a topic and ref no reply can be routed by the client: close cleanly
        # rather than leave it waiting for an answer that cannot come.
        return [Close(CLOSE_MALFORMED, f"malformed frame: {exc}"[:120])]

    def _join(
        self, join_ref: str | None, ref: str | None, topic: str, payload: Any
    ) -> list[Action]:
        problem = topic_problem(topic)
        if problem is not None:
            return [Send(reply(join_ref, ref, topic, "error", reason=f"invalid topic: {problem}"))]
        if join_ref is None:
            return [Send(reply(None, ref, topic, "error", reason="phx_join needs a join_ref"))]
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str):
            token = self._user_token
        if token is not None and not token.isascii():
            # A JWT is ASCII; anything else (a lone surrogate, say) is not worth decoding.
            return [Send(reply(join_ref, ref, topic, "error", reason="unauthorized"))]
        try:
            client_id = self._check_token(token, topic)
        except TokensUnavailable as exc:
            return [
                Send(reply(join_ref, ref, topic, "error", reason="unavailable", detail=str(exc)))
            ]
        if client_id is None:
            return [Send(reply(join_ref, ref, topic, "error", reason="unauthorized"))]
        if topic not in self.members and len(self.members) >= MAX_TOPICS_PER_SOCKET:
            reason = f"too many topics: a socket may join at most {MAX_TOPICS_PER_SOCKET}"
            return [Send(reply(join_ref, ref, topic, "error", reason=reason))]
        # Every frame is built before any state changes, so that a failure leaves none.
        ok = reply(join_ref, ref, topic, "ok")
        unavailable = reply(join_ref, ref, topic, "error", reason="unavailable")
        old = self.members.get(topic)
        actions: list[Action] = []
        if old is not None:
            # As Phoenix does: close the old channel (phoenix.js drops this for the new
            # one, whose join_ref differs).
            close = encode_message(old.join_ref, None, topic, "phx_close", b"{}")
            actions += [Leave(old, "replaced"), Send(close)]
        membership = Membership(topic, join_ref, client_id, self._new_phx_ref())
        self.members[topic] = membership
        actions.append(Join(membership, ref, ok, unavailable))
        return actions

    def _leave(self, join_ref: str | None, ref: str | None, topic: str) -> list[Action]:
        ok = Send(reply(join_ref, ref, topic, "ok"))  # built first: see _join
        current = self.members.get(topic)
        # A leave carrying a stale join_ref must not end the newer membership.
        if current is not None and join_ref in (None, current.join_ref):
            del self.members[topic]
            return [Leave(current, "leave"), ok]
        return [ok]

    def _push(
        self, join_ref: str | None, ref: str | None, topic: str, event: str, payload: bytes
    ) -> list[Action]:
        current = self.members.get(topic)
        if current is None or join_ref not in (None, current.join_ref):
            return [Send(_unmatched(join_ref, ref, topic))] if ref is not None else []
        # Checked here, where text and binary pushes meet (phx_* included). A client
        # pushes one event over and over: the last valid name (one, at most 255
        # bytes) is remembered, so that the check runs once per change.
        if event != self._last_event:
            problem = event_problem(event)
            if problem is not None:
                msg = reply(join_ref, ref, topic, "error", reason=f"invalid event: {problem}")
                return [Send(msg)] if ref is not None else []
            self._last_event = event
        ack = None
        if ref is not None:
            if (join_ref, topic) != self._ack_key:
                self._ack_key = (join_ref, topic)
                self._ack_parts = (
                    b"[" + json_name(join_ref) + b",",
                    b"," + json_name(topic) + b',"phx_reply",' + OK + b"]",
                )
            head, tail = self._ack_parts
            ack = head + json_name(ref) + tail
        return [Publish(f"from:{topic}:{event}", payload, join_ref, ref, topic, ack)]


def _unmatched(join_ref: str | None, ref: str | None, topic: str) -> bytes:
    return reply(join_ref, ref, topic, "error", reason="unmatched topic")
