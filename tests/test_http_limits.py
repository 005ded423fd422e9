"""Request heads are bounded in size and time (a real ``tangram serve``, raw sockets)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import h11
import httpx
import pytest

from tangram.testing import RedisServer, TangramProcess

Serve = Callable[..., TangramProcess]
MAX_HEADER_BYTES = 4096


def limited(tangram_server: Serve, redis_url: str) -> TangramProcess:
    return tangram_server(
        f"""
        [core]
        redis_url = "{redis_url}"
        [server]
        port = {{http_port}}
        max_header_bytes = {MAX_HEADER_BYTES}
        header_timeout_secs = 1
        [channel]
        enabled = false
        """
    )


def exchange(sock: socket.socket, conn: h11.Connection, head: list[tuple[str, str]]) -> int:
    """One GET on a keep-alive connection; returns the status."""
    request = h11.Request(method="GET", target="/manifest.json", headers=[("host", "t"), *head])
    sock.sendall((conn.send(request) or b"") + (conn.send(h11.EndOfMessage()) or b""))
    status = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.EndOfMessage):
            conn.start_next_cycle()
            return status


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_head_just_over_the_limit_gets_431_and_close(
    redis_server: RedisServer, tangram_server: Serve
) -> None:
    served = limited(tangram_server, redis_server.url)
    with socket.create_connection(("127.0.0.1", served.http_port), timeout=10) as sock:
        conn = h11.Connection(h11.CLIENT)
        assert exchange(sock, conn, [("x-big", "a" * (MAX_HEADER_BYTES - 200))]) == 200
    with socket.create_connection(("127.0.0.1", served.http_port), timeout=10) as sock:
        # A header that has not ended yet: the server must not wait for the rest.
        sock.sendall(b"GET /manifest.json HTTP/1.1\r\nhost: t\r\nx-big: " + b"a" * MAX_HEADER_BYTES)
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 431 "), reply
    assert f"request head over {MAX_HEADER_BYTES} bytes".encode() in reply
    assert httpx.get(f"{served.url}/manifest.json").status_code == 200


@pytest.mark.parametrize("after_a_request", [False, True], ids=["new", "keep-alive"])
@pytest.mark.parametrize(
    "first_bytes", [b"", b"GET /manifest.json HTTP/1.1\r\n"], ids=["silent", "dribbling"]
)
def test_a_head_not_complete_in_time_gets_408_and_close(
    redis_server: RedisServer, tangram_server: Serve, after_a_request: bool, first_bytes: bytes
) -> None:
    served = limited(tangram_server, redis_server.url)
    with socket.create_connection(("127.0.0.1", served.http_port), timeout=10) as sock:
        if after_a_request:  # keep-alive: the limit applies to every request's head
            assert exchange(sock, h11.Connection(h11.CLIENT), []) == 200
        sock.sendall(first_bytes)
        sock.settimeout(0.2)
        reply = None
        for _ in range(100):  # one header byte every 0.2 s for up to 20 s
            try:
                reply = sock.recv(65536)
                break
            except TimeoutError:
                if first_bytes:
                    sock.sendall(b"x")
        assert reply is not None, "the server kept waiting for the head"
        sock.settimeout(10)
        reply += answer(sock)
    if after_a_request and not first_bytes:
        assert reply == b""  # an idle keep-alive connection: uvicorn closes it quietly
    else:
        assert reply.startswith(b"HTTP/1.1 408 "), reply
