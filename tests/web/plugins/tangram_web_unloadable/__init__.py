"""Test plugin whose plugin.json names a module that does not exist."""

from __future__ import annotations

import tangram

plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path="frontend")
