"""Build hook of this plugin: the one of the tangram repository, ``../../hatch_build.py``
(the logic and its reasons live there). An sdist carries a copy of that file as
``_hatch_build_shared.py`` (``[tool.hatch.build.targets.sdist.force-include]``)."""

import runpy
from pathlib import Path

_here = Path(__file__).resolve().parent
_copy = _here / "_hatch_build_shared.py"
_shared = _copy if _copy.is_file() else _here.parents[1] / "hatch_build.py"
FrontendBuildHook = runpy.run_path(str(_shared))["FrontendBuildHook"]
