"""Live entities on the map, shared by the entity plugins (aircraft, ships, ...).

- :class:`EntityTable`: one record per key, expiring when not heard from;
- :class:`StreamingClients`: each browser's box and selection, driven by the gateway's
  lifecycle events and the browser's pushes on its private ``streaming-<id>`` topic;
- :func:`publish_frames` / :func:`run_every`: the once-a-second frame for each client;
- :class:`HistoryStore`: trajectories in SQLite;
- :class:`EntityFeed`: the four together, for a plugin that needs nothing special;
- :class:`EntityPluginConfig`, :func:`runtime_lifespan`, :func:`open_history`: the
  configuration keys and the lifespan every entity plugin shares.

See docs/plugins.md ("Entity plugins").
"""

from __future__ import annotations

from .feed import EntityFeed, FeedCounters
from .history import HistoryStore
from .plugin import (
    EntityPluginConfig,
    EntityRuntime,
    data_dir,
    open_history,
    runtime_lifespan,
)
from .streaming import (
    CONTROL_PATTERN,
    PRIVATE_PREFIX,
    BoundingBox,
    StreamClient,
    StreamingClients,
    lower_id,
)
from .table import EntityTable, TableFull
from .ticks import publish_frames, run_every

__all__ = [
    "CONTROL_PATTERN",
    "PRIVATE_PREFIX",
    "BoundingBox",
    "EntityFeed",
    "EntityPluginConfig",
    "EntityRuntime",
    "EntityTable",
    "FeedCounters",
    "HistoryStore",
    "StreamClient",
    "StreamingClients",
    "TableFull",
    "data_dir",
    "lower_id",
    "open_history",
    "publish_frames",
    "run_every",
    "runtime_lifespan",
]
