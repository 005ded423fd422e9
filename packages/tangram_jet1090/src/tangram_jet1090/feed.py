"""The jet1090 feed reader: tangram's lean pub/sub client with the plugin's channels.

``tangram.redis.Subscriber`` awaits once per message, which costs more than decoding
the message itself at 10-20k messages/s. :class:`tangram.resp.PubSubClient` hands
every message of a socket read to a plain synchronous callback, so a burst costs one
await; it connects, authenticates (TLS and unix sockets included) and reconnects with
tangram's one backoff policy, logging the gap.
"""

from __future__ import annotations

from collections.abc import Sequence

from tangram.resp import MessageHandler, PatternHandler, PubSubClient

__all__ = ["FeedReader"]


class FeedReader(PubSubClient):
    """Subscribe to ``channels`` and ``patterns`` on ``redis_url``; :meth:`run` until
    cancelled. ``subscribed`` is set while every subscription is confirmed."""

    def __init__(
        self,
        name: str,
        redis_url: str,
        channels: Sequence[str],
        patterns: Sequence[str],
        on_message: MessageHandler,
        on_pmessage: PatternHandler,
    ) -> None:
        super().__init__(redis_url, on_pmessage, on_message=on_message, name=name)
        self.wanted_channels = list(channels)
        self.wanted_patterns = list(patterns)

    async def run(self) -> None:
        for channel in self.wanted_channels:
            self.subscribe(channel.encode())
        for pattern in self.wanted_patterns:
            self.psubscribe(pattern.encode())
        await super().run()
