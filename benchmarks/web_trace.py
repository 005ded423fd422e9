"""Reads a Chromium trace (``browser.start_tracing``) for benchmarks/web_bench.py.

Chromium records every task a thread runs as a ``ThreadControllerImpl::RunTask``
complete event (category ``toplevel``) with two durations: ``dur``, wall time, and
``tdur``, the thread's CPU time. Their difference is time the thread was blocked. In
headless Chromium with software compositing, the renderer's main thread spends most of
its wall time blocked in ``Commit`` -> ``GLES2::ReadPixels``: it copies each WebGL frame
back from the GPU process, where SwiftShader draws it on the CPU. That wait is the
price of drawing without a GPU, not work of the page, so the benchmark reports the
main thread's CPU time and, separately, its wall time and the part of it spent in
``ReadPixels``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ThreadTime", "TraceSummary", "summarise"]

TASK = "ThreadControllerImpl::RunTask"
READBACK = "GLES2::ReadPixels"
#: The page's User Timing measure of each applied update (tangram_jet1090's index.ts).
UPDATE = "jet1090:update"


@dataclass
class ThreadTime:
    """Top-level task time of one thread over the traced window, in milliseconds."""

    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    tasks: int = 0


@dataclass
class TraceSummary:
    main: ThreadTime
    #: MapLibre's web workers (GeoJSON tiling runs there), summed.
    workers: ThreadTime
    #: Wall time the main thread spent reading WebGL frames back (software compositing).
    readback_ms: float
    #: Updates applied (``jet1090:update`` measures that ended in the window).
    updates: int
    #: Main-thread CPU by direct child of a task (``FunctionCall``, ``Commit``...).
    breakdown: Counter[str] = field(default_factory=Counter)


def _threads(events: list[dict[str, Any]]) -> dict[tuple[int, int], str]:
    return {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }


def _tasks(events: list[dict[str, Any]], key: tuple[int, int]) -> list[dict[str, Any]]:
    """The thread's outermost tasks (a nested run loop's tasks are inside another)."""
    tasks = sorted(
        (e for e in events if e.get("ph") == "X" and e.get("name") == TASK
         and (e["pid"], e["tid"]) == key),
        key=lambda e: e["ts"],
    )  # fmt: skip
    outer: list[dict[str, Any]] = []
    end = -1.0
    for task in tasks:
        if task["ts"] >= end:
            outer.append(task)
            end = task["ts"] + task.get("dur", 0)
    return outer


def _time(tasks: list[dict[str, Any]]) -> ThreadTime:
    return ThreadTime(
        wall_ms=sum(t.get("dur", 0) for t in tasks) / 1000,
        cpu_ms=sum(t.get("tdur", 0) for t in tasks) / 1000,
        tasks=len(tasks),
    )


def summarise(trace: dict[str, Any]) -> TraceSummary:
    """Main thread and worker time of the page's renderer over the whole trace."""
    events: list[dict[str, Any]] = trace["traceEvents"]
    names = _threads(events)
    ends = Counter(
        (e["pid"], e["tid"]) for e in events if e.get("name") == UPDATE and e.get("ph") == "e"
    )
    mains = [key for key, name in names.items() if name == "CrRendererMain"]
    if not mains:
        raise RuntimeError("the trace has no renderer main thread (CrRendererMain)")
    # The page's renderer is the one whose main thread applied the updates (or, with no
    # update, the busiest one).
    main = max(mains, key=lambda k: (ends.get(k, 0), _time(_tasks(events, k)).wall_ms))
    tasks = _tasks(events, main)
    workers = ThreadTime()
    for key, name in names.items():
        if key[0] == main[0] and name.startswith("DedicatedWorker"):
            t = _time(_tasks(events, key))
            workers.wall_ms += t.wall_ms
            workers.cpu_ms += t.cpu_ms
            workers.tasks += t.tasks
    breakdown: Counter[str] = Counter()
    spans = [(t["ts"], t["ts"] + t.get("dur", 0)) for t in tasks]
    readback = 0.0
    for e in events:
        if (e["pid"], e["tid"]) != main or e.get("ph") != "X":
            continue
        if e.get("name") == READBACK:
            readback += e.get("dur", 0) / 1000
    # Direct children: complete events that start inside a task and are not inside
    # another child of it (events are sorted by start, children nest properly).
    children = sorted(
        (e for e in events if (e["pid"], e["tid"]) == main and e.get("ph") == "X"
         and e.get("name") != TASK),
        key=lambda e: (e["ts"], -e.get("dur", 0)),
    )  # fmt: skip
    i = 0
    for start, stop in spans:
        inner_end = -1.0
        while i < len(children) and children[i]["ts"] < start:
            i += 1
        while i < len(children) and children[i]["ts"] < stop:
            child = children[i]
            if child["ts"] >= inner_end:
                breakdown[child["name"]] += child.get("tdur", 0) / 1000
                inner_end = child["ts"] + child.get("dur", 0)
            i += 1
    return TraceSummary(
        main=_time(tasks),
        workers=workers,
        readback_ms=readback,
        updates=ends.get(main, 0),
        breakdown=breakdown,
    )
