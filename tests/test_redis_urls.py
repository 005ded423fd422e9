"""Every documented Redis URL scheme, parsed by one parser and used by both client
stacks (the lean tangram.resp and redis-py via tangram.redis.from_url) against a
real redis-server listening on TCP, TLS and a unix socket (issue 8, item 12)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from tangram.channel.server import Gateway
from tangram.config import TangramConfig
from tangram.redis import from_url
from tangram.redis_url import RedisAddress, RedisUrlError, parse_redis_url, redact_url
from tangram.resp import CommandClient, PubSubClient
from tangram.testing import RedisServer, TangramProcess, free_port, run_cli, start_redis

PASSWORD = "s3cr:et/pw"  # characters that need escaping in a URL: %3A and %2F
QUOTED = "s3cr%3Aet%2Fpw"


# -- parsing (no I/O) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://example.org", RedisAddress(host="example.org")),
        ("redis://h:7000/2", RedisAddress(host="h", port=7000, db=2)),
        ("redis://h?db=4", RedisAddress(host="h", db=4)),
        ("redis://:pw@h/1", RedisAddress(host="h", db=1, password="pw")),
        ("redis://bob:pw@h", RedisAddress(host="h", username="bob", password="pw")),
        (f"redis://:{QUOTED}@h", RedisAddress(host="h", password=PASSWORD)),
        ("valkey://h:1/3", RedisAddress(host="h", port=1, db=3)),
        ("rediss://h", RedisAddress(host="h", tls=True)),
        ("valkeys://h:6380/1", RedisAddress(host="h", port=6380, db=1, tls=True)),
        (
            "rediss://h?ssl_ca_certs=/ca.pem&ssl_cert_reqs=none",
            RedisAddress(host="h", tls=True, ssl_ca_certs="/ca.pem", verify=False),
        ),
        ("redis://[::1]:7000", RedisAddress(host="::1", port=7000)),
        ("unix:///run/redis.sock", RedisAddress(path="/run/redis.sock")),
        ("unix:///run/r.sock?db=5", RedisAddress(path="/run/r.sock", db=5)),
        ("unix://:pw@/run/r.sock", RedisAddress(path="/run/r.sock", password="pw")),
    ],
)
def test_parses_every_documented_form(url: str, expected: RedisAddress) -> None:
    assert parse_redis_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://h:6379", "scheme 'http://' is not supported"),
        ("localhost:6379", "scheme 'localhost://' is not supported"),
        ("127.0.0.1:6379", "no scheme is not supported"),
        ("redis://h/zero", "database 'zero' is not a number"),
        ("redis://h:99999", "not a valid URL"),
        ("redis://h?timeout=3", "unknown option 'timeout'"),
        ("rediss://h?ssl_cert_reqs=maybe", "ssl_cert_reqs='maybe'"),
        ("unix://", "needs the socket path"),
    ],
)
def test_unusable_urls_say_what_is_wrong_and_what_is_expected(url: str, problem: str) -> None:
    with pytest.raises(RedisUrlError) as caught:
        parse_redis_url(url)
    assert problem in str(caught.value) and "expected a URL such as" in str(caught.value)


def test_passwords_never_shown() -> None:
    address = parse_redis_url("rediss://bob:hunter2@h:1/2")
    assert address.display() == "rediss://bob:***@h:1/2"
    assert "hunter2" not in repr(address)
    with pytest.raises(RedisUrlError) as caught:
        parse_redis_url("foo://:hunter2@h")
    assert "hunter2" not in str(caught.value) and "foo://:***@h" in str(caught.value)
    text = "at redis://:a@b@h:1/0 and unix://u:x@/s.sock, rediss://h/0, ?password=p&db=1"
    assert redact_url(text) == (
        "at redis://:***@h:1/0 and unix://u:***@/s.sock, rediss://h/0, ?password=***&db=1"
    )


# -- a real server on TCP, TLS and a unix socket ---------------------------------------


@dataclass
class Endpoints:
    server: RedisServer
    tls_port: int
    socket: Path
    ca: Path


def _make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=tangram test CA")  # fmt: skip
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    sign = ("-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-extfile", "san.cnf")
    openssl("x509", "-req", "-in", "server.csr", *sign, "-out", "server.pem", "-days", "2")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    folder = tmp_path_factory.mktemp("redis-endpoints")
    ca, cert, key = _make_certificates(folder)
    sock, tls_port = folder / "redis.sock", free_port()
    args = ["--unixsocket", str(sock), "--unixsocketperm", "700", "--tls-port", str(tls_port),
            "--tls-cert-file", str(cert), "--tls-key-file", str(key),
            "--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no"]  # fmt: skip
    with start_redis(password=PASSWORD, args=args) as server:
        yield Endpoints(server, tls_port, sock, ca)


def _urls(e: Endpoints) -> dict[str, str]:
    tcp, tls, ca = e.server.port, e.tls_port, e.ca
    return {
        "redis": f"redis://:{QUOTED}@127.0.0.1:{tcp}/3",
        "valkey": f"valkey://:{QUOTED}@127.0.0.1:{tcp}/3",
        "rediss": f"rediss://:{QUOTED}@127.0.0.1:{tls}/3?ssl_ca_certs={ca}",
        "valkeys": f"valkeys://:{QUOTED}@localhost:{tls}?db=3&ssl_ca_certs={ca}",
        "rediss-unverified": f"rediss://:{QUOTED}@127.0.0.1:{tls}/3?ssl_cert_reqs=none",
        "unix": f"unix://:{QUOTED}@{e.socket}?db=3",
        "acl-user": f"redis://tester:{QUOTED}@127.0.0.1:{tcp}/3",
    }


@pytest.fixture
async def admin(endpoints: Endpoints) -> AsyncIterator[aioredis.Redis]:
    """A plain redis-py client on database 3, built without tangram's parser."""
    client = aioredis.Redis(port=endpoints.server.port, password=PASSWORD, db=3)
    await client.acl_setuser(
        "tester", enabled=True, passwords=[f"+{PASSWORD}"], keys="*", channels="*",
        commands=["+@all"],
    )  # fmt: skip
    yield client
    await client.aclose()


