"""Presence diffs merged per topic and window (sans-I/O part and the buffer)."""

from __future__ import annotations

import asyncio
import json

from tangram.channel.coalesce import DiffBuffer, PendingDiff


def meta(ref: str) -> dict[str, object]:
    return {"phx_ref": ref, "online_at": 1}


def test_joins_of_one_window_are_one_diff_grouped_by_client() -> None:
    diff = PendingDiff()
    diff.join("a", meta("r1"))
    diff.join("b", meta("r2"))
    diff.join("a", meta("r3"))  # a second tab of client a
    assert json.loads(diff.encode()) == {
        "joins": {
            "a": {"metas": [meta("r1"), meta("r3")]},
            "b": {"metas": [meta("r2")]},
        },
        "leaves": {},
    }


def test_leave_of_a_pending_join_drops_the_join_and_keeps_the_leave() -> None:
    diff = PendingDiff()
    diff.join("a", meta("r1"))
    diff.join("b", meta("r2"))
    diff.leave("a", meta("r1"))
    # Members whose presence_state already listed r1 still learn that it left.
    assert diff.encode() == (
        b'{"joins": {"b": {"metas": [{"phx_ref": "r2", "online_at": 1}]}},'
        b' "leaves": {"a": {"metas": [{"phx_ref": "r1", "online_at": 1}]}}}'
    )


def test_rejoin_with_a_new_ref_keeps_both_sides() -> None:
    # phoenix.js applies joins before leaves: r2 is added, then r1 removed.
    diff = PendingDiff()
    diff.leave("a", meta("r1"))
    diff.join("a", meta("r2"))
    assert json.loads(diff.encode()) == {
        "joins": {"a": {"metas": [meta("r2")]}},
        "leaves": {"a": {"metas": [meta("r1")]}},
    }


async def test_buffer_publishes_once_per_topic_and_window() -> None:
    published: list[tuple[str, bytes]] = []
    buffer = DiffBuffer(lambda topic, diff: published.append((topic, diff)), window_secs=60)
    for i in range(100):
        buffer.join("system", f"c{i}", meta(f"r{i}"))
    buffer.leave("room", "x", meta("rx"))
    await asyncio.sleep(0)
    assert published == []  # nothing before the window ends (or a flush)
    buffer.flush_all()
    assert [topic for topic, _ in published] == ["system", "room"]
    assert len(json.loads(published[0][1])["joins"]) == 100
    buffer.flush_all()
    assert len(published) == 2  # nothing left to publish
