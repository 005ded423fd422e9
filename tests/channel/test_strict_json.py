"""Strict JSON and its explicit depth bound, with literal text and no event loop."""

from __future__ import annotations

import json

import pytest

from tangram.channel import wire
from tangram.channel.phoenix import Close, Publish, Send, Session
from tangram.channel.strict_json import MAX_JSON_DEPTH, JsonError, TooDeep, loads_strict


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_depth_bound_just_over() -> None:
    assert loads_strict(nested(MAX_JSON_DEPTH)) is not None
    assert loads_strict("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(TooDeep):
        loads_strict(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(TooDeep):
        loads_strict(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))


@pytest.mark.parametrize("text", ["NaN", "[1,-Infinity]", '{"x":Infinity}'])
def test_constants_are_not_json(text: str) -> None:
    with pytest.raises(JsonError, match="NaN, Infinity and -Infinity are not JSON"):
        loads_strict(text)


def test_lone_surrogate_escapes_are_json_but_escaped_backslashes_stay() -> None:
    assert loads_strict('["\\ud800", 1]') == [" ", 1]  # valid JSON (JSON.parse accepts it)
    assert loads_strict(b'"\\\\ud800"') == "\\ud800"  # an escaped backslash, then "ud800"
    assert loads_strict('"\\ud83d\\ude00"') == "\U0001f600"
    with pytest.raises(JsonError):
        loads_strict('["\\ud800"')  # still not JSON once patched
    with pytest.raises(JsonError):
        loads_strict(b"\xff")


def test_big_integers_are_json() -> None:
    assert loads_strict("123456789012345678901234567890") is not None


def session() -> Session:
    return Session(lambda token, topic: "alice", lambda: "ref")


def test_deep_or_nan_push_gets_an_error_reply_with_its_refs() -> None:
    s = session()
    s.receive_text('["1","1","t","phx_join",{}]')[-1].membership.active = True  # type: ignore[union-attr]
    for payload, words in (
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "nested deeper than 1024"),
        ('{"x":NaN}', "not JSON"),
    ):
        (action,) = s.receive_text(f'["1","7","t","move",{payload}]')
        assert isinstance(action, Send)
        frame = json.loads(action.text)
        assert frame[:4] == ["1", "7", "t", "phx_reply"] and words in frame[4]["response"]["reason"]
    (action,) = s.receive_text('["1","8","t","move",{"deep":' + "[" * 1000 + "]" * 1000 + "}]")
    assert isinstance(action, Publish)  # under the bound: published as sent


def test_unreadable_header_and_invalid_json_closes_1007() -> None:
    (action,) = session().receive_text('[1, NaN, "t", "e", {}]')
    assert isinstance(action, Close) and action.code == 1007


def test_lone_surrogate_in_a_name_is_refused_exactly() -> None:
    with pytest.raises(wire.FrameError, match="lone surrogate"):
        wire.decode_text_frame('["1","\\ud800","t","e",{}]')
    frame = wire.decode_text_frame('["1","2","t","e",{"s":"\\ud800"}]')
    assert frame.raw_payload == '{"s":"\\ud800"}'  # published as sent
    frame = wire.decode_text_frame('["1","\\\\ud800","t","e",{}]')
    assert frame.ref == "\\ud800"  # an escaped backslash is no surrogate


def test_broadcast_depth_bound_just_over() -> None:
    deepest = ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode()
    assert wire.encode_broadcast("t", "e", deepest)[0] == 0x81
    with pytest.raises(wire.PayloadTooDeep):
        wire.encode_broadcast("t", "e", b"[" + deepest + b"]")
    assert b'"NaN"' in wire.encode_broadcast("t", "e", b"NaN")  # text, not JSON
