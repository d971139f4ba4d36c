"""
A reusable harness for tests that drive Airflow's UI in a real browser.

Fixtures, from the bottom up:

* ``chromium_path``: Debian's Chromium, installed with apt when missing (see ``chromium.py``);
* ``browser``: that Chromium, headless, driven by Playwright (one for the package: while it is
  open, Playwright's sync API keeps an asyncio loop running in the main thread, which breaks every
  async test that pytest runs after it);
* ``browser_emulator``: the Planet Orders API emulator the UI's connections point at;
* ``api_server``: a real Airflow api-server (its own AIRFLOW_HOME and SQLite database, the simple
  auth manager with one admin user, connection testing enabled), the way tests/e2e starts
  Airflow's processes;
* ``page``: a fresh browser context and page for one test, with a screenshot of the page kept
  in the test's folder when the test fails;
* ``logged_in_page``: ``page`` after signing in through Airflow's login form.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from tests.browser.chromium import LAUNCH_ARGS, ChromiumUnavailable, ensure_chromium
from tests.e2e.harness import AirflowSandbox

USER, PASSWORD = "admin", "admin"


@dataclass
class ApiServer:
    """A running api-server: where it is, who may sign in, and the sandbox behind it."""

    url: str
    user: str
    password: str
    sandbox: AirflowSandbox
    emulator: EmulatorHandle

    def token(self) -> str:
        """An access token for the REST API, as the UI gets one when signing in."""
        response = httpx.post(
            f"{self.url}/auth/token", json={"username": self.user, "password": self.password}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return httpx.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    try:
        return ensure_chromium()
    except ChromiumUnavailable as err:
        pytest.fail(f"the browser tests need Debian's Chromium: {err}", pytrace=False)


@pytest.fixture(scope="package")
def browser(chromium_path: Path) -> Iterator[Any]:
    """
    Package-scoped: Playwright's sync API runs an event loop in this thread while it is started,
    so it must stop when the browser tests end, before any asyncio test of the session runs.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def browser_emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(queued_seconds=1, running_seconds=2, file_size=64 * 1024, seed=11) as handle:
        yield handle


def wait_until_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the api-server at {url} did not answer within {timeout:.0f} s")


@pytest.fixture(scope="session")
def api_server(
    browser_emulator: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    root = tmp_path_factory.mktemp("airflow-browser")
    passwords = root / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    sandbox = AirflowSandbox(
        root,
        emulator_url=browser_emulator.url,
        api_key=browser_emulator.api_key,
        env={
            # Signing in is part of what the tests do: a real user, not "everyone is admin".
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            # Airflow disables the Test button by default; the docs say how to enable it.
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        },
    )
    with sandbox:
        sandbox.migrate()
        sandbox.start(["api-server"])
        url = f"http://127.0.0.1:{sandbox.api_port}"
        try:
            wait_until_healthy(url)
        except AssertionError as err:
            log = sandbox.logs / "api-server.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            raise AssertionError(f"{err}; its log ends with:\n{tail}") from None
        yield ApiServer(url, USER, PASSWORD, sandbox, browser_emulator)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            shot = tmp_path / "failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the page at the failure: {shot}")
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Keep each phase's report on the test item, so that ``page`` knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sign_in(page: Any, server: ApiServer) -> None:
    """Sign in through Airflow's login form, as a person would."""
    page.goto(f"{server.url}/auth/login")
    page.get_by_label("Username").fill(server.user)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


@pytest.fixture
def logged_in_page(page: Any, api_server: ApiServer) -> Any:
    sign_in(page, api_server)
    return page
