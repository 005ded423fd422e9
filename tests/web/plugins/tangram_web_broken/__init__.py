"""Test plugin whose install() registers a widget and a layer, then throws."""

from __future__ import annotations

import tangram

plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path="frontend")
