"""Phoenix Channels v2 wire format, without any I/O.

Client frames are decoded so that the payload's *original text* is kept next to its
parsed value: what a browser pushes reaches Redis byte for byte, never re-serialised.
Server frames are built by splicing payload bytes into a prefix, so a Redis message is
encoded once (as a complete, unmasked WebSocket frame) and the same bytes are written
to every subscriber.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

import orjson

from .strict_json import JsonError, TooDeep, loads_strict, reconsider

__all__ = [
    "BinaryPush",
    "FrameError",
    "PayloadTooDeep",
    "PrefixMemo",
    "TextFrame",
    "decode_binary_push",
    "decode_text_frame",
    "encode_binary_push",
    "encode_broadcast",
    "encode_message",
    "event_problem",
    "json_name",
    "name_too_long",
    "topic_problem",
    "ws_frame",
]

MAX_NAME_BYTES = 255
GLOB_CHARS = frozenset("*?[]\\")
OP_TEXT = 0x1
OP_BINARY = 0x2
_decoder = json.JSONDecoder()
_WS = " \t\n\r"


class FrameError(ValueError):
    """A client frame is malformed. ``topic``/``ref`` are set when they could be read,
    so that the client can still get an error reply on the right channel."""

    def __init__(
        self,
        message: str,
        *,
        join_ref: str | None = None,
        ref: str | None = None,
        topic: str | None = None,
    ) -> None:
        super().__init__(message)
        self.join_ref = join_ref
        self.ref = ref
        self.topic = topic


class PayloadTooDeep(FrameError):
    """A Redis payload nested deeper than MAX_JSON_DEPTH: dropped, not delivered."""


@dataclass(frozen=True, slots=True)
class TextFrame:
    """``[join_ref, ref, topic, event, payload]``; ``raw_payload`` is the client's text."""

    join_ref: str | None
    ref: str | None
    topic: str
    event: str
    payload: Any
    raw_payload: str


@dataclass(frozen=True, slots=True)
class BinaryPush:
    """A phoenix.js v2 binary push (opcode 0); ``payload`` is forwarded untouched."""

    join_ref: str | None
    ref: str | None
    topic: str
    event: str
    payload: bytes


