"""``tangram new-plugin`` and ``tangram new-config``: start a plugin project or a
configuration file from the templates in ``tangram/templates/``.

Templates are real files (package data) so that they read, and can be checked, like
what they produce. In file contents and paths, ``@NAME@`` is the name as typed,
``@MODULE@`` the Python package and entry-point name (``my_feed``), ``@DIST@`` the
distribution name, also used for the route and the topic (``my-feed``), and
``@PLUGINS@`` the TOML list of plugins to enable. A ``.tmpl`` suffix, which keeps
linters and pytest away from the templates, is dropped.
"""

from __future__ import annotations

import keyword
import re
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from .errors import TangramError

__all__ = ["TEMPLATES", "new_config", "new_plugin", "plugin_names"]

TEMPLATES = Path(__file__).parent / "templates"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")


def plugin_names(name: str) -> dict[str, str]:
    """The template tokens for plugin ``name``; raises ``TangramError`` if it is unusable."""
    if not _NAME.fullmatch(name):
        raise TangramError(
            f"plugin name {name!r}: expected letters and digits, words joined by '-' or '_', "
            "starting with a letter (e.g. my_feed)"
        )
    module = name.lower().replace("-", "_")
    if keyword.iskeyword(module) or module in ("tangram", "test", "tests"):
        raise TangramError(f"plugin name {name!r}: {module!r} is taken; choose another name")
    return {"@NAME@": name, "@MODULE@": module, "@DIST@": module.replace("_", "-")}


def _render(text: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def _config_text(plugins: list[str]) -> str:
    listed = "[" + ", ".join(f'"{name}"' for name in plugins) + "]"
    return _render((TEMPLATES / "tangram.toml").read_text(encoding="utf-8"), {"@PLUGINS@": listed})


def new_plugin(name: str, parent: Path) -> Path:
    """Write the project of plugin ``name`` into ``parent/name``; returns that folder."""
    tokens = plugin_names(name)
    target = parent / name
    if target.exists() and any(target.iterdir()):
        raise TangramError(f"{target} already exists and is not empty; choose another --dir")
    source = TEMPLATES / "plugin"
    for template in sorted(path for path in source.rglob("*") if path.is_file()):
        relative = _render(str(template.relative_to(source)), tokens).removesuffix(".tmpl")
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_render(template.read_text(encoding="utf-8"), tokens), encoding="utf-8")
    (target / "tangram.toml").write_text(_config_text([tokens["@MODULE@"]]), encoding="utf-8")
    return target


def new_config(path: Path) -> Path:
    """Write a commented ``tangram.toml`` at ``path`` (never over an existing file)."""
    if path.exists():
        raise TangramError(f"{path} already exists; remove it or pass another path")
    plugins = []
    try:
        distribution("tangram_system")
        plugins.append("tangram_system")  # the clock in the top bar: a first sign of life
    except PackageNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_config_text(plugins), encoding="utf-8")
    return path