SCHEMES = ["redis", "valkey", "rediss", "valkeys", "rediss-unverified", "unix", "acl-user"]


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_both_client_stacks_use_every_scheme(
    scheme: str, endpoints: Endpoints, admin: aioredis.Redis
) -> None:
    url = _urls(endpoints)[scheme]
    key, channel = f"key-{scheme}", f"news-{scheme}"
    commands = CommandClient(url)
    received: list[tuple[bytes, ...]] = []
    pubsub = PubSubClient(
        url, lambda *m: received.append(m), on_message=lambda *m: received.append(m)
    )
    commands.start()
    pubsub.start()
    try:
        assert await commands.wait_up(10), f"lean client cannot connect to {url}"
        await commands.execute("SET", key, "lean")
        assert await admin.get(key) == b"lean"  # database 3, as the URL says
        subscribed = [pubsub.subscribe(channel.encode()), pubsub.psubscribe(b"pat-*")]
        await asyncio.wait_for(asyncio.gather(*subscribed), 10)
        client = from_url(url)
        try:
            assert await client.get(key) == b"lean"
            await client.set(key, "redis-py")
            assert await commands.execute("GET", key) == b"redis-py"
            await client.publish(channel, "one")
            await client.publish("pat-x", "two")
        finally:
            await client.aclose()
        for _ in range(200):
            if len(received) == 2:
                break
            await asyncio.sleep(0.02)
        assert received == [(channel.encode(), b"one"), (b"pat-*", b"pat-x", b"two")]
    finally:
        await commands.stop()
        await pubsub.stop()


