"""Test plugin whose frontend folder has no plugin.json (an unbuilt frontend)."""

from __future__ import annotations

import tangram

plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path="frontend")
