"""The `tangram` command: version, check, list-plugins, plugin sub-commands, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import tangram
from tangram.diagnostics import frontend_problem, install_hint
from tangram.scaffold import new_plugin
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


def _plugin_with_frontend(tmp_path: Path) -> dict[str, str]:
    """A scaffolded plugin made importable (with an entry point) via PYTHONPATH."""
    new_plugin("my_feed", tmp_path)
    info = tmp_path / "site" / "my_feed-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my_feed\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[tangram.plugins]\nmy_feed = my_feed:plugin\n")
    paths = [str(tmp_path / "site"), str(tmp_path / "my_feed" / "src")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "COLUMNS": "200"}


def test_check_and_list_plugins_report_a_missing_frontend(tmp_path: Path) -> None:
    env = _plugin_with_frontend(tmp_path)
    frontend = tmp_path / "my_feed" / "src" / "my_feed" / "frontend"
    config = str(tmp_path / "my_feed" / "tangram.toml")
    (frontend / "index.js").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "tangram", "check", "-c", config],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert "FRONTEND MISSING plugin my_feed" in result.stdout
    assert f"names main 'index.js', but {frontend / 'index.js'} does not exist" in result.stderr
    assert "Fix: build the plugin's frontend" in result.stderr
    (frontend / "plugin.json").unlink()
    listed = subprocess.run(
        [sys.executable, "-m", "tangram", "list-plugins", "-c", config, "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    (row,) = [row for row in json.loads(listed.stdout) if row["plugin"] == "my_feed"]
    assert row["frontend"] == "MISSING" and "plugin.json not found" in row["frontend_error"]


def test_frontend_problems_name_the_file_and_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "frontend"
    plugin: tangram.Plugin[None] = tangram.Plugin(frontend_path=folder)
    assert f"frontend folder {folder} does not exist" in str(frontend_problem(plugin))
    folder.mkdir()
    assert "plugin.json not found" in str(frontend_problem(plugin))
    (folder / "plugin.json").write_text('{"main": "index.js", "style": "style.css"}')
    assert "names main 'index.js'" in str(frontend_problem(plugin))
    (folder / "index.js").write_text("export default () => {};")
    assert "names style 'style.css'" in str(frontend_problem(plugin))
    (folder / "style.css").write_text("")
    assert frontend_problem(plugin) is None
    (folder / "plugin.json").write_text('["index.js"]')
    assert 'expected a JSON object with a "main" string' in str(frontend_problem(plugin))


def test_piped_output_is_never_cut_to_80_columns(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    result = subprocess.run(
        [sys.executable, "-m", "tangram", "list-plugins", "--all"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    rows = [line for line in result.stdout.splitlines() if "my_plugin_subscriber" in line]
    assert len(rows) == 1 and "my-tangram-plugin 0.1.0" in rows[0], result.stdout
    assert "…" not in result.stdout
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("broken_import")]
    assert error.endswith("or remove it from [core] plugins")  # one line, not wrapped


def test_a_missing_config_file_is_reported_with_where_it_was_looked_for(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert result.returncode == 0
    assert f"no {tmp_path / 'tangram.toml'}" in result.stderr
    assert "$TANGRAM_CONFIG unset" in result.stderr and "tangram new-config" in result.stderr


def test_typos_get_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "tangram.toml"
    path.write_text(
        '[core]\nplugin = []\nplugins = ["tangram_sytem", "jet1090", "weather"]\n'
        "[servr]\nport = 1\n[plugins.configured]\ngreting = 1\n"
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 1
    err = result.stderr
    assert "unknown key 'core.plugin' is ignored (typo?); did you mean 'core.plugins'?" in err
    assert "unknown key 'servr' is ignored (typo?); did you mean 'server'?" in err
    assert "'tangram_sytem' is enabled but" in err and "did you mean 'tangram_system'?" in err
    assert "did you mean 'tangram_jet1090'?" in err
    assert "[plugins.configured] matches no enabled plugin" in err
    assert "did you mean 'weather'" not in err and "pip install weather" not in err
    assert "install the distribution that provides it" in err


def test_the_hint_for_an_official_plugin_points_to_our_packages() -> None:
    hint = install_hint("tangram_system")
    assert "pip install dist/tangram_system-*.whl" in hint
    assert "pip install packages/tangram_system" in hint
    assert "PyPI's tangram-system is another project's" in hint
    assert "pip install tangram_system`" not in hint


def test_an_unbuilt_web_app_is_a_problem_with_a_fix(tmp_path: Path) -> None:
    from tangram.diagnostics import WEB_DIST, web_app_problem

    assert web_app_problem() is None, "this checkout's web app is built (npm run build)"
    assert WEB_DIST.name == "dist"
    problem = web_app_problem(tmp_path)
    assert problem is not None and f"{tmp_path / 'index.html'} is missing" in problem
    assert "npm ci && npm run build" in problem and "pip install dist/*.whl" in problem
