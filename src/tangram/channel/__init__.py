"""tangram's real-time gateway: Phoenix Channels v2 over WebSocket <-> Redis pub/sub.

See docs/channel.md. The core starts it with :class:`ChannelProcess`; browsers find it
at :func:`public_url`.
"""

from __future__ import annotations

from .process import ChannelProcess, public_url

__all__ = ["ChannelProcess", "public_url"]
