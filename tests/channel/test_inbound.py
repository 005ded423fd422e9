"""Fragment assembly and the join backlog, with literal frames and no event loop."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from tangram.channel.backlog import Backlog
from tangram.channel.fragments import (
    CLOSE_PROTOCOL,
    CLOSE_TOO_BIG,
    Assembler,
    FragmentError,
    Message,
)

TEXT, BINARY, CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT


def feed(assembler: Assembler, *frames: Frame) -> list[Message]:
    out = []
    for frame in frames:
        message = assembler.feed(frame)
        if message is not None:
            out.append(message)
    return out


def test_unfragmented_messages_pass_at_once() -> None:
    a = Assembler(100)
    assert feed(a, Frame(TEXT, b'[null,"1","phoenix","heartbeat",{}]')) == [
        Message(True, b'[null,"1","phoenix","heartbeat",{}]')
    ]
    assert feed(a, Frame(BINARY, b"\x00\x01")) == [Message(False, b"\x00\x01")]
    assert a.held == 0


def test_fragments_are_joined_in_order_with_pings_between() -> None:
    a = Assembler(100)
    frames = [
        Frame(TEXT, b'["1","2",', fin=False),
        Frame(Opcode.PING, b"p"),
        Frame(CONT, b'"t","e",', fin=False),
        Frame(CONT, b"{}]", fin=True),
    ]
    assert a.feed(frames[0]) is None and a.held == 9
    assert a.feed(frames[1]) is None and a.held == 9
    assert a.feed(frames[2]) is None and a.held == 17
    assert a.feed(frames[3]) == Message(True, b'["1","2","t","e",{}]')
    assert a.held == 0


def test_binary_fragments_stay_binary() -> None:
    a = Assembler(100)
    assert feed(a, Frame(BINARY, b"\x00", fin=False), Frame(CONT, b"\x01")) == [
        Message(False, b"\x00\x01")
    ]


def test_empty_fragments_are_fine() -> None:
    a = Assembler(100)
    assert feed(a, Frame(TEXT, b"", fin=False), Frame(CONT, b"", fin=False), Frame(CONT, b"")) == [
        Message(True, b"")
    ]


@pytest.mark.parametrize(
    "frames",
    [
        [Frame(CONT, b"x")],
        [Frame(TEXT, b"a", fin=False), Frame(TEXT, b"b")],
        [Frame(BINARY, b"a", fin=False), Frame(BINARY, b"b", fin=False)],
    ],
)
def test_broken_sequences_close_1002(frames: list[Frame]) -> None:
    a = Assembler(100)
    with pytest.raises(FragmentError) as info:
        feed(a, *frames)
    assert info.value.code == CLOSE_PROTOCOL


def test_size_limit_counts_the_whole_message_just_over() -> None:
    a = Assembler(10)
    assert feed(a, Frame(TEXT, b"12345", fin=False), Frame(CONT, b"67890")) == [
        Message(True, b"1234567890")
    ]
    with pytest.raises(FragmentError) as info:
        feed(
            a, Frame(TEXT, b"12345", fin=False), Frame(CONT, b"67890", fin=False), Frame(CONT, b"!")
        )
    assert info.value.code == CLOSE_TOO_BIG
    assert a.held == 0  # what was held is released
    with pytest.raises(FragmentError):
        a.feed(Frame(BINARY, b"x" * 11))


def test_assembles_literal_masked_wire_bytes() -> None:
    """The same through websockets' parser, from the bytes a browser sends."""
    ws = ServerProtocol(state=State.OPEN, max_size=100)
    mask = b"\x00\x00\x00\x00"  # an all-zero mask leaves the payload readable
    ws.receive_data(b"\x01\x85" + mask + b'["1",' + b"\x80\x8f" + mask + b'"2","t","e",{}]')
    a = Assembler(100)
    assert feed(a, *[f for f in ws.events_received() if isinstance(f, Frame)]) == [
        Message(True, b'["1","2","t","e",{}]')
    ]


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
