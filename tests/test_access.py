"""The sans-I/O half of access control: keys, session cookies, the failed-key throttle."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from tangram.access import (
    LoginThrottle,
    SessionSigner,
    bearer_key,
    keys_match,
)
from tangram.config import ACCESS_KEY_ENV, load_config, parse_config
from tangram.errors import ConfigError

KEY = "correct horse battery staple, twice over"


def test_keys_match_only_the_exact_key() -> None:
    assert keys_match(KEY, KEY)
    assert not keys_match(KEY[:-1], KEY)
    assert not keys_match(KEY + " ", KEY)
    assert not keys_match("", KEY)
    assert not keys_match(None, KEY)
    assert not keys_match("\ud800", KEY)  # a lone surrogate from a JSON escape: no crash


def test_bearer_key() -> None:
    assert bearer_key(f"Bearer {KEY}") == KEY
    assert bearer_key(f"bearer  {KEY} ") == KEY
    assert bearer_key(f"Basic {KEY}") is None
    assert bearer_key("Bearer ") is None
    assert bearer_key(None) is None


def test_session_cookie_round_trip_and_expiry() -> None:
    signer = SessionSigner(KEY, lifetime_secs=3600)
    cookie = signer.issue(now=1_000_000)
    assert signer.valid(cookie, now=1_000_000)
    assert signer.valid(cookie, now=1_000_000 + 3599)
    assert not signer.valid(cookie, now=1_000_000 + 3600)
    assert not signer.valid(None) and not signer.valid("")


def test_session_cookie_refused_when_forged_or_from_another_key() -> None:
    signer = SessionSigner(KEY, lifetime_secs=3600)
    cookie = signer.issue()
    # Changing the access key ends every session.
    assert not SessionSigner(KEY + "!", lifetime_secs=3600).valid(cookie)
    head, claims, signature = cookie.split(".")
    assert not signer.valid(f"{head}.{claims}.{signature[:-2]}AA")
    # Signed with the raw key (not the derived one), or unsigned: refused.
    assert not signer.valid(jwt.encode({"aud": "tangram-session", "iat": 1, "exp": 2**40}, KEY))
    unsigned = jwt.encode({"aud": "tangram-session", "iat": 1, "exp": 2**40}, None, "none")
    assert not signer.valid(unsigned)
    # A join token is not a session, even with the same signing key.
    assert not signer.valid(
        jwt.encode({"id": "x", "channel": "*", "exp": 2**40}, signer._secret, "HS256")
    )


def test_oversized_cookie_is_not_parsed() -> None:
    signer = SessionSigner(KEY, lifetime_secs=3600)
    assert not signer.valid("a" * 1025)


def test_throttle_allows_the_burst_then_refuses_until_refilled() -> None:
    throttle = LoginThrottle(per_client_burst=5, per_client_period=12.0)
    for _ in range(5):
        assert throttle.retry_after("10.0.0.1", now=100.0) == 0
        throttle.failed("10.0.0.1", now=100.0)
    # The sixth attempt, just over the burst, waits one period.
    assert throttle.retry_after("10.0.0.1", now=100.0) == pytest.approx(12.0)
    assert throttle.retry_after("10.0.0.2", now=100.0) == 0  # other clients unaffected
    assert throttle.retry_after("10.0.0.1", now=106.0) == pytest.approx(6.0)
    assert throttle.retry_after("10.0.0.1", now=112.0) == 0
    throttle.failed("10.0.0.1", now=112.0)
    assert throttle.retry_after("10.0.0.1", now=112.0) > 0


def test_throttle_total_limit_holds_across_addresses() -> None:
    throttle = LoginThrottle(total_burst=50, total_period=2.0)
    for n in range(50):
        assert throttle.retry_after(f"10.1.0.{n}", now=0.0) == 0
        throttle.failed(f"10.1.0.{n}", now=0.0)
    assert throttle.retry_after("10.2.0.1", now=0.0) == pytest.approx(2.0)
    assert throttle.retry_after("10.2.0.1", now=2.0) == 0


def test_throttle_table_is_bounded() -> None:
    throttle = LoginThrottle(max_clients=1024, total_burst=10**6)
    for n in range(1025):
        throttle.failed(f"client-{n}", now=0.0)
    assert len(throttle) == 1024
    # The oldest address was forgotten first.
    assert throttle.retry_after("client-0", now=0.0) == 0


def test_access_key_from_config_and_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ACCESS_KEY_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no ./tangram.toml: built-in defaults
    assert load_config().server.access_key is None
    config = parse_config({"server": {"access_key": KEY}})
    assert config.server.access_key == KEY
    assert KEY not in repr(config.server)
    monkeypatch.setenv(ACCESS_KEY_ENV, "from the environment")
    assert load_config().server.access_key == "from the environment"
    assert parse_config({"server": {"access_key": KEY}}).server.access_key == (
        "from the environment"
    )
    monkeypatch.setenv(ACCESS_KEY_ENV, "short")
    with pytest.raises(ConfigError, match=f"{ACCESS_KEY_ENV} is 5 characters long"):
        load_config()


def test_access_key_closes_the_gateways_token_route() -> None:
    """The gateway's /token must not stay open (nor check the access key, unthrottled)."""
    first = parse_config({"server": {"access_key": KEY}}).channel.token_api_key
    second = parse_config({"server": {"access_key": KEY}}).channel.token_api_key
    assert first and second and first != second and len(first) >= 32
    assert KEY not in first
    configured = {"server": {"access_key": KEY}, "channel": {"token_api_key": "mine-mine"}}
    assert parse_config(configured).channel.token_api_key == "mine-mine"
    assert parse_config({}).channel.token_api_key is None


def test_short_access_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="server.access_key.*at least 8 characters"):
        parse_config({"server": {"access_key": "1234567"}})
    with pytest.raises(ConfigError, match="server.session_expiration_secs"):
        parse_config({"server": {"session_expiration_secs": 0}})
