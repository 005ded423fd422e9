"""The per-socket Phoenix Channels state machine, without any I/O.

A :class:`Session` is fed whole WebSocket messages (``receive_text``,
``receive_binary``, and ``receive_push`` for the plain push, fast) and answers with
actions for the I/O layer (:mod:`tangram.channel.actions`, re-exported here): frames
to send, payloads to publish, memberships to start or end, a close. Token checking
is injected, so this module (and :mod:`tangram.channel.wire`) stay pure and can be
tested with literal frames and no event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

import orjson

from .actions import OK, Action, Close, Join, Leave, Membership, Publish, Send, reply
from .wire import (
    MAX_NAME_BYTES,
    OP_TEXT,
    BinaryPush,
    FrameError,
    PrefixMemo,
    decode_binary_push,
    decode_text_frame,
    encode_message,
    event_problem,
    json_name,
    topic_problem,
    ws_frame,
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

#: The whitespace JSON allows around the payload of a frame.
_WS = b" \t\n\r"
#: Headers of unmasked, final text frames of 0 to 125 bytes, by payload size.
_TEXT_HEADS = [bytes((0x80 | OP_TEXT, size)) for size in range(126)]
_new_tuple = tuple.__new__
#: RFC 6455 "invalid frame payload data": the client speaks something other than v2.
CLOSE_MALFORMED = 1007
#: Topics one socket may hold at once: each membership can stand for a client id (a
#: plugin serving ``streaming-<id>``), so one socket must not stand for thousands.
MAX_TOPICS_PER_SOCKET = 100

#: ``check(token, topic)`` returns the client id the token grants on ``topic``, or None;
#: it raises :class:`TokensUnavailable` while tokens cannot be checked at all.
TokenCheck = Callable[[str | None, str], str | None]


class TokensUnavailable(Exception):
    """The signing secret is not known yet (it lives in Redis, which is unreachable):
    the join is answered ``unavailable``, which phoenix.js retries, not ``unauthorized``."""


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
        self._last_event: str | None = None  # the last event that passed event_problem()
        self._prefix = PrefixMemo()
        # The last push's (join_ref, topic) and its ok reply around the ref (one entry).
        self._ack_key: tuple[str | None, str] | None = None
        self._ack_parts = (b"", b"")
        self._target: _PushMemo | None = None  # receive_push's target (one entry)

    def receive_push(self, data: bytes) -> Publish | None:
        """The frame a socket sends most, read fast: a push with a ``ref`` on the topic,
        event and ``join_ref`` of its last push, as text (UTF-8) ``data``. None when
        ``data`` is anything else (then :meth:`receive_text` answers it, with the
        same result as if this had not been tried: nothing changes here before a
        Publish is certain).

        The frame is parsed once, by orjson, which also validates it as strict JSON
        (bounded depth, no NaN, valid UTF-8: lone surrogates are left to the slow
        path); the names are checked once per change of target, and the payload is
        found by comparing bytes with the target's JSON, never re-encoded."""
        try:
            items = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
        if type(items) is not list or len(items) != 5:
            return None
        join_ref, ref, topic, event, _ = items
        if type(ref) is not str or type(topic) is not str:
            return None
        memo = self._target
        member = self.members.get(topic)
        if (
            memo is None
            or member is not memo.member
            or event != memo.event
            or (join_ref != memo.join_ref)
        ):
            memo = self._target = _PushMemo.make(member, join_ref, event)
            if memo is None:
                return None
        ref_json = encode_basestring(ref).encode()  # json_name(ref), without the call
        start = memo.head_size + len(ref_json)
        if not (
            data.startswith(memo.head)
            and data.startswith(ref_json, memo.head_size)
            and data.startswith(memo.tail, start)
            and data[-1] == 0x5D  # "]"
        ):
            return None  # not compact JSON: the slow path finds the payload
        payload = data[start + memo.tail_size : -1].strip(_WS)
        size = memo.ack_size + len(ref_json)
        if size < 126:
            frame = b"".join((_TEXT_HEADS[size], memo.head, ref_json, memo.ack_tail))
        else:
            frame = ws_frame(OP_TEXT, memo.head + ref_json + memo.ack_tail)
        # tuple.__new__: the same Publish, without the named tuple's __new__ (a Python
        # call, once per push); ``ack`` stays None (ok() builds it, off the hot path).
        return _new_tuple(Publish, (memo.channel, payload, join_ref, ref, topic, None, frame))

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


class _PushMemo:
    """What :meth:`Session.receive_push` knows of a socket's current push target: its
    membership, the JSON texts around a frame's ``ref`` and around its reply's, and the
    Redis channel. Made only for a target that passed every check of
    :meth:`Session._push`, and replaced on any change: one entry per socket."""

    __slots__ = (
        "ack_size",
        "ack_tail",
        "channel",
        "event",
        "head",
        "head_size",
        "join_ref",
        "member",
        "tail",
        "tail_size",
    )

    def __init__(self, member: Membership, join_ref: str | None, event: str) -> None:
        topic = member.topic
        self.member, self.join_ref, self.event = member, join_ref, event
        # A frame is head + ref + tail + payload + "]"; its ok reply head + ref + ack_tail.
        self.head = b"[" + json_name(join_ref) + b","
        self.tail = b"," + json_name(topic) + b"," + json_name(event) + b","
        self.ack_tail = b"," + json_name(topic) + b',"phx_reply",' + OK + b"]"
        self.head_size, self.tail_size = len(self.head), len(self.tail)
        self.ack_size = self.head_size + len(self.ack_tail)  # without the ref
        self.channel = f"from:{topic}:{event}"

    @classmethod
    def make(cls, member: Membership | None, join_ref: object, event: object) -> _PushMemo | None:
        """A memo for pushing ``event`` on ``member``'s topic, or None when such a push is
        not plainly accepted (not a member, a stale join_ref, an invalid event)."""
        if member is None or type(event) is not str:
            return None
        if join_ref is not None and join_ref != member.join_ref:
            return None
        if event_problem(event) is not None:
            return None
        return cls(member, join_ref, event)
