"""An entry point that points at something other than a tangram.Plugin."""

plugin = {"routers": []}
