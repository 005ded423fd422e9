"""The `tangram` command: version, check, list-plugins, plugin sub-commands, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import tangram
from tangram.testing import run_cli


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"tangram {tangram.__version__}"
    major, minor = (int(part) for part in tangram.__version__.split(".")[:2])
    assert (major, minor) >= (0, 2)


def test_check_passes_on_a_good_config(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text('[core]\nplugins = ["my-tangram-plugin"]\n')
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "ok plugin my_plugin" in result.stdout and f"ok {path}" in result.stdout


def test_check_fails_on_plugin_problems(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text(
        '[core]\nplugins = ["broken_import", "configured"]\n[plugins.configured]\nrepeat = "x"\n'
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 1
    assert "FAILED plugin broken_import" in result.stdout
    assert "FAILED plugin configured" in result.stdout
    assert "plugins.configured.repeat = 'x'" in result.stderr
    assert "error: 2 problem(s) found" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_fails_on_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text("[channel]\nport = -1\n")
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 1 and "channel.port = -1" in result.stderr


def test_list_plugins_json(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text('[core]\nplugins = ["my_tangram_plugin", "nope"]\n')
    result = run_cli("list-plugins", "--config", str(path), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["plugin"]: row for row in json.loads(result.stdout)}
    assert rows["my_plugin"]["status"] == "loaded" and rows["my_plugin"]["routers"] == 1
    assert rows["my_plugin_service"]["services"] == 1
    assert rows["nope"]["status"] == "missing"
    assert rows["crashy"]["status"] == "disabled"
    assert rows["configured"]["routers"] == "-"  # not loaded without --all


def test_list_plugins_all_table(tmp_path: Path) -> None:
    result = run_cli("list-plugins", "--all", cwd=tmp_path)
    assert result.returncode == 0
    for column in (
        "plugin",
        "distribution",
        "status",
        "frontend",
        "routers",
        "services",
        "commands",
    ):
        assert column in result.stdout
    assert "broken_import" in result.stdout and "failed" in result.stdout


def test_plugin_subcommand(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text('[plugins.configured]\ngreeting = "bonjour"\n')
    result = run_cli("configured", "greet", "Ada", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bonjour, Ada"
    assert "configured" in run_cli("--help").stdout


def test_usage_errors_exit_2() -> None:
    assert run_cli("serve", "--no-such-flag").returncode == 2


def test_check_fails_on_typos(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text(
        '[core]\nplugins = ["configured"]\n[sever]\nport = 1\n[plugins.configured]\nrepet = 2\n'
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 1
    assert "ok plugin configured" in result.stdout
    assert "warning: " in result.stderr and "unknown key 'sever'" in result.stderr
    assert "plugins.configured: unknown key 'repet'" in result.stderr
    assert "error: 2 problem(s) found" in result.stderr
