"""Loading and validating ``tangram.toml``.

The file is found via ``--config``, else ``$TANGRAM_CONFIG``, else ``./tangram.toml``,
else built-in defaults, so a bare ``tangram serve`` works anywhere. Validation errors
name the file, the key path, the bad value and what was expected; unknown keys are
only warned about, since a typo should not stop a server but must not go unnoticed.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from .diagnostics import did_you_mean
from .errors import ConfigError
from .redis_url import RedisUrlError, parse_redis_url, redact_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "FRONTEND_TABLE",
    "ChannelConfig",
    "CoreConfig",
    "MapConfig",
    "PluginTable",
    "ServerConfig",
    "TangramConfig",
    "config_fields",
    "find_config_file",
    "load_config",
    "load_plugin_config",
    "normalize",
    "validate_plugin_config",
]

log = logging.getLogger(__name__)

ENV_VAR = "TANGRAM_CONFIG"
#: Takes precedence over ``[server] access_key``, so that the key need not sit in the file.
ACCESS_KEY_ENV = "TANGRAM_ACCESS_KEY"
MIN_ACCESS_KEY_LENGTH = 8
DEFAULT_FILE = "tangram.toml"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
#: ``[plugins.<name>.frontend]``: the part of a plugin's table sent to browsers (as
#: ``api.config``); it is not passed to the plugin's ``config_class``.
FRONTEND_TABLE = "frontend"


def normalize(name: str) -> str:
    """Compare names the way package installers do: ``My-Plugin`` == ``my_plugin``."""
    return re.sub(r"[-_.]+", "_", name).lower()


@dataclasses.dataclass(frozen=True)
class PluginTable:
    """A plugin's ``[plugins.<name>]`` table, split the one way tangram splits it
    (validation, ``config_class``, plugin CLI commands and ``/manifest.json`` alike)."""

    #: ``plugins.<name>`` as spelled in the file, for messages.
    key: str
    #: Everything but the frontend sub-table: what ``config_class`` validates.
    settings: dict[str, Any]
    #: ``[plugins.<name>.frontend]``: public, sent to browsers.
    frontend: dict[str, Any]


class _Section(BaseModel):
    # Unknown keys are kept (and warned about by load_config) rather than rejected.
    model_config = ConfigDict(extra="allow", validate_default=True)


class CoreConfig(_Section):
    """``[core]``: what to load and where Redis is."""

    #: ``None`` (key absent): use 127.0.0.1:6379 if a Redis answers there, else start an
    #: embedded server. ``"embedded"``: always start one. Any other value: a Redis URL.
    redis_url: str | None = None
    plugins: list[str] = Field(default_factory=list)
    log_level: LogLevel = "INFO"
    #: The web app's colour theme; "auto" follows the browser's prefers-color-scheme.
    #: A user's own choice in the page (kept in localStorage) wins over it.
    theme: Literal["auto", "light", "dark"] = "auto"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "embedded":
            return value
        try:
            parse_redis_url(value)
        except RedisUrlError as exc:
            raise ValueError(f"{exc.reason}, or the word 'embedded'") from None
        return value


class ServerConfig(_Section):
    """``[server]``: the HTTP server (API, ``/docs`` and the web app)."""

    host: str = "127.0.0.1"
    port: int = Field(default=2346, ge=0, le=65535)
    #: Largest request line plus headers; beyond: 431 and close (see tangram.http_limits).
    max_header_bytes: int = Field(default=32 * 1024, ge=1024, le=1024 * 1024)
    #: Time a client has to send a complete request head; then 408 and close.
    header_timeout_secs: float = Field(default=10.0, gt=0, le=3600)
    #: Shared key protecting the page, the API and join tokens (README, "Shared
    #: deployments"); unset: open. ``$TANGRAM_ACCESS_KEY`` takes precedence (load_config).
    access_key: str | None = Field(default=None, min_length=MIN_ACCESS_KEY_LENGTH, repr=False)
    #: Lifetime of the session cookie set by the login page.
    session_expiration_secs: int = Field(default=7 * 86400, gt=0, le=365 * 86400)


class ChannelConfig(_Section):
    """``[channel]``: the WebSocket gateway (see docs/channel.md)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=2347, ge=0, le=65535)
    #: URL browsers use to reach the channel (behind a reverse proxy); derived if unset.
    public_url: str | None = None
    #: HS256 secret. Unset: a random secret shared through Redis by all gateways.
    jwt_secret: str | None = None
    jwt_expiration_secs: int = Field(default=3600, gt=0, le=10 * 365 * 86400)
    id_length: int = Field(default=8, ge=4, le=64)
    #: Extra origins allowed to open WebSockets and call /token.
    allowed_origins: list[str] = Field(default_factory=list)
    #: When set, POST /token requires header ``X-Tangram-Token-Key: <value>``.
    token_api_key: str | None = None
    #: When set, POST /token hands out "*" and "admin" tokens (and tokens for any id) to
    #: requests with header ``X-Tangram-Admin-Key: <value>``; unset: never. At least 16
    #: characters, so that an empty or guessable header cannot match.
    admin_key: str | None = Field(default=None, min_length=16)
    #: Unsent bytes that start a 2 s drain window; a socket that takes less than this in
    #: the window is closed (4008). Hard bound per socket: 8 x this value.
    max_buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    max_frame_bytes: int = Field(default=1024 * 1024, ge=1024)
    heartbeat_timeout_secs: float = Field(default=60.0, gt=0)
    #: Time an HTTP connection has to complete a request (a WebSocket handshake, say).
    handshake_timeout_secs: float = Field(default=10.0, gt=0)
    #: Open connections per gateway process; more are answered 503 and closed.
    max_connections: int = Field(default=10_000, ge=1)
    #: Inbound bytes a gateway process holds for all its sockets together: incomplete
    #: frames and messages, and messages held while a join waits for Redis.
    max_pending_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    #: Gateway processes sharing the port (SO_REUSEPORT); each is isolated from plugins.
    workers: int = Field(default=1, ge=1, le=64)


