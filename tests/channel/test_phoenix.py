"""The sans-I/O protocol engine, with literal frames and no event loop."""

from __future__ import annotations

import ast
import itertools
import json
from pathlib import Path

import pytest

from tangram.channel import actions, backlog, inbound, phoenix, strict_json, wire
from tangram.channel.phoenix import Close, Join, Leave, Publish, Send, Session
from tangram.channel.wire import FrameError

GOOD = "good-token"


def check(token: str | None, topic: str) -> str | None:
    if token == GOOD or (token == "for-a" and topic == "a"):
        return "alice"
    return None


def session(user_token: str | None = None) -> Session:
    counter = itertools.count(1)
    return Session(check, lambda: f"ref{next(counter)}", user_token)


def sent(actions: list[object]) -> list[object]:
    return [json.loads(a.text) for a in actions if isinstance(a, Send)]


def joined(s: Session, topic: str, join_ref: str = "1") -> Join:
    actions = s.receive_text(json.dumps([join_ref, join_ref, topic, "phx_join", {"token": GOOD}]))
    join = actions[-1]
    assert isinstance(join, Join)
    join.membership.active = True
    return join


def test_heartbeat_reply() -> None:
    actions = session().receive_text('[null, "7", "phoenix", "heartbeat", {}]')
    assert sent(actions) == [[None, "7", "phoenix", "phx_reply", {"status": "ok", "response": {}}]]


def test_authorised_join_yields_join_with_ok_reply() -> None:
    s = session()
    join = joined(s, "room:a", "3")
    assert json.loads(join.ok) == [
        "3",
        "3",
        "room:a",
        "phx_reply",
        {"status": "ok", "response": {}},
    ]
    assert join.membership.client_id == "alice" and join.membership.phx_ref == "ref1"
    assert s.members["room:a"] is join.membership


def test_unauthorised_join_gets_error_reply() -> None:
    actions = session().receive_text('["3", "3", "room", "phx_join", {"token": "forged"}]')
    assert sent(actions) == [
        ["3", "3", "room", "phx_reply", {"status": "error", "response": {"reason": "unauthorized"}}]
    ]


def test_token_comes_from_payload_else_user_token() -> None:
    s = session(user_token=GOOD)
    assert isinstance(s.receive_text('["1", "1", "t", "phx_join", {}]')[-1], Join)
    s = session(user_token="for-a")
    # The payload token wins over the socket's userToken.
    actions = s.receive_text('["1", "1", "a", "phx_join", {"token": "bad"}]')
    assert sent(actions)[0][4]["status"] == "error"


def test_leave_replies_ok_and_ends_membership() -> None:
    s = session()
    join = joined(s, "t", "5")
    actions = s.receive_text('["5", "6", "t", "phx_leave", {}]')
    assert actions[0] == Leave(join.membership, "leave")
    assert sent(actions) == [["5", "6", "t", "phx_reply", {"status": "ok", "response": {}}]]
    assert "t" not in s.members


def test_stale_leave_does_not_end_the_newer_join() -> None:
    s = session()
    joined(s, "t", "1")
    newer = joined(s, "t", "2")
    actions = s.receive_text('["1", "9", "t", "phx_leave", {}]')
    assert not [a for a in actions if isinstance(a, Leave)]
    assert s.members["t"] is newer.membership


def test_rejoin_replaces_previous_membership() -> None:
    s = session()
    first = joined(s, "t", "1")
    actions = s.receive_text(json.dumps(["2", "2", "t", "phx_join", {"token": GOOD}]))
    assert actions[0] == Leave(first.membership, "replaced")
    assert sent(actions) == [["1", None, "t", "phx_close", {}]]
    assert isinstance(actions[2], Join) and actions[2].membership.join_ref == "2"
    assert len(s.members) == 1


def test_push_on_joined_topic_publishes_exact_client_bytes() -> None:
    s = session()
    joined(s, "t", "1")
    text = '["1","4","t","move", {"z" : 1,\n "a":[1.50, "\\u00e9"]} ]'
    (publish,) = s.receive_text(text)
    assert isinstance(publish, Publish)
    assert publish.channel == "from:t:move"
    assert publish.payload == b'{"z" : 1,\n "a":[1.50, "\\u00e9"]}'
    ok = publish.ok()
    assert ok is not None
    assert json.loads(ok) == ["1", "4", "t", "phx_reply", {"status": "ok", "response": {}}]


