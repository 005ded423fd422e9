"""Client-to-server WebSocket frames (RFC 6455) into messages, without any I/O.

The gateway's hot path after the handshake: :class:`MessageReader` is fed what a
socket read returned and answers with every event it completes, in order: whole
messages (a TEXT or BINARY frame with FIN, or one followed by CONT frames up to one
with FIN) and control frames (ping, pong, close), which may come between fragments.
All frames of one read are handled in one call, with the header read by indexing and
the payload unmasked by websockets' C ``apply_mask``.

It replaces websockets' general-purpose parser (a generator per frame) after the
handshake, with the same rules and close codes: client frames must be masked, RSV
bits must be clear (no extension is negotiated), only the six RFC 6455 opcodes are
known, control frames are final and at most 125 bytes, a close frame carries nothing
or a valid code and a UTF-8 reason, and a message (all its fragments together) is at
most ``max_bytes``, refused from the frame header, before its payload is buffered.
A violation is returned as a :class:`Violation` (the socket is closed with its code)
and everything after it, as everything after a close frame, is discarded.
"""

from __future__ import annotations

from typing import NamedTuple

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its C extension
    from websockets.utils import apply_mask

__all__ = [
    "CLOSE_INVALID_DATA",
    "CLOSE_NO_STATUS",
    "CLOSE_PROTOCOL",
    "CLOSE_TOO_BIG",
    "OP_CLOSE",
    "OP_PING",
    "OP_PONG",
    "Control",
    "Message",
    "MessageReader",
    "Violation",
    "close_payload",
]

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
#: RFC 6455 close codes for a broken frame or fragment sequence, a message over the
#: size limit, a close reason that is not UTF-8, and "no code in the close frame".
CLOSE_PROTOCOL = 1002
CLOSE_TOO_BIG = 1009
CLOSE_INVALID_DATA = 1007
CLOSE_NO_STATUS = 1005
#: Codes a peer may send (RFC 6455 section 7.4, and the IANA registry's 1012-1014);
#: 3000-4999 are for libraries and applications.
_PEER_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})
#: Longest payload of a control frame; longest close reason (after the 2-byte code).
MAX_CONTROL = 125
MAX_REASON = MAX_CONTROL - 2


class Message(NamedTuple):
    """A complete client message: text (UTF-8, not yet decoded) or binary. (A named
    tuple: one is made per inbound message, and a frozen dataclass costs twice that.)"""

    text: bool
    data: bytes


class Control(NamedTuple):
    """A ping, pong or (valid) close frame; ``code`` is the close code (1005 when the
    close frame is empty), 0 for ping and pong."""

    opcode: int
    data: bytes
    code: int = 0


class Violation(NamedTuple):
    """The client broke the protocol: close the socket with ``code``."""

    code: int
    reason: str


Event = Message | Control | Violation
_new_tuple = tuple.__new__


def close_payload(code: int, reason: str) -> bytes:
    """The payload of a close frame: the code, then ``reason`` cut to fit 125 bytes
    (at a character boundary)."""
    data = reason.encode("utf-8")
    if len(data) > MAX_REASON:
        data = data[:MAX_REASON].decode("utf-8", "ignore").encode("utf-8")
    return code.to_bytes(2, "big") + data


def _check_close(data: bytes) -> Control | Violation:
    if not data:
        return Control(OP_CLOSE, data, CLOSE_NO_STATUS)
    if len(data) == 1:
        return Violation(CLOSE_PROTOCOL, "close frame too short")
    code = int.from_bytes(data[:2], "big")
    if code not in _PEER_CODES and not 3000 <= code < 5000:
        return Violation(CLOSE_PROTOCOL, f"invalid close code {code}")
    try:
        data[2:].decode("utf-8")
    except UnicodeDecodeError:
        return Violation(CLOSE_INVALID_DATA, "close reason is not valid UTF-8")
    return Control(OP_CLOSE, data, code)


