"""Take docs/screenshot.png: the web app in headless Chromium with live demo traffic.

Starts a private Redis and a ``tangram serve`` on free ports with the system, example and
(when installed) jet1090 plugins replaying the demo recording, waits until aircraft are
on the map, then saves the picture. Needs the frontends built (``npm run build``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tangram.testing import CHROMIUM, CHROMIUM_ARGS, start_redis, start_tangram

REPO = Path(__file__).resolve().parents[1]

_SELECT_ONE = """() => {
  const state = window.tangram.shell.state;
  for (const byId of state.entities.value.values()) {
    const first = byId.values().next();
    if (!first.done) { state.select(first.value); return first.value.id; }
  }
  return null;
}"""


def config(redis_url: str) -> str:
    plugins = ["tangram_system", "tangram_example"]
    extra = ""
    if importlib.util.find_spec("tangram_jet1090") is not None:
        plugins.insert(1, "tangram_jet1090")
        # history_path: the demo's trajectories stay in the temporary folder of this run
        extra = (
            '[plugins.tangram_jet1090]\nreplay_file = "demo"\nreplay_loop = true\n'
            'history_path = "screenshot-history.sqlite"\n'
        )
    return (
        f'[core]\nredis_url = "{redis_url}"\nplugins = {plugins!r}\n\n'
        f"[map]\ncenter_lat = 49.0\ncenter_lon = 1.9\nzoom = 7.3\n\n{extra}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--wait", type=float, default=45.0, help="seconds of live data first")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    if not (REPO / "src" / "tangram" / "web" / "dist" / "index.html").is_file():
        print("the web app is not built: run `npm ci && npm run build` first", file=sys.stderr)
        return 1
    with start_redis() as redis, tempfile.TemporaryDirectory() as tmp:
        served = start_tangram(config(redis.url), Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": args.width, "height": args.height})
                page.goto(served.url)
                page.wait_for_function("window.tangram && window.tangram.ready", timeout=60_000)
                time.sleep(args.wait)
                # Select one entity (an aircraft, when jet1090 runs) to show its details.
                page.evaluate(_SELECT_ONE)
                time.sleep(3)
                page.wait_for_function("window.tangram.map.loaded()", timeout=60_000)
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output))
                browser.close()
        finally:
            served.stop()
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