async def test_tls_certificates_are_checked(
    endpoints: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    # No CA given: the system CAs do not know our test CA, so the connection is refused.
    url = f"rediss://:{QUOTED}@127.0.0.1:{endpoints.tls_port}/0"
    commands = CommandClient(url)
    commands.start()
    try:
        for _ in range(500):
            if "CERTIFICATE_VERIFY_FAILED" in caplog.text:
                break
            await asyncio.sleep(0.02)
        assert "CERTIFICATE_VERIFY_FAILED" in caplog.text and not commands.up
    finally:
        await commands.stop()
    assert PASSWORD not in caplog.text and QUOTED not in caplog.text
    client = from_url(url)
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        await client.ping()
    await client.aclose()


async def test_a_wrong_password_is_retried_and_logged_without_it(
    endpoints: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"unix://:not-{QUOTED}@{endpoints.socket}"
    pubsub = PubSubClient(url)
    pubsub.subscribe(b"x")
    pubsub.start()
    try:
        for _ in range(500):
            if "Redis refused AUTH" in caplog.text:
                break
            await asyncio.sleep(0.02)
        assert "Redis refused AUTH" in caplog.text and not pubsub.up
    finally:
        await pubsub.stop()
    assert "unix://:***@" in caplog.text
    assert "not-" not in caplog.text


@pytest.mark.parametrize("scheme", ["unix", "rediss", "valkeys"])
async def test_gateway_on_a_unix_socket_and_tls(endpoints: Endpoints, scheme: str) -> None:
    """The gateway once sent ``SELECT <socket path>`` for unix:// URLs and spoke
    plain TCP to rediss:// ones."""
    config = TangramConfig()
    config.channel.port = 0
    gateway = Gateway(config, _urls(endpoints)[scheme])
    await gateway.start()
    try:
        secret = await gateway.commands.execute("GET", "tangram:channel:jwt_secret")
        assert secret
        async with httpx.AsyncClient() as http:
            url = f"http://127.0.0.1:{gateway.port}/token"
            assert (await http.post(url, json={"channel": "system"})).status_code == 200
        assert await gateway.hub.pubsub.wait_up(5)
    finally:
        await gateway.stop()


# -- configuration: tangram check and serve ---------------------------------------------


@pytest.mark.parametrize("command", ["check", "serve"])
def test_unknown_scheme_is_a_one_line_configuration_error(tmp_path: Path, command: str) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text('[core]\nredis_url = "memcached://:hunter2@127.0.0.1:11211"\n')
    result = run_cli(command, "--config", str(path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr
    # One message (the terminal may wrap it): file, key, value, what is wrong, the fix.
    assert result.stderr.count("error:") == 1 and result.stderr.startswith("error:")
    text = "".join(result.stderr.splitlines())
    assert f"{path}: core.redis_url = 'memcached://:***@127.0.0.1:11211'" in text
    assert "scheme 'memcached://' is not supported" in text
    assert "expected a URL such as 'redis://127.0.0.1:6379/0'" in text


def test_serve_runs_on_a_valkey_url(
    redis_server: RedisServer, tangram_server: Callable[..., TangramProcess]
) -> None:
    """``valkey://`` passed ``tangram check`` and then crashed ``serve`` (redis-py's own
    URL parser did not know it)."""
    url = redis_server.url.replace("redis://", "valkey://")
    served = tangram_server(f'[core]\nredis_url = "{url}"\n')
    answer = httpx.post(f"{served.channel_url}/token", json={"channel": "system"}, timeout=5)
    assert answer.status_code == 200
    assert served.stop() == 0
    log = served.log()
    assert "Traceback" not in log and f"Redis {url}" in log


def test_gateway_process_reports_a_bad_url_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tangram.channel", "--redis-url", "memcached://:hunter2@h"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Redis URL 'memcached://:***@h': scheme")
    assert "hunter2" not in result.stderr
