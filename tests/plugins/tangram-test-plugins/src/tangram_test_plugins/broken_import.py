"""A plugin whose import fails, as when a dependency is missing."""

import tangram_dependency_that_does_not_exist  # noqa: F401

plugin = None
