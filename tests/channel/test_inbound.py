"""Client frames read into messages (RFC 6455), and the join backlog, with literal
frames and no event loop."""

from __future__ import annotations

import pytest

from tangram.channel.backlog import Backlog
from tangram.channel.inbound import (
    CLOSE_INVALID_DATA,
    CLOSE_NO_STATUS,
    CLOSE_PROTOCOL,
    CLOSE_TOO_BIG,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    Control,
    Message,
    MessageReader,
    Violation,
    close_payload,
)

KEY = bytes.fromhex("37fa213d")  # the masking key of RFC 6455's examples (5.7)


def frame(first: int, payload: bytes, key: bytes = KEY, masked: bool = True) -> bytes:
    """A client frame: ``first`` is the whole first byte (FIN, RSV and opcode)."""
    size = len(payload)
    if size < 126:
        head = bytes((first, 0x80 * masked | size))
    elif size < 65536:
        head = bytes((first, 0x80 * masked | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 * masked | 127)) + size.to_bytes(8, "big")
    if not masked:
        return head + payload
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_rfc6455_examples() -> None:
    r = MessageReader(100)
    # 5.7: a single-frame masked text message "Hello", and a masked pong "Hello".
    assert r.feed(bytes.fromhex("818537fa213d7f9f4d5158")) == [Message(True, b"Hello")]
    assert r.feed(bytes.fromhex("8a8537fa213d7f9f4d5158")) == [Control(OP_PONG, b"Hello")]
    assert frame(0x81, b"Hello") == bytes.fromhex("818537fa213d7f9f4d5158")  # the helper
    assert r.held == 0 and not r.done


def test_every_frame_of_one_read_at_once_in_order() -> None:
    r = MessageReader(1000)
    data = frame(0x81, b"[1]") + frame(0x89, b"p") + frame(0x82, b"\x00\x01") + frame(0x81, b"")
    assert r.feed(data) == [
        Message(True, b"[1]"),
        Control(OP_PING, b"p"),
        Message(False, b"\x00\x01"),
        Message(True, b""),
    ]


def test_fragments_with_control_frames_between() -> None:
    r = MessageReader(100)
    # 5.7's fragmented "Hel" + "lo", masked, with a ping and a pong between.
    data = frame(0x01, b"Hel") + frame(0x89, b"") + frame(0x8A, b"x") + frame(0x80, b"lo")
    assert r.feed(data) == [Control(OP_PING, b""), Control(OP_PONG, b"x"), Message(True, b"Hello")]
    data = frame(0x02, b"\x00") + frame(0x00, b"") + frame(0x00, b"\x01") + frame(0x80, b"")
    assert r.feed(data) == [Message(False, b"\x00\x01")]  # binary stays binary, empty parts ok
    assert r.held == 0


def test_byte_by_byte_equals_all_at_once_with_16_and_64_bit_lengths() -> None:
    big = bytes(range(256)) * 256  # 65,536 bytes: the 64-bit length form
    data = (
        frame(0x81, b"x" * 125)
        + frame(0x82, bytes(range(256)))  # 256 bytes: the 16-bit length form
        + frame(0x01, b"a" * 126)
        + frame(0x89, b"ping")
        + frame(0x80, b"b")
        + frame(0x82, big)
    )
    expected = [
        Message(True, b"x" * 125),
        Message(False, bytes(range(256))),
        Control(OP_PING, b"ping"),
        Message(True, b"a" * 126 + b"b"),
        Message(False, big),
    ]
    assert MessageReader(70000).feed(data) == expected
    r = MessageReader(70000)
    events = []
    for i in range(0, 600):  # the small frames byte by byte, then the rest in chunks
        events += r.feed(data[i : i + 1])
        assert r.held <= i + 1
    for i in range(600, len(data), 7000):
        events += r.feed(data[i : i + 7000])
    assert events == expected and r.held == 0


def test_held_counts_an_incomplete_frame_and_unfinished_fragments() -> None:
    r = MessageReader(100)
    assert r.feed(frame(0x01, b"12345")) == [] and r.held == 5
    last = frame(0x80, b"678")
    assert r.feed(last[:4]) == [] and r.held == 5  # a header in progress
    assert r.feed(last[4:8]) == [] and r.held == 7  # 2 bytes of its payload
    r.clear()
    assert r.held == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (bytes.fromhex("810548656c6c6f"), CLOSE_PROTOCOL),  # 5.7's unmasked "Hello"
        (bytes.fromhex("8100"), CLOSE_PROTOCOL),  # unmasked and empty: from 2 bytes
        (frame(0xC1, b"x"), CLOSE_PROTOCOL),  # RSV1 (permessage-deflate, never agreed)
        (frame(0xA1, b"x"), CLOSE_PROTOCOL),  # RSV2
        (frame(0x91, b"x"), CLOSE_PROTOCOL),  # RSV3
        *[(frame(0x80 | op, b"x"), CLOSE_PROTOCOL) for op in (3, 4, 5, 6, 7, 11, 12, 15)],
        (frame(0x09, b"x"), CLOSE_PROTOCOL),  # fragmented ping
        (frame(0x89, b"x" * 126), CLOSE_PROTOCOL),  # control frame over 125 bytes
        (frame(0x80, b"x"), CLOSE_PROTOCOL),  # continuation without a message
        (frame(0x01, b"a") + frame(0x81, b"b"), CLOSE_PROTOCOL),  # new message too early
        (frame(0x02, b"a") + frame(0x02, b"b"), CLOSE_PROTOCOL),
        (frame(0x01, b"a") + frame(0x88, b"\x03\xe8"), CLOSE_PROTOCOL),  # close mid-message
        (frame(0x81, b"x" * 11), CLOSE_TOO_BIG),
        (frame(0x82, b"x" * 70000), CLOSE_TOO_BIG),
        (frame(0x01, b"x" * 6) + frame(0x80, b"x" * 5), CLOSE_TOO_BIG),  # counted as a whole
    ],
)
def test_violations_carry_their_close_code(data: bytes, code: int) -> None:
    r = MessageReader(10)
    events = r.feed(data)
    assert len(events) == 1 and type(events[0]) is Violation
    assert events[0].code == code
    assert r.done and r.held == 0
    assert r.feed(frame(0x81, b"later")) == []  # nothing after a violation counts


