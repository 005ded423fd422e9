"""Redis URLs: the one parser behind every Redis client of tangram, and log redaction.

Accepted forms (``valkey``/``valkeys`` are synonyms of ``redis``/``rediss``)::

    redis://[[username]:password@]host[:port][/db]
    rediss://...                       TLS (certificates checked against the system CAs)
    unix://[[username]:password@]/path/to/redis.sock[?db=N]

Query options: ``db`` (any scheme), ``ssl_ca_certs`` (a CA file for ``rediss``) and
``ssl_cert_reqs=none`` (skip certificate checks; for tests and self-signed set-ups).
Anything else is a :class:`RedisUrlError` saying what was wrong and what is expected.

Passwords never go to logs: :func:`redact_url` hides them in any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import TangramError

if TYPE_CHECKING:
    import ssl

__all__ = ["SCHEMES", "RedisAddress", "RedisUrlError", "parse_redis_url", "redact_url"]

#: Scheme -> TLS or not.
SCHEMES = {"redis": False, "rediss": True, "valkey": False, "valkeys": True, "unix": False}
_OPTIONS = ("db", "ssl_ca_certs", "ssl_cert_reqs")
_EXAMPLES = "'redis://127.0.0.1:6379/0', 'rediss://host:6380/0' or 'unix:///path/redis.sock?db=0'"
#: ``scheme://user:password@`` in any text (a URL inside a log message or an exception).
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/@:]*):([^\s/]*)@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&\s]*")


class RedisUrlError(TangramError, ValueError):
    """A Redis URL that cannot be used: ``reason`` says why and what is expected; the
    message adds the URL (password hidden)."""

    def __init__(self, shown: str, why: str) -> None:
        self.url = shown
        self.reason = f"{why}; expected a URL such as {_EXAMPLES}"
        super().__init__(f"Redis URL {shown!r}: {self.reason}")


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """Where and how to connect; build it with :func:`parse_redis_url`."""

    host: str = "127.0.0.1"
    port: int = 6379
    #: Unix socket path (``unix://``); host and port are then unused.
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ssl_ca_certs: str | None = None
    #: False with ``ssl_cert_reqs=none``: TLS without certificate checks.
    verify: bool = True

    def __repr__(self) -> str:  # dataclass' own repr would show the password
        return f"RedisAddress({self.display()!r})"

    def display(self) -> str:
        """The address as a URL, without the password (for logs and messages)."""
        user = self.username or ""
        auth = f"{user}:***@" if self.password is not None else (f"{user}@" if user else "")
        if self.path is not None:
            return f"unix://{auth}{self.path}?db={self.db}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'rediss' if self.tls else 'redis'}://{auth}{host}:{self.port}/{self.db}"

    def auth_command(self) -> tuple[str, ...] | None:
        """``AUTH [username] password``, or None when no password is set."""
        if self.password is None:
            return None
        if self.username:
            return ("AUTH", self.username, self.password)
        return ("AUTH", self.password)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of a ``rediss://`` address (None otherwise)."""
        if not self.tls:
            return None
        import ssl  # only TLS users pay for it

        context = ssl.create_default_context(cafile=self.ssl_ca_certs)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def parse_redis_url(url: str) -> RedisAddress:
    """Parse ``url``; raises :class:`RedisUrlError` (without the password) if unusable."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise _error(shown, f"it is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        found = f"scheme {scheme + '://'!r}" if scheme else "no scheme"
        raise _error(shown, f"{found} is not supported (known: {', '.join(SCHEMES)})")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(_OPTIONS))
    if unknown:
        raise _error(shown, f"unknown option {unknown[0]!r} (known: {', '.join(_OPTIONS)})")
    option = {key: values[-1] for key, values in query.items()}
    db_text = option.get("db")
    if scheme != "unix" and parts.path.strip("/"):
        db_text = parts.path.strip("/")
    db = _db(shown, db_text)
    reqs = option.get("ssl_cert_reqs", "required").lower()
    if reqs not in ("none", "required"):
        raise _error(shown, f"ssl_cert_reqs={reqs!r}: expected 'none' or 'required'")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if scheme == "unix":
        if not parts.path:
            raise _error(shown, "a unix:// URL needs the socket path, e.g. unix:///run/redis.sock")
        return RedisAddress(path=unquote(parts.path), db=db, username=username, password=password)
    return RedisAddress(
        host=parts.hostname or "127.0.0.1",
        port=port or 6379,
        db=db,
        username=username,
        password=password,
        tls=SCHEMES[scheme],
        ssl_ca_certs=option.get("ssl_ca_certs") or None,
        verify=reqs == "required",
    )


def _db(shown: str, text: str | None) -> int:
    if text is None or text == "":
        return 0
    if not text.isdigit():
        raise _error(shown, f"database {text!r} is not a number (expected /0, /1, ... or ?db=N)")
    return int(text)


def _error(shown: str, why: str) -> RedisUrlError:
    return RedisUrlError(shown, why)


def redact_url(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    if "://" not in text and "password=" not in text:
        return text
    text = _CREDENTIALS.sub(r"\1\2:***@", text)
    return _QUERY_PASSWORD.sub(r"\1***", text)
