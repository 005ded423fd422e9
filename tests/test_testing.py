"""tangram.testing itself: helpers that plugin authors rely on must fail fast and clearly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tangram.testing import free_port, start_tangram, wait_for


def test_wait_for_fails_at_once_on_an_assertion() -> None:
    calls: list[int] = []

    def predicate() -> bool:
        calls.append(1)
        raise AssertionError("the server died")

    with pytest.raises(AssertionError, match="the server died"):
        wait_for(predicate, timeout=5, interval=0.01)
    assert len(calls) == 1


def test_wait_for_retries_other_errors() -> None:
    calls: list[int] = []

    def predicate() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not listening yet")
        return True

    wait_for(predicate, timeout=5, interval=0.01)
    assert len(calls) == 3


def test_a_server_that_exits_fails_its_start_at_once(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = f"""
        [core]
        redis_url = "redis://127.0.0.1:{free_port()}/0"
        [server]
        port = {port}
        [channel]
        enabled = false
        """
        # A generous timeout: before the fix the assertion was swallowed and the start
        # only failed when it ran out, with a message that did not say why.
        with pytest.raises(AssertionError) as failure:
            start_tangram(config, tmp_path, timeout=60)
    message = str(failure.value)
    assert "exited early with code 1" in message
    assert f"[server] 127.0.0.1:{port} is already in use" in message
