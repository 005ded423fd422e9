"""Registration and type from a BaseStation database fetched over HTTP (or not)."""

from __future__ import annotations

import asyncio
import http.server
import sqlite3
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tangram.testing import free_port


def _basestation(path: Path) -> Path:
    """A tiny file with the shape of BaseStation's basestation.sqb."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE Aircraft (AircraftID INTEGER PRIMARY KEY, ModeS VARCHAR(6) NOT NULL, "
        "Registration VARCHAR(20), ICAOTypeCode VARCHAR(10), OperatorFlagCode VARCHAR(20))"
    )
    conn.executemany(
        "INSERT INTO Aircraft (ModeS, Registration, ICAOTypeCode, OperatorFlagCode) "
        "VALUES (?, ?, ?, ?)",
        [("393322", "F-GSPZ", "B772", "AFR"), ("3C6DD1", "D-AIBA", "A319", "DLH")],
    )
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server for a folder: (base URL, folder)."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


async def _publish_and_wait(running: Any, icao: str) -> dict[str, Any]:
    await running.redis.publish("jet1090", f'{{"df":"5","icao24":"{icao}","squawk":"1000"}}')
    for _ in range(250):
        record = running.runtime.table.get(icao)
        if record is not None:
            return dict(record)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{icao} never appeared")


async def test_downloaded_zip_fills_registration_and_type(
    start_runtime: Any, http_folder: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, folder = http_folder
    sqb = _basestation(tmp_path / "basestation.sqb")
    with zipfile.ZipFile(folder / "basestation.zip", "w") as archive:
        archive.write(sqb, "basestation.sqb")
    cache = tmp_path / "cache" / "bs.sqb"
    running = await start_runtime(
        aircraft_db_url=f"{base_url}/basestation.zip", aircraft_db_cache=str(cache)
    )
    # an aircraft seen before the download gets its registration afterwards
    before = await _publish_and_wait(running, "393322")
    assert before["registration"] is None
    async with httpx.AsyncClient() as client:
        await running.runtime.aircraft_db_refresh(client)
    assert cache.is_file()
    assert running.runtime.table.get("393322")["registration"] == "F-GSPZ"
    after = await _publish_and_wait(running, "3c6dd1")
    assert (after["registration"], after["typecode"]) == ("D-AIBA", "A319")
    assert running.runtime.snapshot()["aircraft_db"] == str(cache)


async def test_cached_copy_is_used_at_start_and_offline_is_harmless(
    start_runtime: Any, tmp_path: Path
) -> None:
    cache = _basestation(tmp_path / "cached.sqb")
    dead = f"http://127.0.0.1:{free_port()}/basestation.zip"
    # the cache is fresh, so nothing is downloaded; an unreachable URL is not an error
    running = await start_runtime(aircraft_db_url=dead, aircraft_db_cache=str(cache))
    record = await _publish_and_wait(running, "393322")
    assert record["typecode"] == "B772"
    async with httpx.AsyncClient() as client:
        await running.runtime.aircraft_db_refresh(client)

    offline = await start_runtime(
        aircraft_db_url=dead,
        aircraft_db_cache=str(tmp_path / "missing.sqb"),
        history_path=str(tmp_path / "h2.sqlite"),
    )
    async with httpx.AsyncClient() as client:
        await offline.runtime.aircraft_db_refresh(client)  # logs a warning, no exception
    assert offline.runtime.aircraft_db is None
    assert not (tmp_path / "missing.sqb").exists()
