"""Who is watching which part of the map: the shared streaming clients of
:mod:`tangram.entities.streaming` (private ``streaming-<id>`` topics, lifecycle events
with ``phx_ref``, boxes and selections), serving ``new-jet1090-data`` frames of
``{"count", "aircraft"}`` keyed by ``icao24``."""

from __future__ import annotations

from tangram.entities.streaming import PRIVATE_PREFIX, BoundingBox, StreamClient
from tangram.entities.streaming import StreamingClients as _Clients

__all__ = [
    "EVENT",
    "PRIVATE_PREFIX",
    "BoundingBox",
    "StreamClient",
    "StreamingClients",
    "frame_channel",
]

#: The event of the aircraft frames on each browser's private topic.
EVENT = "new-jet1090-data"


def frame_channel(connection_id: str) -> str:
    """Redis channel of the frames for one browser."""
    return f"to:{PRIVATE_PREFIX}{connection_id}:{EVENT}"


class StreamingClients(_Clients):
    """The browsers to stream aircraft to, fed by ``from:streaming-<id>:*``."""

    def __init__(self) -> None:
        super().__init__(EVENT, key="icao24", list_name="aircraft")
