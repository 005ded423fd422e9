"""Plugin discovery with real installed distributions (tests/plugins/*, installed by
scripts/install): matching by entry-point or distribution name, and isolated failures."""

from __future__ import annotations

from pathlib import Path

import pytest

import tangram
from tangram.config import parse_config
from tangram.discovery import installed_plugins, load_plugins, normalize
from tangram.errors import PluginError, PluginLoadError


def config(plugins: list[str], **tables: dict[str, object]) -> tangram.TangramConfig:
    return parse_config({"core": {"plugins": plugins}, "plugins": tables}, source=Path("test.toml"))


def test_normalize() -> None:
    assert normalize("My-Tangram.Plugin") == normalize("my_tangram_plugin") == "my_tangram_plugin"


def test_test_plugins_are_installed() -> None:
    names = {info.name for info in installed_plugins()}
    assert {"my_plugin", "crashy", "configured", "broken_import"} <= names, (
        "run scripts/install: it installs tests/plugins/* in development mode"
    )


@pytest.mark.parametrize(
    "spelling", ["my-tangram-plugin", "my_tangram_plugin", "My_Tangram-Plugin"]
)
def test_distribution_name_enables_all_its_entry_points(spelling: str) -> None:
    result = load_plugins(config([spelling]))
    assert list(result.plugins) == ["my_plugin", "my_plugin_service", "my_plugin_subscriber"]
    assert result.errors == []
    plugin = result.plugins["my_plugin"]
    assert plugin.distribution == "my-tangram-plugin" and plugin.version == "0.1.0"
    assert [r.prefix for r in plugin.routers] == ["/my-plugin"]


def test_entry_point_name_enables_one() -> None:
    result = load_plugins(config(["my_plugin_service"]))
    assert list(result.plugins) == ["my_plugin_service"]
    assert [s.func.__name__ for s in result.plugins["my_plugin_service"].services] == [
        "run_periodic_task"
    ]


def test_missing_plugin_lists_installed_ones_and_the_fix() -> None:
    result = load_plugins(config(["tangram_weather", "crashy"]))
    assert list(result.plugins) == ["crashy"]
    (error,) = result.errors
    assert isinstance(error, PluginError)
    message = str(error)
    assert "test.toml: [core] plugins: 'tangram_weather' is enabled but" in message
    assert "crashy (distribution tangram-test-plugins)" in message
    # Never `pip install <the name>`: PyPI's packages of that name are not ours.
    assert "pip install tangram_weather" not in message
    assert "install the distribution that provides it" in message


def test_import_failure_and_wrong_object_do_not_stop_others() -> None:
    result = load_plugins(config(["broken_import", "not_a_plugin", "configured"]))
    assert list(result.plugins) == ["configured"]
    broken, wrong = result.errors
    assert isinstance(broken, PluginLoadError) and isinstance(wrong, PluginLoadError)
    assert "plugin 'broken_import' (distribution 'tangram-test-plugins')" in str(broken)
    assert "ModuleNotFoundError" in str(broken) and "tangram_dependency_that" in str(broken)
    assert isinstance(broken.__cause__, ModuleNotFoundError)
    assert "is a dict, expected a tangram.Plugin instance" in str(wrong)


def test_plugin_config_is_validated_into_its_class() -> None:
    table = {"greeting": "hi", "repeat": 3, "frontend": {"shown": "to browsers"}}
    cfg = config(["configured"], configured=table)
    result = load_plugins(cfg)
    assert cfg.warnings == []  # the frontend sub-table is not the config class's business
    settings = result.plugins["configured"].config
    assert (settings.greeting, settings.repeat) == ("hi", 3)


def test_invalid_plugin_config_fails_that_plugin_only() -> None:
    result = load_plugins(config(["configured", "crashy"], configured={"repeat": "many"}))
    assert list(result.plugins) == ["crashy"]
    (error,) = result.errors
    assert "test.toml: plugins.configured.repeat = 'many'" in str(error)
    assert "integer" in str(error)


def test_plugin_api_checks_arguments() -> None:
    plugin = tangram.Plugin()
    with pytest.raises(PluginError, match="expects an int"):
        plugin.register_service(priority="high")  # type: ignore[arg-type]
    with pytest.raises(PluginError, match="has no config_class"):
        _ = plugin.config


def test_frontend_path_is_relative_to_the_defining_module() -> None:
    plugin = tangram.Plugin(frontend_path="dist-frontend")
    assert plugin.frontend_path == Path(__file__).resolve().parent / "dist-frontend"


def test_typos_in_plugin_tables_are_warned_about() -> None:
    cfg = config(["configured"], configured={"greetng": "hi"}, not_enabled={"x": 1})
    result = load_plugins(cfg)
    assert list(result.plugins) == ["configured"] and result.errors == []
    typo, orphan = cfg.warnings
    assert "test.toml: plugins.configured: unknown key 'greetng' is ignored (typo?)" in typo
    assert "accepts greeting, repeat" in typo
    assert "[plugins.not_enabled] matches no enabled plugin" in orphan


@pytest.mark.parametrize("requested", ["tangram_jet1090", "tangram-system"])
def test_a_missing_official_plugin_is_sent_to_our_packages(requested: str) -> None:
    # As in an environment holding only the core: no plugin installed at all.
    from tangram.discovery import _missing

    info = _missing(requested, [], config([requested]))
    message = str(info.error)
    name = normalize(requested)
    assert info.status == "missing" and "did you mean" not in message
    assert f"pip install dist/{name}-*.whl" in message
    assert f"pip install packages/{name}" in message
    assert f"pip install {requested}`" not in message
