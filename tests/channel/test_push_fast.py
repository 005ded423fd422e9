"""The push fast path (``Session.receive_push``) against the full path (``receive_text``).

A connection tries ``receive_push`` first and falls back to ``receive_text`` when it
answers None; whatever the frames, that must give exactly what ``receive_text``
alone gives, and the plain push must actually take the fast path.
"""

from __future__ import annotations

import itertools
import json

from tangram.channel.actions import Action, Publish
from tangram.channel.phoenix import Session
from tangram.channel.wire import OP_TEXT, ws_frame

GOOD = "good-token"


def check(token: str | None, topic: str) -> str | None:
    return "alice" if token == GOOD else None


def session() -> Session:
    counter = itertools.count(1)
    return Session(check, lambda: f"ref{next(counter)}")


def join(topic: str, join_ref: str) -> bytes:
    return json.dumps([join_ref, join_ref, topic, "phx_join", {"token": GOOD}]).encode()


def view(actions: list[Action]) -> list[object]:
    """Actions as comparable values (a Publish by what it publishes and answers)."""
    out: list[object] = []
    for a in actions:
        if isinstance(a, Publish):
            out.append(("publish", a.channel, a.payload, a.join_ref, a.ref, a.topic, a.ok()))
            if a.ack_frame is not None:
                assert a.ack_frame == ws_frame(OP_TEXT, a.ok() or b"")
        else:
            out.append(repr(a))
    return out


#: In order: the fast path's one-entry memo must follow joins, leaves and rejoins.
FRAMES: list[bytes] = [
    b'["1","2","t","move",{"a":1}]',  # not joined yet
    join("t", "1"),
    b'["1","3","t","move",{"a":1}]',
    b'["1","4","t","move",{"a":2}]',
    b'[null,"5","t","move",{"a":3}]',  # no join_ref: allowed, as in Phoenix
    b'["1","6","t","move", {"z" : 1,\n "a":[1.50, "\\u00e9"]} ]',  # spaces: the slow path
    b'["1","7","t","move",[1,2]]\n',
    b'["1","8","t","d\xc3\xa9j\xc3\xa0",{"\xc3\xa9":"\xe2\x82\xac"}]',  # UTF-8 event
    b'["1","r\xc3\xa9f","t","move",1]',
    b'["1","9","t","mo\\u0076e",{}]',  # escaped names: equal strings, other bytes
    b'["1","10","t","",{}]',  # empty event
    b'["1","11","t","phx_move",{}]',
    b'["1","12","t","a:b",{}]',
    b'["1","13","t","a*",{}]',
    b'["1","14","t","move",NaN]',
    b'["1","15","t","move",{"a":' + b"[" * 1100 + b"]" * 1100 + b"}]",
    b'["1","16","t","move","\\ud800"]',  # a lone surrogate (valid JSON)
    b'["1","17","t","move",{"a":1}',  # truncated
    b'["1","18","t","move",{"a":1},5]',
    b'["2","19","t","move",{}]',  # stale join_ref
    b'["1",20,"t","move",{}]',
    b'["1",null,"t","move",{"fire":"forget"}]',  # no ref: no ack
    b'[1,"21","t","move",{}]',
    b'["1","22",["t"],"move",{}]',
    b'["1","23","u","move",{}]',
    join("u", "7"),
    b'["7","24","u","move",{}]',
    b'["1","25","t","move",{}]',
    join("t", "8"),  # a rejoin: the old join_ref goes stale
    b'["1","26","t","move",{}]',
    b'["8","27","t","move",{}]',
    b'[null,"28","t","move",{}]',
    b'["8","29","t","phx_leave",{}]',
    b'["8","30","t","move",{}]',
    b'[null,"31","t","move",{}]',
    b'[null,"32","phoenix","heartbeat",{}]',
    b'["7","33","u","move",{"x":"' + b"y" * 300 + b'"}]',  # ack still under 126 bytes
    b'["7","' + b"r" * 200 + b'","u","move",{}]',  # an ack over 125 bytes
]


def test_fast_path_answers_as_the_full_path() -> None:
    fast, full = session(), session()
    taken = 0
    for frame in FRAMES:
        publish = fast.receive_push(frame)
        if publish is not None:
            taken += 1
            got = view([publish])
        else:
            try:
                text = frame.decode("utf-8")
            except UnicodeDecodeError:
                continue
            got = view(fast.receive_text(text))
        assert got == view(full.receive_text(frame.decode("utf-8"))), frame[:80]
        assert fast.members.keys() == full.members.keys()
    assert taken >= 10  # the plain pushes did take the fast path


def test_plain_push_takes_the_fast_path_with_its_ack_frame() -> None:
    s = session()
    s.receive_text(join("room", "1").decode())
    publish = s.receive_push(b'["1","42","room","move",{"a":1}]')
    assert publish is not None
    assert (publish.channel, publish.payload) == ("from:room:move", b'{"a":1}')
    ack = b'["1","42","room","phx_reply",{"status":"ok","response":{}}]'
    assert publish.ok() == ack and publish.ack_frame == ws_frame(OP_TEXT, ack)


def test_empty_event_is_refused_on_both_paths() -> None:
    s = session()
    s.receive_text(join("t", "1").decode())
    assert s.receive_push(b'["1","2","t","",{}]') is None
    (reply,) = s.receive_text('["1","2","t","",{}]')
    assert "invalid event: empty name" in repr(reply)
