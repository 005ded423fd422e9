"""Keeps the benchmark honest: its frame codec, and a small real run against our gateway.

Not collected by the default test run (``testpaths`` is ``tests`` and ``packages``);
run it with ``.venv/bin/pytest benchmarks/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from array import array
from pathlib import Path

from websockets.speedups import apply_mask

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wsload import DATA_RE, BenchClient, encode_frame, parse_frames

HERE = Path(__file__).resolve().parent


def _unmask(frame: bytes) -> tuple[int, bytes]:
    """Decode one masked client frame, as a server would."""
    length, offset = frame[1] & 0x7F, 2
    if length == 126:
        length, offset = int.from_bytes(frame[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(frame[2:10], "big"), 10
    assert frame[1] & 0x80, "client frames must be masked"
    key = frame[offset : offset + 4]
    return frame[0] & 0x0F, apply_mask(frame[offset + 4 : offset + 4 + length], key)


def test_client_frames_round_trip_at_every_length_encoding() -> None:
    for size in (0, 125, 126, 65535, 65536):
        payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
        opcode, data = _unmask(encode_frame(payload))
        assert (opcode, data) == (1, payload)


def test_server_frames_are_split_and_partial_tails_kept() -> None:
    small = b'[null,null,"t","m",{"a":7,"b":123,"c":"x"}]'
    big = b"y" * 300
    stream = bytes((0x81, len(small))) + small + bytes((0x82, 126)) + (300).to_bytes(2, "big")
    stream += big + bytes((0x81, 10)) + b"part"  # last frame incomplete
    frames, used = parse_frames(stream)
    assert frames == [(1, small), (2, big)]
    assert stream[used:] == bytes((0x81, 10)) + b"part"
    match = DATA_RE.search(frames[0][1])
    assert match is not None and (int(match[1]), int(match[2])) == (7, 123)


def test_quick_run_against_our_gateway_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    cmd = [sys.executable, str(HERE / "channel_bench.py"), "--target", "tangram", "--quick",
           "--scenarios", "fanout", "ingress", "--json", str(out)]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=110)
    assert run.returncode == 0, run.stderr
    rows = {row["scenario"]: row for row in json.loads(out.read_text())}
    assert set(rows) == {"fanout", "ingress"}
    fanout, ingress = rows["fanout"], rows["ingress"]
    assert fanout["expected"] == 10 * 1000 and fanout["delivered"] == fanout["expected"]
    assert fanout["lost"] == fanout["duplicates"] == fanout["dropped_clients"] == 0
    assert fanout["deaf_clients"] == 0 and fanout["p50_ms"] > 0
    assert ingress["delivered"] == ingress["expected"] == 10 * 100
    assert ingress["push_acks"] == ingress["expected"]  # every push got its "ok" reply
    assert fanout["gateway_cpu_s"] > 0 and "scenario" in run.stdout


async def test_client_counts_payloads_split_across_reads_on_both_paths() -> None:
    frames = []
    for seq in (*range(300), 7):  # 7 twice: a duplicate
        text = b'[null,null,"t","m",{"a":%d,"b":%d,"c":"%s"}]' % (seq, time.time_ns(), b"p" * 90)
        frames.append(bytes((0x81, 126)) + len(text).to_bytes(2, "big") + text)
    reply = b'["1","5","t","phx_reply",{"status":"ok","response":{}}]'
    frames.insert(100, bytes((0x81, len(reply))) + reply)  # a push acknowledgement
    stream = b"".join(frames) + bytes((0x88, 2)) + (1000).to_bytes(2, "big")
    for fast in (True, False):
        latencies: array[int] = array("q")
        client = BenchClient(0, "127.0.0.1", 1, "tok", "t", 300, latencies)
        client.upgraded.set_result(None)
        client.joined.set_result(True)
        client.count_acks = not fast
        for start in range(0, len(stream), 997):  # reads cut frames anywhere
            client.data_received(stream[start : start + 997])
        assert (client.received, client.duplicates, len(latencies)) == (300, 1, 301)
        assert client.close_reason == "close 1000 "
        assert client.replies_ok == (0 if fast else 1)
