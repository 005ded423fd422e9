"""A plugin using every extension beyond the guide: typed config, lifespan, a plain
(thread) service, an injected BackendState in a route, and CLI commands."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis
import typer
from fastapi import APIRouter

import tangram
from tangram.config import load_plugin_config


@dataclass
class Settings:
    greeting: str = "hello"
    repeat: int = 1


events: list[str] = []


@contextlib.asynccontextmanager
async def lifespan(backend_state: tangram.BackendState) -> AsyncIterator[None]:
    events.append("enter")
    await backend_state.redis_client.set("configured:lifespan", "entered")
    yield
    events.append("exit")


router = APIRouter(prefix="/configured")
commands = typer.Typer()
plugin = tangram.Plugin(
    routers=[router], config_class=Settings, lifespan=lifespan, commands=commands
)


@router.get("/")
async def show(state: tangram.InjectBackendState) -> dict[str, object]:
    return {
        "greeting": plugin.config.greeting * plugin.config.repeat,
        "lifespan": events,
        "plugins": sorted(state.plugins),
        "redis_url": state.config.core.redis_url,
    }


@plugin.register_service()
def blocking_service(backend_state: tangram.BackendState) -> None:
    """A plain function: runs in a thread, may block."""
    client = redis.Redis.from_url(backend_state.redis_url)
    while True:
        client.incr("configured:sync-ticks")
        time.sleep(0.2)


@commands.command()
def greet(name: str, config: str = typer.Option(None, "--config")) -> None:
    """Print the configured greeting."""
    cfg = tangram.load_config(config)
    settings = load_plugin_config(cfg, Settings, "configured")
    typer.echo(f"{settings.greeting}, {name}")