def test_push_on_unjoined_topic_is_refused_and_not_published() -> None:
    actions = session().receive_text('["1", "4", "other", "move", {}]')
    assert sent(actions) == [
        ["1", "4", "other", "phx_reply",
         {"status": "error", "response": {"reason": "unmatched topic"}}]
    ]  # fmt: skip
    assert not [a for a in actions if isinstance(a, Publish)]


def test_push_with_stale_join_ref_is_unmatched() -> None:
    s = session()
    joined(s, "t", "2")
    actions = s.receive_text('["1", "4", "t", "move", {}]')
    assert sent(actions)[0][4]["response"] == {"reason": "unmatched topic"}


def test_tokens_never_reach_a_publish() -> None:
    s = session()
    actions = s.receive_text(json.dumps(["1", "1", "t", "phx_join", {"token": GOOD}]))
    assert not [a for a in actions if isinstance(a, Publish)]


@pytest.mark.parametrize(
    "frame",
    ["not json", "{}", "[1,2,3]", '["1","2","t","e",{},6]', '[null, null, 5, "e", {}]', "[", ""],
)
def test_unroutable_malformed_frames_close_cleanly(frame: str) -> None:
    (action,) = session().receive_text(frame)
    assert isinstance(action, Close) and action.code == 1007


@pytest.mark.parametrize(
    "frame", ['[1, "2", "t", "e", {}]', '["1", 2, "t", "e", {}]', '["1", "2", "t", 5, {}]']
)
def test_wrong_types_with_a_topic_get_an_error_reply(frame: str) -> None:
    (action,) = session().receive_text(frame)
    if isinstance(action, Close):  # ref unreadable: nothing can be routed back
        assert action.code == 1007
    else:
        reply = json.loads(action.text)
        assert reply[2] == "t" and reply[4]["status"] == "error"
        assert "malformed" in reply[4]["response"]["reason"]


@pytest.mark.parametrize("topic", ["*", "a*", "room?", "[x]", "a\\b", "", "x" * 256, "tab\there"])
def test_invalid_topics_cannot_be_joined(topic: str) -> None:
    actions = session().receive_text(json.dumps(["1", "1", topic, "phx_join", {"token": GOOD}]))
    (reply,) = sent(actions)
    assert reply[4]["status"] == "error" and "invalid topic" in reply[4]["response"]["reason"]


def test_decode_text_frame_keeps_raw_payload_for_any_json_value() -> None:
    for payload in ['"text"', "42", "null", "[1, 2]", ' { "b": 1 , "a": 2 } ']:
        frame = wire.decode_text_frame(f'[null, "1", "t", "e", {payload}]')
        assert frame.raw_payload == payload.strip()
        assert frame.payload == json.loads(payload)


def test_binary_push_round_trip_and_header_checks() -> None:
    data = b"\x00\x01\x01\x01\x06" + b"1" + b"9" + b"t" + b"upload" + b"\x00\xffraw"
    push = wire.decode_binary_push(data)
    assert (push.join_ref, push.ref, push.topic, push.event) == ("1", "9", "t", "upload")
    assert push.payload == b"\x00\xffraw"
    for bad in (b"\x00\x01", b"\x01\x00\x00\x01\x01te", b"\x00\x00\x00\x09\x01te"):
        with pytest.raises(FrameError):
            wire.decode_binary_push(bad)


def test_binary_push_from_client_published_raw() -> None:
    s = session()
    joined(s, "t", "1")
    actions = s.receive_binary(b"\x00\x01\x01\x01\x06" + b"19tupload" + b"\x00\xff")
    publish = actions[0]
    assert isinstance(publish, Publish) and publish.payload == b"\x00\xff"
    assert publish.channel == "from:t:upload"


def test_broadcast_encoding_rules() -> None:
    def frame_text(payload: bytes) -> str:
        frame = wire.encode_broadcast("a:b", "ev", payload)
        assert frame[0] == 0x81  # final text frame, unmasked
        return frame[2:].decode() if frame[1] < 126 else frame[4:].decode()

    assert frame_text(b' {"z":1, "a":2}\n') == '[null,null,"a:b","ev", {"z":1, "a":2}\n]'
    assert frame_text(b"Hello from plugin") == '[null,null,"a:b","ev","Hello from plugin"]'
    assert frame_text(b"123456789012345678901234567890") == (
        '[null,null,"a:b","ev",123456789012345678901234567890]'
    )
    assert frame_text(b"NaN") == '[null,null,"a:b","ev","NaN"]'  # not JSON for browsers
    binary = wire.encode_broadcast("a:b", "ev", b"ARROW1\x00\xff")
    assert binary[0] == 0x82
    assert binary[2:] == b"\x00\x00\x03\x02a:bevARROW1\x00\xff"


