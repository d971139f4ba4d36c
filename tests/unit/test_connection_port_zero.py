"""
Port 0 means "no port": the workaround for the connection form of Airflow 3.3.2 and earlier.

Their UI sends ``port: 0`` with a Test for a connection whose port was left empty, and their API
refuses it because it differs from the stored empty port. A user who types 0 into the port field
gets a Test button that works (tests/browser), so 0 must keep meaning "no port" everywhere the
hooks turn a connection into a base URL: these tests pin that.
"""

from __future__ import annotations

import json

import pytest
import responses
import respx

from airflow_provider_planet_orders.core.api import DEFAULT_BASE_URL
from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.get_provider_info import get_provider_info
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook, PlanetOrdersHook
from tests.conftest import API_KEY

EMULATOR = "http://127.0.0.1:8765"
STATS_PATH = "/compute/ops/stats/orders/v2"
STATS = {"user": {"queued_orders": 0, "running_orders": 1}, "organization": {}}


def set_connection(monkeypatch: pytest.MonkeyPatch, host: str | None, port: int | None) -> None:
    """The connection as the UI saves it: host, key, and the port the user typed (0, or none)."""
    conn: dict[str, object] = {"conn_type": "planet", "password": API_KEY, "extra": {"rate_limit": False}}
    if host is not None:
        conn["host"] = host
    if port is not None:
        conn["port"] = port
    monkeypatch.setenv("AIRFLOW_CONN_PLANET_DEFAULT", json.dumps(conn))


def sync_hook() -> PlanetOrdersHook:
    hook = PlanetOrdersHook()
    hook.sleep = lambda seconds: None
    hook.limiter = RateLimiter()
    return hook


@pytest.mark.parametrize(
    ("host", "base_url"),
    [
        (EMULATOR, EMULATOR),
        ("http://127.0.0.1", "http://127.0.0.1"),  # 0 is not appended as ":0"
        ("proxy.example.com", "https://proxy.example.com"),
        (None, DEFAULT_BASE_URL),
    ],
)
def test_port_0_gives_the_same_base_url_as_no_port(monkeypatch, host, base_url) -> None:
    set_connection(monkeypatch, host, 0)
    with_zero = sync_hook().settings.base_url
    set_connection(monkeypatch, host, None)
    assert with_zero == sync_hook().settings.base_url == base_url


def test_the_connection_test_with_port_0_calls_the_base_url_without_a_port(monkeypatch) -> None:
    set_connection(monkeypatch, EMULATOR, 0)
    hook = sync_hook()
    with responses.RequestsMock() as api:  # strict: the one call must be made, to this URL
        api.get(f"{EMULATOR}{STATS_PATH}", json=STATS)
        ok, message = hook.test_connection()
        assert api.calls[0].request.url == f"{EMULATOR}{STATS_PATH}"
    assert ok, message
    assert f"at {EMULATOR}:" in message


async def test_the_async_hook_treats_port_0_as_none_too(monkeypatch) -> None:
    set_connection(monkeypatch, EMULATOR, 0)
    hook = PlanetOrdersAsyncHook()
    hook.limiter = RateLimiter()
    with respx.mock() as api:
        route = api.get(f"{EMULATOR}{STATS_PATH}").respond(json=STATS)
        try:
            assert await hook.get_order_stats() == STATS
        finally:
            await hook.aclose()
    assert route.call_count == 1
    assert str(route.calls[0].request.url) == f"{EMULATOR}{STATS_PATH}"


def test_the_form_tells_users_of_affected_airflow_versions_to_put_0() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    behaviour = conn_type["ui-field-behaviour"]
    label, placeholder = behaviour["relabeling"]["port"], behaviour["placeholders"]["port"]
    assert "0" in label
    assert "3.3.2" in label
    assert "Test" in placeholder  # why: the Test button
    assert "no port" in placeholder  # and what 0 means
    # Airflow before 3.2 reads the form from the hook: the same words there.
    assert PlanetOrdersHook.get_ui_field_behaviour()["relabeling"]["port"] == label
    assert PlanetOrdersHook.get_ui_field_behaviour()["placeholders"]["port"] == placeholder
