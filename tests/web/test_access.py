"""The web app behind ``[server] access_key``, in headless Chromium against a real
``tangram serve``, gateway and Redis.

The gateway's ``/token`` is then closed (by a ``token_api_key`` drawn for the run): the
page must get its join tokens through the HTTP server's ``/channel/token`` with its
session cookie, never holding a key.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from tangram.testing import CHROMIUM, CHROMIUM_ARGS, TangramProcess, start_redis, start_tangram

from .conftest import ConsoleLog

pytestmark = pytest.mark.browser

KEY = "the team's shared access key"


@dataclass
class Protected:
    served: TangramProcess
    browser: Browser


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Protected]:
    if not Path(CHROMIUM).is_file():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"{CHROMIUM} not found: run scripts/install-browser"
        )
    config = f"""
        [core]
        redis_url = "{{redis_url}}"
        plugins = ["tangram_system"]

        [server]
        port = {{http_port}}
        access_key = "{KEY}"

        [channel]
        port = {{channel_port}}
    """
    with start_redis() as redis, sync_playwright() as pw:
        tmp = tmp_path_factory.mktemp("web-access")
        served = start_tangram(config.replace("{redis_url}", redis.url), tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield Protected(served, browser)
        finally:
            with contextlib.suppress(Exception):
                browser.close()
            served.stop()


@pytest.fixture
def context(protected: Protected, console: ConsoleLog) -> Iterator[BrowserContext]:
    context = protected.browser.new_context(viewport={"width": 1280, "height": 800})

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            console.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    try:
        yield context
    finally:
        context.close()


def open_page(context: BrowserContext, console: ConsoleLog, url: str) -> Page:
    page = context.new_page()
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: console.errors.append(message.text) if message.type == "error" else None,
    )
    page.goto(url)
    return page


def log_in(page: Page, key: str) -> None:
    page.locator("#tangram-login input[name=key]").fill(key)
    page.locator("#tangram-login button[type=submit]").click()


def wait_for_app(page: Page) -> None:
    page.wait_for_function("window.tangram && window.tangram.ready", timeout=30_000)


def test_login_then_map_and_live_clock(
    protected: Protected, context: BrowserContext, console: ConsoleLog
) -> None:
    page = open_page(context, console, protected.served.url)
    form = page.locator("#tangram-login")
    form.wait_for(timeout=10_000)
    assert page.title() == "tangram: log in"
    assert page.evaluate("window.tangram === undefined")
    assert page.locator("#tangram-map").count() == 0

    log_in(page, "not the key")
    page.locator("#tangram-login .error").wait_for(timeout=10_000)
    assert page.locator("#tangram-login .error").inner_text() == "Wrong key."

    console.errors.clear()  # the login page itself is served with status 401
    log_in(page, KEY)
    wait_for_app(page)
    page.wait_for_function(
        "window.tangram.map.loaded() && window.tangram.map.areTilesLoaded()", timeout=60_000
    )
    # The system plugin's clock ticks: its messages come through the WebSocket, joined
    # with a token minted through /channel/token.
    clock = page.locator("[data-widget-id='system-info'] .tg-system-clock")
    clock.wait_for(timeout=15_000)
    page.wait_for_function(
        "el => /^\\d\\d:\\d\\d:\\d\\d Z$/.test(el.textContent.trim())",
        arg=clock.element_handle(),
        timeout=15_000,
    )
    first = clock.inner_text()
    page.wait_for_function(
        "([el, first]) => el.textContent.trim() !== first",
        arg=[clock.element_handle(), first],
        timeout=10_000,
    )
    assert page.locator(".link-status.up").count() == 1
    assert console.errors == []
    assert console.external_requests == []
    # The session cookie is invisible to scripts.
    assert "tangram_session" not in page.evaluate("document.cookie")
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    session = cookies[f"tangram_session_{protected.served.http_port}"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"


def test_logout_returns_to_the_login_page(
    protected: Protected, context: BrowserContext, console: ConsoleLog
) -> None:
    page = open_page(context, console, protected.served.url)
    log_in(page, KEY)
    wait_for_app(page)
    page.get_by_role("button", name="Log out").click()
    page.locator("#tangram-login").wait_for(timeout=10_000)
    assert context.cookies() == []
    # A navigation to any route now gets the login page, which returns there afterwards.
    page.goto(f"{protected.served.url}/manifest.json")
    assert page.locator("#tangram-login input[name=next]").get_attribute("value") == (
        "/manifest.json"
    )


def test_ended_session_brings_the_login_page_back(
    protected: Protected, context: BrowserContext, console: ConsoleLog
) -> None:
    page = open_page(context, console, protected.served.url)
    log_in(page, KEY)
    wait_for_app(page)
    # As when the cookie expires: the next token request is refused with 401, and the
    # app shows the login page instead of retrying forever.
    context.clear_cookies()
    page.evaluate("void window.tangram.shell.realtime.publish('fresh-topic:ping', {})")
    page.locator("#tangram-login").wait_for(timeout=15_000)
    log_in(page, KEY)
    wait_for_app(page)
