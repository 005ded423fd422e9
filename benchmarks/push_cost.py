"""What one client push costs our gateway, in instructions: immune to machine load.

Wall-clock and even CPU-second figures move with the load of a shared machine (the
anchor's own cost moved by 25 % between two runs a minute apart). This counts the
instructions the gateway process executes, with valgrind's callgrind, for a fixed
ingress workload on a real Redis:

- ``--clients`` sockets join one topic, then each pushes ``--pushes`` frames in
  rounds of ``--batch`` frames (one write per socket per round; the next round
  starts once every push of this one was acknowledged, so each gateway read holds
  about one round of one socket);
- the same run with no pushes at all is the baseline: start-up, handshakes, joins
  and shutdown are the same in both, so their difference over the pushes made is the
  cost of one push (frame reader, Phoenix session, PUBLISH, ack and their system
  calls' user-space side).

Run from the repository root (about a minute under load)::

    .venv/bin/python benchmarks/push_cost.py

``--no-valgrind`` measures CPU seconds of the same workload instead (faster, noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateways import ROOT, Gateway, start_gateway
from scenarios import _connect
from wsload import encode_frame

from tangram.testing import start_redis

TOPIC = "bench-push-cost"
#: The payload of the ingress benchmark (channel_bench.py), about 60 bytes.
TEMPLATE = b'["1","%d","' + TOPIC.encode() + b'","in",{"a":%d,"b":%d,"c":%d}]'


async def _push(gw: Gateway, clients: int, pushes: int, batch: int) -> int:
    socks = await _connect(gw, TOPIC, clients, 0, array("q"))
    for c in socks:
        c.count_acks = True
    ref = 2
    sent = 0
    while sent < pushes:
        n = min(batch, pushes - sent)
        for c in socks:
            assert c.transport is not None
            frames = [TEMPLATE % (ref + i, sent + i, 0, c.index) for i in range(n)]
            c.transport.write(b"".join(map(encode_frame, frames)))
        sent += n
        ref += n
        deadline = time.monotonic() + 600
        while sum(c.replies_ok for c in socks) < sent * clients:
            if time.monotonic() > deadline or any(c.closed_early for c in socks):
                raise RuntimeError("pushes were not all acknowledged")
            await asyncio.sleep(0.002)
    acked = sum(c.replies_ok for c in socks)
    for c in socks:
        c.close()
    await asyncio.sleep(0.2)
    return acked


def _run(redis_url: str, args: argparse.Namespace, pushes: int, out: Path | None) -> float:
    """Instructions (callgrind) or CPU seconds (psutil) of one gateway run."""
    wrapper = None
    if out is not None:
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    gw = start_gateway("tangram", redis_url, wrapper=wrapper, ready_timeout=300)
    try:
        cpu0 = gw.cpu()
        acked = asyncio.run(_push(gw, args.clients, pushes, args.batch))
        if acked != pushes * args.clients:
            raise RuntimeError(f"{acked} acks for {pushes * args.clients} pushes")
        cpu = gw.cpu() - cpu0
    finally:
        gw.process.send_signal(signal.SIGINT)  # a clean exit writes callgrind's file
        try:
            gw.process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            gw.process.kill()
            raise
    if out is None:
        return cpu
    match = re.search(r"^(?:summary|totals):\s*(\d+)", out.read_text(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no instruction total in {out}")
    return float(match[1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--pushes", type=int, default=1000, help="pushes per client")
    p.add_argument("--batch", type=int, default=20, help="frames per socket write")
    p.add_argument("--no-valgrind", action="store_true", help="CPU seconds, not instructions")
    p.add_argument("--keep", type=Path, help="keep the callgrind files in this folder")
    args = p.parse_args(argv)
    folder = args.keep or ROOT / ".bench" / "callgrind"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    total = args.clients * args.pushes
    with start_redis() as redis:
        results = []
        for pushes in (0, args.pushes):
            out = None if args.no_valgrind else folder / f"push-{stamp}-{pushes}.out"
            results.append(_run(redis.url, args, pushes, out))
            print(f"run with {pushes} pushes per client: {results[-1]:,.3f}", file=sys.stderr)
    per_push = (results[1] - results[0]) / total
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    unit = "CPU µs" if args.no_valgrind else "instructions"
    value = per_push * 1e6 if args.no_valgrind else per_push
    print(
        f"{value:,.1f} {unit} per push ({args.clients} clients x {args.pushes} pushes,"
        f" {args.batch} per write; load average {load})"
    )
    if not args.no_valgrind:
        print(f"callgrind files: {folder}/push-{stamp}-*.out (callgrind_annotate)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