def test_size_limit_just_at_and_just_over() -> None:
    assert MessageReader(10).feed(frame(0x81, b"x" * 10)) == [Message(True, b"x" * 10)]
    r = MessageReader(10)
    assert r.feed(frame(0x01, b"12345") + frame(0x80, b"67890")) == [Message(True, b"1234567890")]
    # Refused from the header alone: the 1 MB payload is never buffered.
    r = MessageReader(10)
    header = frame(0x82, b"x" * 1_000_000)[:14]
    events = r.feed(header)
    assert events == [Violation(CLOSE_TOO_BIG, "message over 10 bytes (max_frame_bytes)")]
    assert r.held == 0


def test_events_before_a_violation_are_kept() -> None:
    r = MessageReader(100)
    events = r.feed(frame(0x81, b"[1]") + frame(0x83, b"?") + frame(0x81, b"[2]"))
    assert events[0] == Message(True, b"[1]")
    assert events[1] == Violation(CLOSE_PROTOCOL, "invalid opcode 0x3")
    assert len(events) == 2


@pytest.mark.parametrize(
    ("payload", "event"),
    [
        (b"", Control(OP_CLOSE, b"", CLOSE_NO_STATUS)),
        (b"\x03\xe8", Control(OP_CLOSE, b"\x03\xe8", 1000)),
        (b"\x03\xe9bye", Control(OP_CLOSE, b"\x03\xe9bye", 1001)),
        (b"\x0b\xb8", Control(OP_CLOSE, b"\x0b\xb8", 3000)),
        (b"\x13\x87", Control(OP_CLOSE, b"\x13\x87", 4999)),
        (b"\x03", Violation(CLOSE_PROTOCOL, "close frame too short")),
        (b"\x03\xe7", Violation(CLOSE_PROTOCOL, "invalid close code 999")),
        (b"\x03\xed", Violation(CLOSE_PROTOCOL, "invalid close code 1005")),
        (b"\x03\xee", Violation(CLOSE_PROTOCOL, "invalid close code 1006")),
        (b"\x03\xf7", Violation(CLOSE_PROTOCOL, "invalid close code 1015")),
        (b"\x0b\xb7", Violation(CLOSE_PROTOCOL, "invalid close code 2999")),
        (b"\x13\x88", Violation(CLOSE_PROTOCOL, "invalid close code 5000")),
        (b"\x03\xe8\xff", Violation(CLOSE_INVALID_DATA, "close reason is not valid UTF-8")),
    ],
)
def test_close_frames(payload: bytes, event: Control | Violation) -> None:
    r = MessageReader(100)
    assert r.feed(frame(0x88, payload) + frame(0x81, b"after")) == [event]
    assert r.done and r.feed(frame(0x81, b"later")) == []


def test_close_payload_fits_a_control_frame() -> None:
    assert close_payload(1009, "too big") == b"\x03\xf1too big"
    long = close_payload(1008, "é" * 100)  # 200 bytes of reason: cut at a character
    assert len(long) <= 125
    assert long[2:].decode("utf-8") == "é" * 61


def test_backlog_holds_in_order_while_waiting() -> None:
    b = Backlog(max_bytes=100)
    b.waiting = True
    assert b.hold(Message(True, b"one")) and b.hold(Message(False, b"two"))
    assert b.next() is None  # still waiting
    assert b.held == 6 and len(b) == 2
    b.waiting = False
    assert b.next() == Message(True, b"one")
    b.waiting = True  # the first held message started another join
    assert b.next() is None
    b.waiting = False
    assert b.next() == Message(False, b"two")
    assert b.next() is None and b.held == 0


def test_backlog_bounds_count_and_bytes_just_over() -> None:
    b = Backlog(max_bytes=10, max_messages=3)
    for _ in range(3):
        assert b.hold(Message(True, b"ab"))
    assert not b.hold(Message(True, b"a"))  # a 4th message
    b = Backlog(max_bytes=10, max_messages=3)
    assert b.hold(Message(True, b"x" * 10))
    assert not b.hold(Message(True, b"y"))  # 11 bytes
    b.clear()
    assert b.held == 0 and len(b) == 0 and b.hold(Message(True, b"y"))
