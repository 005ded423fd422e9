"""Whole WebSocket messages from data frames (RFC 6455 section 5.4), without any I/O.

A message is one TEXT or BINARY frame with FIN set, or such a frame without FIN
followed by CONT frames up to one with FIN. Control frames may come in between and
are not this module's business. :class:`Assembler` holds the parts of the message in
progress and says how many bytes that is (the connection charges them to the
worker's inbound memory budget).
"""

from __future__ import annotations

from dataclasses import dataclass

from websockets.frames import Frame, Opcode

__all__ = ["CLOSE_PROTOCOL", "CLOSE_TOO_BIG", "Assembler", "FragmentError", "Message"]

#: RFC 6455 close codes for a broken fragment sequence and an oversized message.
CLOSE_PROTOCOL = 1002
CLOSE_TOO_BIG = 1009


@dataclass(frozen=True, slots=True)
class Message:
    """A complete client message: text (UTF-8, not yet decoded) or binary."""

    text: bool
    data: bytes


class FragmentError(Exception):
    """The frames do not form a valid message; close the socket with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Assembler:
    """Joins fragments into messages of at most ``max_bytes`` bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: Bytes of the message in progress (0 between messages).
        self.held = 0
        self._parts: list[bytes] = []
        self._text = False
        self._open = False

    def feed(self, frame: Frame) -> Message | None:
        """The message ``frame`` completes, if any; raises :class:`FragmentError`."""
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if self._open:
                raise FragmentError(
                    CLOSE_PROTOCOL, "a new message started before the fragmented one ended"
                )
            data = bytes(frame.data)
            self._check_size(len(data))
            if frame.fin:
                return Message(opcode is Opcode.TEXT, data)
            self._open, self._text, self._parts, self.held = (
                True,
                opcode is Opcode.TEXT,
                [data],
                len(data),
            )
            return None
        if opcode is Opcode.CONT:
            if not self._open:
                raise FragmentError(
                    CLOSE_PROTOCOL, "continuation frame without a message to continue"
                )
            data = bytes(frame.data)
            self._check_size(self.held + len(data))
            self._parts.append(data)
            self.held += len(data)
            if not frame.fin:
                return None
            message = Message(self._text, b"".join(self._parts))
            self.clear()
            return message
        return None  # control frames: ping, pong and close are answered elsewhere

    def clear(self) -> None:
        """Forget the message in progress (the socket is closing)."""
        self._parts, self._open, self.held = [], False, 0

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            self.clear()
            raise FragmentError(
                CLOSE_TOO_BIG, f"message over {self.max_bytes} bytes (max_frame_bytes)"
            )
