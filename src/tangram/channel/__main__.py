"""``python -m tangram.channel``: run one gateway process in the foreground.

Stops cleanly on SIGINT/SIGTERM. Used by :class:`~tangram.channel.ChannelProcess`
(which passes the configuration in ``$TANGRAM_CHANNEL_CONFIG_JSON`` and the Redis URL
in ``$TANGRAM_CHANNEL_REDIS_URL``, never in argv) and by hand::

    python -m tangram.channel --redis-url redis://127.0.0.1:6379/0 --port 2347
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import logging
import os
import signal
import sys

from ..config import TangramConfig, load_config
from ..errors import TangramError
from ..logs import setup_logging
from ..redis_url import parse_redis_url
from .process import CONFIG_ENV, FAILED, PARENT_ENV, READY, REDIS_URL_ENV
from .server import PRESENCE_TTL_SECS, Gateway


def _die_with_parent() -> None:
    # No orphans: if the parent (tangram serve) dies, even by SIGKILL, so do we.
    parent = os.environ.get(PARENT_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    with_prctl = ctypes.CDLL(None, use_errno=True)
    with_prctl.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != int(parent):
        sys.exit(0)


def _config(args: argparse.Namespace) -> TangramConfig:
    raw = os.environ.get(CONFIG_ENV)
    config = TangramConfig.model_validate_json(raw) if raw else load_config(args.config)
    if args.host is not None:
        config.channel.host = args.host
    if args.port is not None:
        config.channel.port = args.port
    return config


def _report(ok: bool, text: str) -> None:
    """To ChannelProcess through stdout (one line), or to a human on stderr."""
    if os.environ.get(PARENT_ENV):
        print(READY if ok else FAILED, text, flush=True)
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nobody reads stdout any more
    elif not ok:
        print(f"error: {text}", file=sys.stderr, flush=True)


async def _serve(
    config: TangramConfig, redis_url: str, reuse_port: bool, presence_ttl: float
) -> None:
    # Ready as soon as it listens: a Redis that is down (or slow to start) only delays
    # tokens and joins, never the port (the links retry in the background).
    gateway = Gateway(
        config, redis_url, reuse_port=reuse_port, redis_timeout=1.0, presence_ttl=presence_ttl
    )
    # Handlers first: a SIGTERM that follows the READY line at once must stop us cleanly.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await gateway.start()
    except TangramError as exc:
        _report(False, str(exc))
        raise SystemExit(1) from None
    _report(True, str(gateway.port))
    await stop.wait()
    logging.getLogger("tangram.channel").info("stopping the channel gateway")
    await gateway.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tangram.channel", description=__doc__)
    parser.add_argument(
        "--redis-url",
        help=f"e.g. redis://127.0.0.1:6379/0 (default: ${REDIS_URL_ENV}, else [core] redis_url);"
        f" a URL with a password belongs in ${REDIS_URL_ENV}: argv is visible to every user",
    )
    parser.add_argument("--config", help="tangram.toml (default: $TANGRAM_CONFIG, ./tangram.toml)")
    parser.add_argument("--host", help="overrides [channel] host")
    parser.add_argument("--port", type=int, help="overrides [channel] port")
    parser.add_argument(
        "--reuse-port",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="share the port with other workers (SO_REUSEPORT)",
    )
    parser.add_argument(
        "--presence-ttl",
        type=float,
        default=PRESENCE_TTL_SECS,
        help=f"liveness TTL of this gateway's presence entries (default {PRESENCE_TTL_SECS:g} s)",
    )
    args = parser.parse_args(argv)
    _die_with_parent()
    try:
        config = _config(args)
    except TangramError as exc:
        _report(False, str(exc))
        raise SystemExit(2) from None
    setup_logging(config.core.log_level, prefix=f"channel[{os.getpid()}] ")
    redis_url = args.redis_url or os.environ.get(REDIS_URL_ENV) or config.core.redis_url
    try:
        if redis_url is None or redis_url == "embedded":
            raise TangramError(f"no Redis URL: pass --redis-url or set ${REDIS_URL_ENV}")
        address = parse_redis_url(redis_url)
    except TangramError as exc:
        _report(False, str(exc))
        raise SystemExit(2) from None
    if args.redis_url and address.password is not None:
        logging.getLogger("tangram.channel").warning(
            "the Redis password is on the command line, where every local user can read it;"
            " pass the URL in $%s instead",
            REDIS_URL_ENV,
        )
    reuse = args.reuse_port if args.reuse_port is not None else config.channel.workers > 1
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        asyncio.run(_serve(config, redis_url, reuse, args.presence_ttl))
    else:
        uvloop.run(_serve(config, redis_url, reuse, args.presence_ttl))


if __name__ == "__main__":
    main()
