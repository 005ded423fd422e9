"""Start and stop the gateways under test, each as its own process on loopback.

- ``tangram``: our gateway, ``python -m tangram.channel`` from the project venv.
- ``rust``: the upstream tangram-core 0.6.0 Rust gateway (``tangram_core._core.run``),
  from a throw-away venv at ``.bench/venv-tangram-core`` that this module creates on
  first use. It is never a project dependency.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tangram.testing import free_port

__all__ = ["Gateway", "cpu_seconds", "ensure_rust_venv", "start_gateway"]

ROOT = Path(__file__).resolve().parent.parent
RUST_VENV = ROOT / ".bench" / "venv-tangram-core"
RUST_PACKAGE = "tangram-core==0.6.0"
JWT_SECRET = "bench-secret-for-loopback-only-0123456789"  # >= 32 bytes for HS256

# Only the channel service of tangram-core, as its own backend.run_channel_service does it.
RUST_LAUNCHER = """
import asyncio, sys
from tangram_core import _core
_core.init_tracing_stderr("warn")
config = _core.ChannelConfig(host="127.0.0.1", port=int(sys.argv[1]), redis_url=sys.argv[2],
    jwt_secret=sys.argv[3], jwt_expiration_secs=3600, id_length=8)
async def main():
    await _core.run(config)
asyncio.run(main())
"""


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU of a process and all of its (live or reaped) children."""
    try:
        t = proc.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in proc.children(recursive=True):
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return float(total)
    except psutil.NoSuchProcess:
        return float("nan")


@dataclass
class Gateway:
    """A running gateway process and where to reach it."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    host: str = "127.0.0.1"
    ps: psutil.Process = field(init=False)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.process.pid)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.ps)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_rust_venv() -> Path:
    """The venv's python, creating the venv and installing tangram-core on first use."""
    python = RUST_VENV / "bin" / "python"
    probe = [str(python), "-c", "import tangram_core._core"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {RUST_VENV} with {RUST_PACKAGE} (one-off)...", file=sys.stderr)
    RUST_VENV.parent.mkdir(parents=True, exist_ok=True)
    # The wheel is built for CPython 3.11; prefer the interpreter running us.
    subprocess.run([sys.executable, "-m", "venv", str(RUST_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", RUST_PACKAGE], check=True)
    subprocess.run(probe, check=True)
    return python


def _wait_ready(gw: Gateway, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not gw.alive():
            raise RuntimeError(f"{gw.name} gateway exited early:\n{gw.log_tail()}")
        try:
            r = httpx.post(f"{gw.base_url}/token", json={"channel": "bench"}, timeout=1)
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    gw.stop()
    raise RuntimeError(f"{gw.name} gateway not ready within {timeout} s:\n{gw.log_tail()}")


def start_gateway(
    name: str,
    redis_url: str,
    channel_settings: list[str] | None = None,
    *,
    wrapper: list[str] | None = None,
    ready_timeout: float = 30.0,
) -> Gateway:
    """Start gateway ``name`` (``tangram`` or ``rust``) against ``redis_url``.

    ``channel_settings`` are extra ``key = value`` TOML lines for our gateway's
    ``[channel]`` table (for example ``max_buffer_bytes = 16777216``); the Rust gateway
    has no such knobs. ``wrapper`` goes before the command (``valgrind ...``, for
    instruction counts), which then needs a longer ``ready_timeout``.
    """
    port = free_port()
    # Logs stay under the git-ignored .bench/ for post-mortems (upstream logs its lag there).
    log = ROOT / ".bench" / "logs" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"{name} gateway log: {log}", file=sys.stderr)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if name == "tangram":
        config = log.with_suffix(".toml")
        # Defaults otherwise: the numbers describe what users get out of the box.
        lines = [f'jwt_secret = "{JWT_SECRET}"', *(channel_settings or [])]
        config.write_text("[channel]\n" + "\n".join(lines) + "\n")
        cmd = [
            sys.executable, "-m", "tangram.channel",
            "--redis-url", redis_url, "--port", str(port), "--host", "127.0.0.1",
            "--config", str(config),
        ]  # fmt: skip
    elif name == "rust":
        python = ensure_rust_venv()
        cmd = [str(python), "-c", RUST_LAUNCHER, str(port), redis_url, JWT_SECRET]
    else:
        raise ValueError(f"unknown target {name!r}; expected 'tangram' or 'rust'")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*(wrapper or []), *cmd], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
    gw = Gateway(name, process, port, log)
    _wait_ready(gw, ready_timeout)
    return gw