def name_too_long(name: str) -> bool:
    """True when ``name`` is over :data:`MAX_NAME_BYTES` UTF-8 bytes (checked first,
    in constant time for long names: a character is at least one byte)."""
    if len(name) > MAX_NAME_BYTES:
        return True
    return not name.isascii() and len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` is not acceptable as a topic (or event) name, or None if it is.

    Glob metacharacters are refused because topics become Redis ``PSUBSCRIBE``
    patterns: joining ``*`` must never mean "everything". Deliberately not cached:
    the argument is client input, and a cache would keep it alive."""
    if not topic:
        return "empty name"
    if name_too_long(topic):
        return f"longer than {MAX_NAME_BYTES} bytes"
    if not topic.isprintable():
        return "contains non-printable characters"
    if GLOB_CHARS.isdisjoint(topic):
        return None
    bad = GLOB_CHARS.intersection(topic)
    return f"contains Redis glob metacharacters {''.join(sorted(bad))!r}"


# The usual event name, checked in one step: printable ASCII without glob characters
# or ":", not phx_*, at most 255 bytes. Anything else gets the detailed checks.
_PLAIN_EVENT = re.compile(rf"(?!phx_)[ !-)+-9;->@-Z^-~]{{1,{MAX_NAME_BYTES}}}").fullmatch


def event_problem(event: str) -> str | None:
    """Why a client may not push ``event``, or None. ``phx_*`` events are the
    gateway's own (plugins trust ``from:<topic>:phx_leave`` to come from it)."""
    if _PLAIN_EVENT(event) is not None:
        return None
    problem = topic_problem(event)
    if problem is None and ":" in event:
        problem = "contains ':'"
    if problem is None and event.startswith("phx_"):
        problem = "phx_* events are reserved for the gateway"
    return problem


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


class PrefixMemo:
    """The JSON texts of the last ``join_ref``, ``topic`` and ``event`` of one socket's
    frames. A socket pushes one event on one topic over and over: then only the
    ``ref`` is encoded anew per frame. One entry, replaced on any change, so client
    input never piles up in it."""

    __slots__ = ("_head", "_key", "_tail")

    def __init__(self) -> None:
        self._key: tuple[str | None, str, str] | None = None
        self._head = ""
        self._tail = ""

    def prefix(self, join_ref: str | None, ref: str | None, topic: str, event: str) -> str:
        """``[join_ref,ref,topic,event,`` as compact JSON."""
        key = (join_ref, topic, event)
        if key != self._key:
            self._key = key
            self._head = "[" + _json_text(join_ref) + ","
            self._tail = "," + _json_text(topic) + "," + _json_text(event) + ","
        return self._head + _json_text(ref) + self._tail


def decode_text_frame(text: str, memo: PrefixMemo | None = None) -> TextFrame:
    """Parse a v2 text frame, keeping the exact payload substring."""
    try:
        items = orjson.loads(text)
        strict = True  # orjson refuses lone surrogates: every string is valid Unicode
    except orjson.JSONDecodeError:
        items = _parse_slow(text)  # beyond orjson (lone surrogates), or an error to report
        strict = False
    if not isinstance(items, list) or len(items) != 5:
        raise FrameError("expected a JSON array [join_ref, ref, topic, event, payload]")
    join_ref, ref, topic, event, payload = items
    if not strict and not all(map(_echoable, (join_ref, ref, topic, event))):
        # Checked before anything else: a reply could not echo them, so no state may
        # change (the frame is refused as a whole, with no topic and ref to answer).
        raise FrameError("join_ref, ref, topic and event must be valid Unicode (lone surrogate)")
    if not isinstance(topic, str):
        raise FrameError("topic must be a string")
    safe_join = join_ref if isinstance(join_ref, str) else None
    safe_ref = ref if isinstance(ref, str) else None
    if safe_join is not join_ref or safe_ref is not ref:
        raise FrameError(
            "join_ref and ref must be strings or null",
            join_ref=safe_join,
            ref=safe_ref,
            topic=topic,
        )
    if not isinstance(event, str):
        raise FrameError("event must be a string", join_ref=join_ref, ref=ref, topic=topic)
    if len(topic) > MAX_NAME_BYTES:
        return TextFrame(join_ref, ref, topic, event, None, "")  # refused by the session
    # phoenix.js sends compact JSON: then the payload starts right after this prefix.
    if memo is not None:
        prefix = memo.prefix(join_ref, ref, topic, event)
    else:
        prefix = "[" + ",".join(map(_json_text, (join_ref, ref, topic, event))) + ","
    if text.startswith(prefix) and text.endswith("]"):
        raw = text[len(prefix) : -1].strip(_WS)
    else:
        raw = _payload_text(text)
    return TextFrame(join_ref, ref, topic, event, payload, raw)


def _echoable(value: object) -> bool:
    """False for a string that cannot be encoded back (a lone surrogate from a JSON
    escape such as ``"\\ud800"``)."""
    if not isinstance(value, str) or value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_text(value: str | None) -> str:
    if value is None:
        return "null"
    text: str = encode_basestring(value)
    return text


def _parse_slow(text: str) -> Any:
    """What orjson refused: lone surrogates (valid JSON), or an error to report, with
    the frame's topic and refs when they can be read, so that the client gets a reply."""
    try:
        items = loads_strict(text)
    except JsonError as exc:
        header = _header_items(text)
        if header is not None and all(map(_echoable, header)):
            join_ref, ref, topic, _ = header
            if (
                isinstance(topic, str)
                and isinstance(join_ref, (str, type(None)))
                and isinstance(ref, (str, type(None)))
            ):
                raise FrameError(
                    f"invalid JSON: {exc}", join_ref=join_ref, ref=ref, topic=topic
                ) from None
        raise FrameError(f"invalid JSON: {exc}") from None
    if isinstance(items, list) and len(items) == 5:
        # strict_json replaced lone surrogates: read the four names exactly.
        header = _header_items(text)
        if header is not None:
            items[:4] = header
    return items


def _header_items(text: str) -> list[Any] | None:
    """The first four elements of a JSON array, read without parsing the rest."""
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        return None
    pos += 1
    items = []
    try:
        for _ in range(4):
            value, end = _decoder.raw_decode(text, _skip_ws(text, pos))
            items.append(value)
            pos = _skip_ws(text, end)
            if not text.startswith(",", pos):
                return None
            pos += 1
    except (ValueError, RecursionError):
        return None
    return items


def _payload_text(text: str) -> str:
    """The 5th element's text of a valid 5-element array: skip the four short
    leading elements with the decoder, then everything up to the closing bracket."""
    pos = _skip_ws(text, 0) + 1
    for _ in range(4):
        _, end = _decoder.raw_decode(text, _skip_ws(text, pos))
        pos = _skip_ws(text, end) + 1  # past the comma
    return text[pos : text.rstrip(_WS).rindex("]")].strip(_WS)


def decode_binary_push(data: bytes) -> BinaryPush:
    """Parse a client binary push: ``0, len(join_ref), len(ref), len(topic), len(event),
    join_ref, ref, topic, event, payload``."""
    if len(data) < 5:
        raise FrameError("binary frame shorter than its 5-byte header")
    if data[0] != 0:
        raise FrameError(f"binary frame kind {data[0]} is not a push (0)")
    sizes = data[1:5]
    header_end = 5 + sum(sizes)
    if header_end > len(data):
        raise FrameError("binary frame header declares more bytes than the frame holds")
    fields: list[str] = []
    pos = 5
    try:
        for size in sizes:
            fields.append(data[pos : pos + size].decode("utf-8"))
            pos += size
    except UnicodeDecodeError:
        raise FrameError("binary frame header strings are not valid UTF-8") from None
    join_ref, ref, topic, event = fields
    return BinaryPush(join_ref or None, ref or None, topic, event, bytes(data[header_end:]))


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """A complete, final, unmasked WebSocket frame (the server->client form, RFC 6455)."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, size))
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def json_name(value: str | None) -> bytes:
    """A name (ref, topic, event) or null as JSON, as every reply encodes it."""
    # The C string encoder: json.dumps with options builds an encoder per call (slow).
    return b"null" if value is None else encode_basestring(value).encode()


_json_str = json_name


def encode_message(
    join_ref: str | None, ref: str | None, topic: str, event: str, payload: bytes
) -> bytes:
    """The text of ``[join_ref, ref, topic, event, payload]``; ``payload`` is JSON bytes."""
    return b"".join(
        (
            b"[",
            _json_str(join_ref),
            b",",
            _json_str(ref),
            b",",
            _json_str(topic),
            b",",
            _json_str(event),
            b",",
            payload,
            b"]",
        )
    )


def _is_json(payload: bytes) -> bool:
    """Strict JSON (no NaN/Infinity, which browsers' JSON.parse rejects); FrameError
    when nested deeper than MAX_JSON_DEPTH (neither JSON we can vouch for,
    nor text: such a payload is dropped, not turned into a string)."""
    try:
        orjson.loads(payload)
        return True
    except orjson.JSONDecodeError as exc:
        refused = exc
    try:
        reconsider(payload, refused)  # the rare path: lone surrogates, errors
        return True
    except TooDeep as exc:
        raise PayloadTooDeep(f"payload is {exc}") from None
    except JsonError:
        return False


def encode_binary_push(join_ref: str, topic: str, event: str, payload: bytes) -> bytes:
    """phoenix.js binary push (opcode 0); names over 255 bytes are refused, not cut."""
    names = [s.encode() for s in (join_ref, topic, event)]
    for name in names:
        if len(name) > MAX_NAME_BYTES:
            raise FrameError(f"name {name[:32]!r}... is longer than {MAX_NAME_BYTES} bytes")
    return bytes((0, *(len(n) for n in names))) + b"".join(names) + payload


def encode_broadcast(topic: str, event: str, payload: bytes) -> bytes:
    """The complete WebSocket frame that delivers a Redis message to every member.

    UTF-8 JSON (any value, whitespace allowed) is spliced in as is; other UTF-8 text
    becomes a JSON string; anything else becomes a binary push frame. Raises
    :class:`PayloadTooDeep` beyond MAX_JSON_DEPTH levels of nesting."""
    if _is_json(payload):
        return ws_frame(OP_TEXT, encode_message(None, None, topic, event, payload))
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return ws_frame(OP_BINARY, encode_binary_push("", topic, event, payload))
    quoted = encode_basestring(text).encode()
    return ws_frame(OP_TEXT, encode_message(None, None, topic, event, quoted))
