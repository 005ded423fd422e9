"""``tangram frontend-sdk``: where the installed frontend SDK is, for ``npm install``.

A plugin developed in its own repository needs ``@tangram/api`` (the typed plugin API)
and ``@tangram/vite-plugin`` (the build helper). They are not on the npm registry: the
repository's build packs them as tarballs into ``tangram/web/sdk/`` and the wheel ships
them, so the SDK always matches the installed core. ``sdk.json`` next to them, written
by ``web/scripts/pack-sdk.mjs``, says which tarball holds which package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from .errors import TangramError

__all__ = ["SDK_DIR", "SdkPackage", "frontend_sdk", "sdk_packages"]

SDK_DIR = Path(__file__).parent / "web" / "sdk"
_FIX = "run `npm ci && npm run build` at the root of the tangram repository (scripts/install does)"


@dataclass(frozen=True)
class SdkPackage:
    """One npm package of the SDK and the tarball that holds it."""

    name: str
    version: str
    tarball: Path


def sdk_packages(sdk_dir: Path = SDK_DIR) -> list[SdkPackage]:
    """The SDK packages in ``sdk_dir``, checked to exist; raises ``TangramError`` if not."""
    index = sdk_dir / "sdk.json"
    try:
        raw = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TangramError(
            f"frontend SDK: {index} not found; expected the npm tarballs of @tangram/api and "
            f"@tangram/vite-plugin there (this tangram was installed without its built "
            f"frontend). Fix: {_FIX}"
        ) from None
    except json.JSONDecodeError as exc:
        raise TangramError(
            f"frontend SDK: {index} is not valid JSON ({exc}); expected the index written by "
            f"web/scripts/pack-sdk.mjs. Fix: {_FIX}"
        ) from None
    entries = raw.get("packages") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise TangramError(
            f"frontend SDK: {index} has packages={entries!r}; expected a non-empty list of "
            f"{{name, version, file}}. Fix: {_FIX}"
        )
    packages = []
    for entry in entries:
        if not isinstance(entry, dict) or not {"name", "version", "file"} <= entry.keys():
            raise TangramError(
                f"frontend SDK: {index} holds the entry {entry!r}; expected "
                f"{{name, version, file}}. Fix: {_FIX}"
            )
        tarball = sdk_dir / str(entry.get("file", ""))
        if not tarball.is_file():
            raise TangramError(
                f"frontend SDK: {index} names {entry.get('file')!r} for {entry.get('name')!r}, "
                f"but {tarball} does not exist. Fix: {_FIX}"
            )
        packages.append(SdkPackage(str(entry["name"]), str(entry["version"]), tarball))
    return packages


def frontend_sdk(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help='Print {"name": "file:<tarball>"} for a package.json devDependencies.'
        ),
    ] = False,
    folder: Annotated[
        bool, typer.Option("--dir", help="Print the folder holding the tarballs instead.")
    ] = False,
) -> None:
    """Print the frontend SDK tarballs for `npm install --save-dev $(tangram frontend-sdk)`.

    They are @tangram/api (types) and @tangram/vite-plugin; see docs/frontend.md."""
    packages = sdk_packages()
    if folder:
        typer.echo(str(SDK_DIR.resolve()))
    elif as_json:
        spec = {pkg.name: f"file:{pkg.tarball.resolve()}" for pkg in packages}
        typer.echo(json.dumps(spec, indent=2))
    else:
        # One path per line: `$(...)` splits on newlines as on spaces, and a reader can
        # copy a single line.
        for pkg in packages:
            typer.echo(str(pkg.tarball.resolve()))