def test_long_names_are_refused_not_truncated() -> None:
    with pytest.raises(FrameError):
        wire.encode_binary_push("", "t", "e" * 256, b"\xff")


def test_ws_frame_lengths() -> None:
    assert wire.ws_frame(1, b"x" * 125)[:2] == b"\x81\x7d"
    assert wire.ws_frame(1, b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert wire.ws_frame(2, b"x" * 70000)[:2] == b"\x82\x7f"
    assert len(wire.ws_frame(2, b"x" * 70000)) == 70010


def test_protocol_modules_import_no_io() -> None:
    forbidden = {
        "asyncio",
        "socket",
        "redis",
        "websockets",
        "hiredis",
        "h11",
        "uvloop",
        "selectors",
        "ssl",
        "subprocess",
        "threading",
    }
    # The frame reader's one import of websockets is its C unmasking function.
    pure_parts = {"websockets.speedups", "websockets.utils"}
    for module in (phoenix, actions, wire, strict_json, backlog, inbound):
        tree = ast.parse(Path(module.__file__ or "").read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            for name in names:
                if module is inbound and name in pure_parts:
                    continue
                assert name.split(".")[0] not in forbidden, f"{module.__name__} imports {name}"
                if name.startswith("."):
                    allowed = (".wire", ".phoenix", ".actions", ".strict_json", ".inbound")
                    assert name in allowed, f"{module.__name__} imports {name}"


def test_mutated_frames_never_raise() -> None:
    """Byte flips, cuts and splices of valid frames: always actions, never an exception."""
    import random

    rng = random.Random(2347)
    seeds = [
        '["1","1","t","phx_join",{"token":"good-token"}]',
        '[null,"2","phoenix","heartbeat",{}]',
        '["1","3","t","move",{"a":[1,2,{"b":"\\u00e9"}],"c":null}]',
        '["1","4","t","phx_leave",{}]',
    ]
    binary_seed = b"\x00\x01\x01\x01\x04" + b"15tmove" + b"\x00\xff"
    alphabet = '[]{}",:\\ 0123456789nultrefalse\x00\xff\u00e9'
    for _ in range(3000):
        s = session()
        joined(s, "t")
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            op, pos = rng.random(), rng.randrange(len(text))
            if op < 0.4:
                text[pos] = rng.choice(alphabet)
            elif op < 0.7:
                del text[pos:]
                text = text or ["["]
            else:
                text.insert(pos, rng.choice(alphabet))
        for action in s.receive_text("".join(text)):
            assert not isinstance(action, Close) or action.code == 1007
        data = bytearray(binary_seed)
        data[rng.randrange(len(data))] = rng.randrange(256)
        for action in s.receive_binary(bytes(data[: rng.randint(0, len(data))])):
            assert not isinstance(action, Close) or action.code == 1007


def test_prebuilt_acks_and_prefixes_equal_the_general_encoders() -> None:
    """The per-socket one-entry memos (PrefixMemo, the ack parts) give the same bytes
    as encoding every name afresh, across changes of join_ref, topic, event and ref."""
    session = Session(lambda token, topic: "c", lambda: "r.1")
    for topic in ("t", "té", 'q"x'):
        session.receive_text(json.dumps(["1", "1", topic, "phx_join", {}]))
    memo = wire.PrefixMemo()
    frames = [
        [jr, ref, topic, event, {"v": 1}]
        for topic in ("t", "té", 'q"x')
        for jr in ("1", None)
        for ref in ("2", '3"', None)
        for event in ("in", "ü")
    ]
    for items in frames:
        text = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
        assert wire.decode_text_frame(text, memo) == wire.decode_text_frame(text)
        (action,) = session.receive_text(text) or [None]
        if items[1] is None:
            assert action is not None and isinstance(action, Publish) and action.ok() is None
            continue
        assert isinstance(action, Publish)
        assert action.ok() == phoenix.reply(items[0], items[1], items[2], "ok")
