"""Registration and aircraft type from a BaseStation SQLite database.

Tools in the ADS-B world share ``basestation.zip``: a zipped SQLite file (``.sqb``)
whose ``Aircraft`` table maps the Mode S address (``ModeS``, upper-case hex) to
``Registration`` and ``ICAOTypeCode``. The plugin must start and run offline, so the
database is optional: a cached copy is used at once, a download happens in the
background, and any failure only means registrations stay empty.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

__all__ = ["AircraftDatabase", "download_database", "is_fresh"]

log = logging.getLogger(__name__)


class AircraftDatabase:
    """Read-only look-ups in a BaseStation file, cached per address."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Look-ups happen on the event loop and (rarely) in worker threads.
        self._conn = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str | None, str | None] | None] = {}
        # Fail now, not on the first aircraft, when the file is not a BaseStation db.
        self._conn.execute("SELECT ModeS, Registration, ICAOTypeCode FROM Aircraft LIMIT 1")

    def lookup(self, icao24: str) -> tuple[str | None, str | None] | None:
        if icao24 in self._cache:
            return self._cache[icao24]
        with self._lock:
            row = self._conn.execute(
                "SELECT Registration, ICAOTypeCode FROM Aircraft WHERE ModeS = ? LIMIT 1",
                (icao24.upper(),),
            ).fetchone()
        found = (_clean(row[0]), _clean(row[1])) if row else None
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[icao24] = found
        return found

    def close(self) -> None:
        self._conn.close()


def _clean(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def is_fresh(path: Path, max_age_days: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < max_age_days * 86400
    except OSError:
        return False


async def download_database(client: httpx.AsyncClient, url: str, target: Path) -> Path:
    """Fetch ``url`` (a zip holding one SQLite file, or the SQLite file itself) and
    atomically replace ``target``; raises httpx/OSError/ValueError on failure."""
    log.info("downloading aircraft database from %s", url)
    response = await client.get(url, follow_redirects=True, timeout=120)
    response.raise_for_status()
    payload = response.content
    if payload[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if not names:
                raise ValueError(f"{url}: the zip archive is empty; expected basestation.sqb")
            payload = archive.read(names[0])
    if not payload.startswith(b"SQLite format 3\x00"):
        raise ValueError(f"{url}: expected a SQLite database (or a zip of one), got other data")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".basestation-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        AircraftDatabase(Path(tmp)).close()  # validate before replacing a good copy
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("aircraft database saved to %s (%d bytes)", target, len(payload))
    return target
