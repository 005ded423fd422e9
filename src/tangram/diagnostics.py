"""Hints for the mistakes new users make, shared by ``tangram check``, ``list-plugins``
and ``serve``: "did you mean" suggestions, where tangram's own plugins come from, a
declared plugin frontend that is not there, where the configuration file was looked
for, and PyPI's unrelated ``tangram`` distribution shadowing this one.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plugin import Plugin

__all__ = [
    "OFFICIAL_PLUGINS",
    "config_search_note",
    "did_you_mean",
    "frontend_problem",
    "install_hint",
    "unrelated_tangram",
    "web_app_problem",
]

#: Distributions of this repository (``packages/<name>``). PyPI has unrelated packages
#: under some of these names (upstream's tangram-system 0.6 needs tangram-core), so a
#: hint must never send users there.
OFFICIAL_PLUGINS = ("tangram_example", "tangram_jet1090", "tangram_system")
#: The built web app (``npm run build`` writes it; wheels always carry it).
WEB_DIST = Path(__file__).parent / "web" / "dist"
#: Our console script; the unrelated PyPI ``tangram`` ("Tangram for Python") has none.
_OUR_SCRIPT = "tangram.cli:main"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def install_hint(name: str) -> str:
    """How to install the distribution providing plugin ``name`` (normalized)."""
    if name in OFFICIAL_PLUGINS:
        return (
            f"install tangram's own {name}: `pip install dist/{name}-*.whl` (the wheels "
            f"`scripts/build` writes), or `pip install packages/{name}` in a checkout of the "
            f"tangram repository (PyPI's {name.replace('_', '-')} is another project's and "
            "does not work with this tangram)"
        )
    return (
        "install the distribution that provides it into this environment (for a plugin "
        "project of your own: `pip install ./my-plugin`)"
    )


_FRONTEND_FIX = (
    "build the plugin's frontend and reinstall the plugin; a wheel must contain it "
    "(docs/plugins.md, Packaging)"
)


def frontend_problem(plugin: Plugin[Any]) -> str | None:
    """Why the frontend a plugin declares (``frontend_path``) cannot load, or None."""
    folder = plugin.frontend_path
    if folder is None:
        return None
    if not folder.is_dir():
        return f"frontend folder {folder} does not exist. Fix: {_FRONTEND_FIX}"
    meta_path = folder / "plugin.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"frontend: {meta_path} not found. Fix: {_FRONTEND_FIX}"
    except (OSError, ValueError) as exc:
        return f"frontend: {meta_path} cannot be read: {exc}. Fix: {_FRONTEND_FIX}"
    if not isinstance(meta, dict) or not isinstance(meta.get("main"), str):
        return (
            f'frontend: {meta_path} is {meta!r}; expected a JSON object with a "main" '
            'string, e.g. {"main": "index.js"}'
        )
    for key in ("main", "style"):
        name = meta.get(key)
        if isinstance(name, str) and not (folder / name).is_file():
            return (
                f"frontend: {folder / 'plugin.json'} names {key} {name!r}, but "
                f"{folder / name} does not exist. Fix: {_FRONTEND_FIX}"
            )
    return None


def web_app_problem(web_dist: Path = WEB_DIST) -> str | None:
    """Why the server would show a placeholder instead of the web app, or None."""
    index = web_dist / "index.html"
    if index.is_file():
        return None
    return (
        f"the web app is not built ({index} is missing), so the page only says so. Fix: in a "
        "checkout (editable install), run `npm ci && npm run build` (scripts/install does); "
        "otherwise reinstall tangram from a wheel (`scripts/build`, then `pip install "
        "dist/*.whl`)"
    )


def config_search_note(env_var: str, default_file: str) -> str:
    """What a run without a configuration file looked for, and how to start one."""
    local = Path.cwd() / default_file
    env = os.environ.get(env_var)
    return (
        f"no configuration file: no --config, ${env_var} {'= ' + env if env else 'unset'}, "
        f"no {local}; using the built-in defaults (no plugins). Start one with "
        "`tangram new-config`"
    )


def unrelated_tangram(found: Iterable[Distribution] | None = None) -> str | None:
    """A one-line warning if a distribution named ``tangram`` that is not this project
    (PyPI's "Tangram for Python", 0.3 to 0.7) is installed where Python looks."""
    for dist in distributions() if found is None else found:
        if (dist.metadata["Name"] or "").lower() != "tangram":
            continue
        if any(ep.value == _OUR_SCRIPT for ep in dist.entry_points):
            continue
        where = getattr(dist, "_path", None)
        return (
            f"an unrelated distribution named tangram ({dist.version}, "
            f"{dist.metadata['Summary'] or 'not this project'!r}) is installed "
            f"{f'at {where} ' if where else ''}and shadows this tangram: remove it "
            "(`pip uninstall tangram`), then reinstall this one (`pip install "
            "dist/tangram-*.whl`, or `pip install -e .` in a checkout); plugins should "
            "depend on tangram~=0.2.0"
        )
    return None
