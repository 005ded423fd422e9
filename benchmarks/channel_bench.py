"""Channel gateway benchmark: drive a gateway the way browsers do, print a table and JSON.

Usage (from the repository root)::

    .venv/bin/python benchmarks/channel_bench.py --target both
    .venv/bin/python benchmarks/channel_bench.py --target tangram --quick

Every target runs against its own private ``redis-server`` on a free loopback port,
started and stopped here; nothing touches 127.0.0.1:6379. See ``docs/bench-channel.md``
for the scenarios, the columns, and recorded results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

try:
    import uvloop
except ImportError:  # pragma: no cover - not available on Windows
    uvloop = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateways import start_gateway
from scenarios import Scenario, run_scenario
from storms import idle, join_storm

from tangram.testing import start_redis

__all__ = ["main", "scenarios_from_args"]

COLUMNS = [
    ("scenario", "scenario", "{}"),
    ("target", "target", "{}"),
    ("clients", "clients", "{}"),
    ("sent", "sent", "{}"),
    ("expected", "expected", "{}"),
    ("delivered", "delivered", "{}"),
    ("lost", "lost", "{}"),
    ("dup", "duplicates", "{}"),
    ("dropped", "dropped_clients", "{}"),
    ("deaf", "deaf_clients", "{}"),
    ("p50 ms", "p50_ms", "{:.2f}"),
    ("p99 ms", "p99_ms", "{:.2f}"),
    ("max ms", "max_ms", "{:.1f}"),
    ("msg/s", "throughput", "{:,.0f}"),
    ("gw cpu s", "gateway_cpu_s", "{:.2f}"),
    ("gw us/msg", "gateway_us_per_msg", "{:.1f}"),
    ("redis cpu s", "redis_cpu_s", "{:.2f}"),
    ("load cpu s", "loadgen_cpu_s", "{:.2f}"),
    ("host busy %", "host_busy_pct", "{:.0f}"),
]


def scenarios_from_args(args: argparse.Namespace) -> list[Scenario]:
    """The three standard scenarios, scaled by the command-line options."""
    q = 10 if args.quick else 1  # --quick: a smoke run, ten times smaller
    table = {
        "fanout": Scenario(
            "fanout", "fanout", max(1, args.clients // q), int(args.rate * args.duration / q),
            args.rate, args.pad,
        ),
        "burst": Scenario(
            "burst", "fanout", max(1, args.burst_clients // q), args.burst // q, 0, args.pad
        ),
        "ingress": Scenario(
            "ingress", "ingress", max(1, args.clients // q),
            int(args.ingress_rate * args.duration / q), args.ingress_rate,
        ),
    }  # fmt: skip
    return [table[name] for name in args.scenarios]


def describe_run() -> str:
    """Date, machine and the gateway code measured (the working tree may be ahead of HEAD)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "?"

    dirty = git("status", "--porcelain", "--", "src/tangram/channel")
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores;"
        f" tangram {git('rev-parse', '--short', 'HEAD')}"
        f"{' + uncommitted src/tangram/channel changes' if dirty else ''}"
        f"; upstream tangram-core 0.6.0; load average {os.getloadavg()[0]:.2f}"
    )


STORM_COLUMNS = [
    ("scenario", "scenario", "{}"),
    ("target", "target", "{}"),
    ("clients", "clients", "{}"),
    ("joined ok", "joined_ok", "{}"),
    ("presence_state", "presence_states", "{}"),
    ("all joined s", "all_joined_s", "{:.2f}"),
    ("frames/client", "frames_per_client", "{:.1f}"),
    ("broadcast reached", "broadcast_reached", "{}"),
    ("broadcast s", "broadcast_s", "{:.2f}"),
    ("gw cpu s", "gateway_cpu_s", "{:.2f}"),
    ("gw RSS MiB", "gateway_rss_mib", "{:.1f}"),
    ("KiB/conn", "kib_per_conn", "{:.1f}"),
    ("host busy %", "host_busy_pct", "{:.0f}"),
]


