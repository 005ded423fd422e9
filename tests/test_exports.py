"""The public surface: what plugin authors import exists and is declared."""

from __future__ import annotations

import importlib

import pytest

import tangram

PUBLIC_MODULES = [
    "tangram.config",
    "tangram.errors",
    "tangram.plugin",
    "tangram.redis",
    "tangram.redis_url",
    "tangram.resp",
    "tangram.state",
    "tangram.testing",
    "tangram.channel",
]


def test_top_level_names_resolve() -> None:
    for name in tangram.__all__:
        assert getattr(tangram, name) is not None
    assert len(set(tangram.__all__)) == len(tangram.__all__)
    with pytest.raises(AttributeError):
        _ = tangram.NoSuchThing  # type: ignore[attr-defined]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_modules_declare_all(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__, module_name
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ lists missing {name!r}"


def test_top_level_reexports_are_the_same_objects() -> None:
    from tangram.plugin import Plugin
    from tangram.redis import Subscriber
    from tangram.state import BackendState

    assert tangram.Plugin is Plugin and tangram.BackendState is BackendState
    assert Subscriber.__abstractmethods__ == frozenset({"message_handler"})
