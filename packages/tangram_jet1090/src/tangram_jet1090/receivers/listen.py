"""``tangram jet1090 listen SOURCE``: print what a receiver sends, decoded.

For troubleshooting a receiver before (or without) ``tangram serve``: one JSON
message per line on stdout, like ``jet1090 --verbose``; connection changes on stderr;
a summary when it is stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from .hub import ReceiverHub
from .sources import SourceUrl

__all__ = ["Listener"]


class Listener:
    def __init__(
        self, url: SourceUrl, reference: tuple[float, float] | None, out: Callable[[str], None]
    ) -> None:
        self.out = out
        self.hub = ReceiverHub([url], sink=self._print, reference=reference)
        self.started = time.monotonic()

    def _print(self, message: dict[str, Any]) -> None:
        self.out(orjson.dumps(message).decode())

    async def run(self) -> None:
        self.started = time.monotonic()
        await self.hub.run()

    def summary(self) -> str:
        """``N messages in T s (R/s), errors: ...``."""
        (source,) = self.hub.sources
        stats = source.stats
        elapsed = max(time.monotonic() - self.started, 1e-9)
        decoder = self.hub.decoder.stats
        errors = {kind: count for kind, count in stats.errors.items() if count}
        if decoder.unconfirmed:
            errors["unconfirmed"] = decoder.unconfirmed
        shown = ", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"
        return (
            f"{source.url}: {stats.messages} messages in {elapsed:.1f} s "
            f"({stats.messages / elapsed:.1f}/s), {stats.duplicates} duplicates, "
            f"{stats.connects} connection(s), errors: {shown}"
        )
