"""Cost of the receiver hot path per decoded message, load-immune under callgrind.

The benchmark's Beast stream (``beast_feed.fleet_stream``: the sample flight
re-addressed to 3000 aircraft) is cut into reads of 500 frames, as the TCP benchmark
sends them, and handed to a real ``ReceiverHub`` of a real ``Jet1090Runtime``:
Beast parsing, dedup, decoding (rs1090 and our caches), CPR and the state table,
with the history observing positions (its once-a-second write and the streaming
tick are per-second costs, measured by ``history_write_cost.py`` and
``jet1090_bench.py``). Reads are dated as if the stream came at ``--rate`` frames/s,
so the dedup window and the trust rules see the same timing as at that rate. A
warm-up pass, then the measured pass, run through ``sys.call_tracing`` so that
callgrind counts only it:

    valgrind --tool=callgrind --toggle-collect=sys_call_tracing \\
        .venv/bin/python benchmarks/beast_cost.py
    # instructions per decoded message = "Collected" / the "decoded" it prints

Without valgrind it prints CPU µs per decoded message (noisy on a shared machine) and,
with ``--profile``, where the time goes (cProfile, which inflates Python code).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from beast_feed import fleet_stream

READ_FRAMES = 500


def reads(aircraft: int, rounds: int) -> list[bytes]:
    """The stream as the consumer reads it: Beast frames (with a zero timestamp)."""
    stream = fleet_stream(aircraft, rounds)
    head, ticks = b"\x1a", bytes(6)
    frames = [head + tail[:1] + ticks + tail[1:] for tail in stream]
    return [b"".join(frames[i : i + READ_FRAMES]) for i in range(0, len(frames), READ_FRAMES)]


async def main(args: argparse.Namespace) -> None:
    from tangram_jet1090.config import Jet1090Config
    from tangram_jet1090.runtime import Jet1090Runtime

    chunks = reads(args.aircraft, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        config = Jet1090Config(
            history_path=str(Path(tmp) / "h.sqlite"),
            history_enabled=not args.no_history,
            aircraft_db_cache=str(Path(tmp) / "none"),
            sources=["beast://127.0.0.1:9"],
            reference="LFPG",
        )
        runtime = Jet1090Runtime(config, "redis://127.0.0.1:9")
        await runtime.open()
        hub = runtime.receivers
        assert hub is not None
        source = hub.sources[0]
        clock = [time.time()]
        step = READ_FRAMES / args.rate

        def one_pass() -> None:
            handle = hub.handle
            for data in chunks:
                clock[0] += step
                handle(source, data, clock[0])

        one_pass()  # warm-up: every aircraft known and confirmed
        gc.collect()
        gc.freeze()
        before = runtime.stats.applied
        cpu = time.process_time()
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(one_pass)
        else:
            sys.call_tracing(one_pass, ())
        cpu = time.process_time() - cpu
        decoded = runtime.stats.applied - before
        frames = len(chunks) * READ_FRAMES
        print(f"frames {frames} decoded {decoded} ({decoded / frames:.0%}); "
              f"{cpu / max(decoded, 1) * 1e6:.2f} CPU µs per decoded message; "
              f"rs1090 calls so far {hub.decoder.stats.rs1090_calls}")  # fmt: skip
        if args.profile:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        await runtime.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--aircraft", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--rate", type=float, default=50_000, help="frames/s the reads are dated at")
    p.add_argument("--no-history", action="store_true")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile: top N")
    asyncio.run(main(p.parse_args()))
