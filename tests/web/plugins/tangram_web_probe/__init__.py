"""Test plugin: a hand-written frontend (no build step) exercising the plugin API."""

from __future__ import annotations

import tangram

plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path="frontend")