class MessageReader:
    """Frames in, events out, for one socket; messages of at most ``max_bytes`` bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: True after a close frame or a violation: the rest of the stream is ignored.
        self.done = False
        self._rest = bytearray()  # the start of a frame not yet complete
        self._need = 0  # bytes _rest must reach before parsing is worth another try
        self._head = 0  # bytes of _rest that are a complete header and mask
        self._parts: list[bytes] = []  # fragments of the message in progress
        self._part_bytes = 0
        self._text = False
        self._open = False  # a fragmented message is in progress

    @property
    def held(self) -> int:
        """Bytes held for this socket: the payload received so far of an incomplete
        frame (or the start of its header) and unfinished fragments (charged to the
        worker's inbound budget; as websockets counted them, a complete header is not)."""
        return max(0, len(self._rest) - self._head) + self._part_bytes

    def clear(self) -> None:
        """Forget everything held (the socket ended)."""
        self._rest = bytearray()
        self._parts, self._part_bytes, self._open, self._need, self._head = [], 0, False, 0, 0

    def feed(self, data: bytes) -> list[Event]:
        """Every event completed by ``data``, in order; a :class:`Violation` is last."""
        if self.done:
            return []
        rest = self._rest
        if rest:
            rest += data
            if len(rest) < self._need:
                return []
            data = bytes(rest)
            rest.clear()
        events: list[Event] = []
        end = len(data)
        pos = self._parse(data, end, events)
        if pos < end and not self.done:
            self._rest = bytearray(data[pos:]) if pos else bytearray(data)
        elif self._rest:
            self._rest = bytearray()  # a large frame's buffer: give the memory back
        return events

    def _parse(self, data: bytes, end: int, events: list[Event]) -> int:
        """Parse complete frames from ``data``; the offset of the first incomplete one."""
        pos = 0
        append = events.append
        self._need = self._head = 0
        while end - pos >= 2:
            b0 = data[pos]
            b1 = data[pos + 1]
            opcode = b0 & 0x0F
            if b0 & 0x70 or not b1 & 0x80 or opcode > OP_BINARY:  # all but plain data
                problem = self._check_header(b0, b1, opcode)
                if problem is not None:
                    self._fail(events, problem)
                    return end
            length = b1 & 0x7F
            head = pos + 2
            if length >= 126:
                if length == 126:
                    if end - pos < 4:
                        break
                    length = (data[head] << 8) | data[head + 1]
                    head += 2
                else:
                    if end - pos < 10:
                        break
                    length = int.from_bytes(data[head : head + 8], "big")
                    head += 8
            if length > self.max_bytes - self._part_bytes and opcode <= OP_BINARY:
                # Refused from the header: the payload is never buffered.
                message = f"message over {self.max_bytes} bytes (max_frame_bytes)"
                self._fail(events, Violation(CLOSE_TOO_BIG, message))
                return end
            stop = head + 4 + length
            if stop > end:
                self._need, self._head = stop - pos, head + 4 - pos
                break
            payload = apply_mask(data[head + 4 : stop], data[head : head + 4])
            pos = stop
            if opcode == OP_TEXT or opcode == OP_BINARY:
                if self._open:
                    self._fail(events, Violation(CLOSE_PROTOCOL, "expected a continuation frame"))
                    return end
                if b0 & 0x80:
                    # Message(...) without the named tuple's __new__ (a Python call).
                    append(_new_tuple(Message, (opcode == OP_TEXT, payload)))
                else:
                    self._open, self._text = True, opcode == OP_TEXT
                    self._parts, self._part_bytes = [payload], length
            elif opcode == OP_CONT:
                if not self._open:
                    self._fail(events, Violation(CLOSE_PROTOCOL, "unexpected continuation frame"))
                    return end
                self._parts.append(payload)
                self._part_bytes += length
                if b0 & 0x80:
                    append(Message(self._text, b"".join(self._parts)))
                    self._parts, self._part_bytes, self._open = [], 0, False
            elif opcode == OP_CLOSE:
                closing = _check_close(payload)
                if type(closing) is Control and self._open:
                    closing = Violation(CLOSE_PROTOCOL, "close frame inside a fragmented message")
                self._fail(events, closing)
                return end
            else:
                append(Control(opcode, payload))
        return pos

    @staticmethod
    def _check_header(b0: int, b1: int, opcode: int) -> Violation | None:
        """The rules the first two bytes of a frame can break."""
        if b0 & 0x70:
            return Violation(CLOSE_PROTOCOL, "reserved bits must be 0 (no extension)")
        if not b1 & 0x80:
            return Violation(CLOSE_PROTOCOL, "client frames must be masked")
        if opcode <= OP_BINARY:
            return None
        if opcode < OP_CLOSE or opcode > OP_PONG:
            return Violation(CLOSE_PROTOCOL, f"invalid opcode {opcode:#x}")
        if not b0 & 0x80:
            return Violation(CLOSE_PROTOCOL, "fragmented control frame")
        if b1 & 0x7F > MAX_CONTROL:
            return Violation(CLOSE_PROTOCOL, "control frame too long")
        return None

    def _fail(self, events: list[Event], last: Control | Violation) -> None:
        """End the stream with a close frame or a violation: nothing after it counts."""
        append = events.append
        append(last)
        self.done = True
        self.clear()