def format_table(
    rows: list[dict[str, Any]], markdown: bool = False, columns: list[Any] = COLUMNS
) -> str:
    def cell(row: dict[str, Any], key: str, fmt: str) -> str:
        value = row.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        return fmt.format(value)

    cells = [[title for title, _, _ in columns]]
    cells += [[cell(r, key, fmt) for _, key, fmt in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    if markdown:
        lines = ["| " + " | ".join(line) + " |" for line in cells]
        lines.insert(1, "|" + "|".join(" --- " for _ in widths) + "|")
        return "\n".join(lines)
    lines = [" | ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


async def run_storms(target: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The join-storm and idle-connection scenarios, each on a fresh gateway."""
    rows: list[dict[str, Any]] = []
    for name in args.scenarios:
        if name not in ("joinstorm", "idle"):
            continue
        with start_redis() as redis:
            gw = start_gateway(target, redis.url, args.settings)
            try:
                print(f"[{target}] {name}", file=sys.stderr, flush=True)
                psutil.cpu_percent(None)
                try:
                    if name == "joinstorm":
                        found = [await join_storm(gw, args.storm_clients, redis.url)]
                    else:
                        found = await idle(gw, args.idle_steps)
                except Exception as exc:  # one broken scenario must not hide the others
                    found = [{"error": repr(exc)}]
                    print(f"[{target}] {name} failed: {exc!r}", file=sys.stderr)
                busy = psutil.cpu_percent(None)
                for row in found:
                    row.update(target=target, scenario=name, host_busy_pct=busy)
                rows += found
                if not gw.alive():
                    print(f"[{target}] gateway died:\n{gw.log_tail()}", file=sys.stderr)
            finally:
                gw.stop()
    return rows


async def run_target(
    target: str, scenarios: list[Scenario], settings: list[str], quiet: float
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if not scenarios:
        return rows
    with start_redis() as redis:
        assert redis.process is not None
        redis_ps = psutil.Process(redis.process.pid)
        gw = start_gateway(target, redis.url, settings)
        try:
            for sc in scenarios:
                print(f"[{target}] {sc.name}: {sc}", file=sys.stderr, flush=True)
                try:
                    row = await run_scenario(gw, sc, redis.url, redis_ps, quiet)
                except Exception as exc:  # one broken scenario must not hide the others
                    row = {"target": target, "scenario": sc.name, "error": repr(exc)}
                    print(f"[{target}] {sc.name} failed: {exc!r}", file=sys.stderr)
                rows.append(row)
                if not gw.alive():
                    print(f"[{target}] gateway died:\n{gw.log_tail()}", file=sys.stderr)
                    break
        finally:
            gw.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--target", choices=["tangram", "rust", "both"], default="tangram")
    p.add_argument(
        "--scenarios", nargs="+", choices=["fanout", "burst", "ingress", "joinstorm", "idle"],
        default=["fanout", "burst", "ingress"],
    )  # fmt: skip
    p.add_argument("--clients", type=int, default=100, help="fan-out and ingress sockets")
    p.add_argument("--rate", type=float, default=1000, help="fan-out publish rate, msg/s")
    p.add_argument("--duration", type=float, default=10, help="fan-out and ingress seconds")
    p.add_argument("--burst", type=int, default=20000, help="messages in the burst")
    p.add_argument("--burst-clients", type=int, default=20)
    p.add_argument("--ingress-rate", type=float, default=100, help="pushes/s per client")
    p.add_argument("--storm-clients", type=int, default=2000, help="clients of the join storm")
    p.add_argument(
        "--idle-steps", type=int, nargs="+", default=[1000, 5000, 10000],
        help="idle scenario: total connections at which memory is read",
    )  # fmt: skip
    p.add_argument("--pad", type=int, default=64, help="padding bytes in each payload")
    p.add_argument("--quiet", type=float, default=3.0, help="drain: stop after s of silence")
    p.add_argument("--quick", action="store_true", help="ten times smaller, for smoke runs")
    p.add_argument(
        "--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
        help="extra [channel] TOML line for our gateway, e.g. --set 'max_buffer_bytes = 16777216'",
    )  # fmt: skip
    p.add_argument("--json", type=Path, help="also write the JSON results to this file")
    p.add_argument(
        "--table-from", type=Path, metavar="JSON",
        help="only print the Markdown table of a saved --json file, run nothing",
    )  # fmt: skip
    args = p.parse_args(argv)
    if args.table_from:
        saved = json.loads(args.table_from.read_text())
        storm = [r for r in saved if r.get("scenario") in ("joinstorm", "idle")]
        classic = [r for r in saved if r not in storm]
        if classic:
            print(format_table(classic, markdown=True))
        if storm:
            print(format_table(storm, markdown=True, columns=STORM_COLUMNS))
        return 0

    classic = [name for name in args.scenarios if name in ("fanout", "burst", "ingress")]
    scenarios = scenarios_from_args(argparse.Namespace(**{**vars(args), "scenarios": classic}))
    targets = ["tangram", "rust"] if args.target == "both" else [args.target]
    rows: list[dict[str, Any]] = []
    storm_rows: list[dict[str, Any]] = []
    for target in targets:
        # uvloop (a project dependency on Linux) makes the load generator cheaper.
        coro = run_target(target, scenarios, args.settings, args.quiet)
        rows += uvloop.run(coro) if uvloop is not None else asyncio.run(coro)
        storms = run_storms(target, args)
        storm_rows += uvloop.run(storms) if uvloop is not None else asyncio.run(storms)
    # Side by side: each scenario's rows next to each other.
    order = {sc.name: i for i, sc in enumerate(scenarios)}
    rows.sort(key=lambda r: (order.get(r["scenario"], 99), targets.index(r["target"])))
    print(f"# {describe_run()}")
    if rows:
        print(format_table(rows))
    if storm_rows:
        storm_rows.sort(key=lambda r: (r["scenario"], r.get("clients", 0), r["target"]))
        print(format_table(storm_rows, columns=STORM_COLUMNS))
    for r in rows + storm_rows:
        if r.get("error") or r.get("close_reasons"):
            print(f"note {r['target']}/{r['scenario']}: {r.get('error') or r['close_reasons']}")
    text = json.dumps(rows + storm_rows, indent=1, sort_keys=True)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
