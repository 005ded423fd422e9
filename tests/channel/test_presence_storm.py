"""A join storm: merged presence diffs and shared state reads, through a real gateway."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from websockets.asyncio.client import connect

from .conftest import GatewayFactory, Phx, http_base, mint, ws_url

JOINERS = 12


async def test_joins_of_one_window_reach_members_as_one_diff(
    gateway_factory: GatewayFactory,
) -> None:
    gateway = await gateway_factory()
    # A window far longer than the storm: every join falls into it, whatever the load.
    gateway.presence.diffs.window_secs = 3.0
    base = http_base(gateway)
    async with AsyncExitStack() as stack:
        witness = Phx(await stack.enter_async_context(connect(ws_url(gateway))))
        await witness.join("system", await mint(base, "system", "witness"))
        await witness.expect("presence_state")
        names = [f"c{i:02d}" for i in range(JOINERS)]
        tokens = [await mint(base, "system", name) for name in names]
        joiners = [Phx(await stack.enter_async_context(connect(ws_url(gateway)))) for _ in names]

        async def join(phx: Phx, token: str) -> Any:
            reply = await phx.join("system", token)
            assert reply[4]["status"] == "ok"
            return (await phx.expect("presence_state"))[4]

        states = await asyncio.gather(*(join(p, t) for p, t in zip(joiners, tokens, strict=True)))
        # Each joiner's state lists itself and the witness (and whoever read with it).
        for name, state in zip(names, states, strict=True):
            assert {name, "witness"} <= set(state)
        # The witness learns of all of them from fewer diffs than joins (one per window;
        # before merging, one diff per join).
        seen: set[str] = set()
        diffs = 0
        while seen != set(names):
            diff = (await witness.expect("presence_diff", timeout=10))[4]
            diffs += 1
            assert diff["leaves"] == {}
            seen |= set(diff["joins"]) - {"witness"}
        assert diffs < JOINERS
    # Joins in flight together also share one state read, but how many overlap depends on
    # timing (a loaded machine serialises them), so that saving is measured by the
    # join-storm benchmark (benchmarks/storms.py), not asserted here.