class MapConfig(_Section):
    """``[map]``: the web app's base map."""

    #: A style URL, a path to a local style JSON file, or unset for the built-in
    #: offline style (country outlines, no network needed).
    style: str | None = None
    center_lat: float = Field(default=48.85, ge=-90, le=90)
    center_lon: float = Field(default=2.35, ge=-180, le=180)
    zoom: float = Field(default=6.0, ge=0, le=24)


class TangramConfig(_Section):
    """The whole ``tangram.toml``."""

    core: CoreConfig = Field(default_factory=CoreConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    channel: ChannelConfig = Field(default_factory=ChannelConfig)
    map: MapConfig = Field(default_factory=MapConfig)
    #: Raw ``[plugins.<name>]`` tables; each plugin validates its own (config_class).
    plugins: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: Where this configuration came from (None: built-in defaults).
    source: Path | None = Field(default=None, exclude=True)
    #: Problems that do not stop tangram (unknown keys...); ``tangram check`` fails on them.
    warnings: list[str] = Field(default_factory=list, exclude=True)

    def map_style_path(self) -> Path | None:
        """``[map] style`` as a local file (relative to the config file), or None for a
        URL or the built-in style."""
        style = self.map.style
        if not style or style.startswith(("http://", "https://")):
            return None
        path = Path(style).expanduser()
        base = self.source.parent if self.source else Path.cwd()
        return path if path.is_absolute() else base / path

    def warn(self, message: str) -> None:
        """Log a problem that does not stop tangram, and remember it for ``tangram check``."""
        self.warnings.append(message)
        log.warning("%s", message)

    @property
    def source_name(self) -> str:
        return str(self.source) if self.source else "<built-in defaults>"

    def plugin_table(self, *names: str | None) -> PluginTable:
        """The table of the plugin known by ``names`` (entry-point name, distribution
        name; any spelling: ``tangram-jet1090`` is ``tangram_jet1090``); empty if absent.

        Raises ConfigError when the table or its frontend sub-table is not a table."""
        wanted = {normalize(name) for name in names if name}
        for key, raw in self.plugins.items():
            if normalize(key) not in wanted:
                continue
            if not isinstance(raw, dict):
                raise ConfigError(
                    f"expected a table [plugins.{key}], got {raw!r}",
                    source=self.source_name,
                    key=f"plugins.{key}",
                )
            frontend = raw.get(FRONTEND_TABLE, {})
            if not isinstance(frontend, dict):
                raise ConfigError(
                    f"expected a table [plugins.{key}.{FRONTEND_TABLE}], got {frontend!r}",
                    source=self.source_name,
                    key=f"plugins.{key}.{FRONTEND_TABLE}",
                )
            settings = {name: value for name, value in raw.items() if name != FRONTEND_TABLE}
            return PluginTable(f"plugins.{key}", settings, frontend)
        first = next((name for name in names if name), "")
        return PluginTable(f"plugins.{first}", {}, {})


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Where the configuration comes from: explicit path, $TANGRAM_CONFIG, ./tangram.toml."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(
                "configuration file not found; pass an existing file to --config",
                source=str(path),
            )
        return path
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(
                f"file named by ${ENV_VAR} not found; fix or unset ${ENV_VAR}", source=str(path)
            )
        return path
    local = Path.cwd() / DEFAULT_FILE
    return local if local.is_file() else None


def load_config(path: str | os.PathLike[str] | None = None) -> TangramConfig:
    """Find, parse and validate the configuration; warn about unknown keys."""
    found = find_config_file(path)
    if found is None:
        return parse_config({})
    try:
        raw = tomllib.loads(found.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=str(found)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", source=str(found)) from exc
    return parse_config(raw, source=found)


def parse_config(raw: Mapping[str, Any], source: Path | None = None) -> TangramConfig:
    """Validate an already-parsed TOML document."""
    name = str(source) if source else "<config>"
    try:
        config = TangramConfig.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(exc), source=name) from None
    config.source = source
    _resolve_access(config)
    style_path = config.map_style_path()
    if style_path is not None and not style_path.is_file():
        raise ConfigError(
            f"map.style = {config.map.style!r}: no such file ({style_path}); expected an "
            "http(s) URL of a MapLibre style or the path of a style JSON file (relative to "
            "this file); remove the key for the built-in offline map",
            source=name,
        )
    known = _known_keys()
    for key in _unknown_keys(config):
        config.warn(f"{name}: unknown key {key!r} is ignored (typo?)" + did_you_mean(key, known))
    return config


T = TypeVar("T")


def validate_plugin_config(
    config_class: type[T], raw: Mapping[str, Any], *, source: str, table: str
) -> T:
    """Validate a ``[plugins.<name>]`` table against a dataclass or pydantic model."""
    try:
        return TypeAdapter(config_class).validate_python(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, prefix=table), source=source) from None


def load_plugin_config(config: TangramConfig, config_class: type[T], *names: str | None) -> T:
    """A plugin's validated settings, for code that runs outside ``tangram serve`` (a
    plugin's CLI commands): ``load_plugin_config(cfg, Settings, "my_plugin")``."""
    table = config.plugin_table(*names)
    return validate_plugin_config(
        config_class, table.settings, source=config.source_name, table=table.key
    )


def config_fields(config_class: type[Any]) -> set[str] | None:
    """The keys a config class accepts, or None when it accepts anything."""
    if dataclasses.is_dataclass(config_class):
        return {field.name for field in dataclasses.fields(config_class)}
    if isinstance(config_class, type) and issubclass(config_class, BaseModel):
        if config_class.model_config.get("extra") == "allow":
            return None
        return {
            alias
            for name, info in config_class.model_fields.items()
            for alias in (name, info.alias)
            if alias
        }
    return None


def _resolve_access(config: TangramConfig) -> None:
    """``$TANGRAM_ACCESS_KEY`` over ``[server] access_key``. With a key, the gateway's
    ``/token`` must be closed too: without ``[channel] token_api_key`` one is drawn for
    this run, known only to this server and its gateway workers (which get this config),
    so that /token is no place to guess the access key (the login form is throttled)."""
    value = os.environ.get(ACCESS_KEY_ENV)
    if value:
        if len(value) < MIN_ACCESS_KEY_LENGTH:
            raise ConfigError(
                f"${ACCESS_KEY_ENV} is {len(value)} characters long; expected at least"
                f" {MIN_ACCESS_KEY_LENGTH} (a long random key is best); unset it to turn"
                " access control off"
            )
        config.server.access_key = value
    if config.server.access_key is not None and config.channel.token_api_key is None:
        config.channel.token_api_key = secrets.token_urlsafe(32)


def _describe(exc: ValidationError, prefix: str = "") -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in (prefix, *err["loc"]) if part != "")
        if err["type"] == "missing":
            problems.append(f"{loc}: required key is missing; add it")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(redact_url(f"{loc} = {err.get('input')!r}: {msg}"))
    return "; ".join(problems)


def _known_keys() -> list[str]:
    """Every key tangram itself reads (``section.key``), for "did you mean"."""
    sections: dict[str, type[BaseModel]] = {
        "core": CoreConfig,
        "server": ServerConfig,
        "channel": ChannelConfig,
        "map": MapConfig,
    }
    keys = [*sections, "plugins"]
    return keys + [
        f"{name}.{key}" for name, model in sections.items() for key in model.model_fields
    ]


def _unknown_keys(config: TangramConfig) -> list[str]:
    found = list(config.model_extra or {})
    for section in ("core", "server", "channel", "map"):
        model = getattr(config, section)
        found += [f"{section}.{key}" for key in (model.model_extra or {})]
    return found
