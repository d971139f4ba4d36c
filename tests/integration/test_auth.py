"""The three auth forms against the emulator over loopback: sync hook, async hook and trigger."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from airflow_provider_planet_orders.core.auth import TOKEN_CACHE
from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.exceptions import PlanetAuthError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook, PlanetOrdersHook
from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger
from tests.integration.conftest import scene_request

FORMS = ["basic", "api-key", "oauth2"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def token_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(TOKEN_CACHE, "clock", clock)
    TOKEN_CACHE.clear()
    yield clock
    TOKEN_CACHE.clear()


def connect(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorHandle, form: str, **extra: object) -> None:
    conn: dict[str, object] = {"conn_type": "planet", "host": emulator.url}
    extras: dict[str, object] = {"rate_limit": False, "auth": form, **extra}
    if form == "oauth2":
        client_id, secret = emulator.oauth_client
        conn.update(login=client_id, password=secret)
        extras["token_url"] = emulator.token_url
    else:
        conn["password"] = emulator.api_key
    conn["extra"] = extras
    monkeypatch.setenv("AIRFLOW_CONN_PLANET_DEFAULT", json.dumps(conn))


def sync_hook() -> PlanetOrdersHook:
    hook = PlanetOrdersHook()
    hook.sleep = lambda s: None
    hook.limiter = RateLimiter()
    return hook


@pytest.mark.parametrize("form", FORMS)
def test_sync_hook_creates_and_reads_an_order(monkeypatch, emulator, form) -> None:
    connect(monkeypatch, emulator, form)
    with sync_hook() as hook:
        order = hook.create_order(scene_request(f"auth-{form}"))
        assert hook.get_order(order["id"])["name"] == f"auth-{form}"
        ok, message = hook.test_connection()
        assert ok, message
    assert emulator.stats()["tokens_issued"] == (1 if form == "oauth2" else 0)


@pytest.mark.parametrize("form", FORMS)
async def test_async_hook_reads_an_order(monkeypatch, emulator, form) -> None:
    connect(monkeypatch, emulator, form)
    with sync_hook() as hook:
        order = hook.create_order(scene_request(f"auth-{form}"))
    async with PlanetOrdersAsyncHook() as ahook:
        assert (await ahook.get_order(order["id"]))["id"] == order["id"]
        await ahook.get_order_stats()
    # The sync and the async hook share the process's token.
    assert emulator.stats()["tokens_issued"] == (1 if form == "oauth2" else 0)


@pytest.mark.parametrize("form", FORMS)
async def test_the_trigger_waits_with_each_form(monkeypatch, emulator, form) -> None:
    connect(monkeypatch, emulator, form)
    emulator.configure(queued_seconds=0.1, running_seconds=0.2)
    with sync_hook() as hook:
        order = hook.create_order(scene_request("trigger"))
    trigger = PlanetOrderTrigger(order_id=order["id"], poll_interval=0.05)
    _, kwargs = trigger.serialize()
    assert emulator.api_key not in repr(kwargs)
    assert emulator.oauth_client[1] not in repr(kwargs)
    events = [e.payload async for e in trigger.run()]
    assert [e["status"] for e in events] == ["success"]


def test_oauth2_token_is_refreshed_before_it_expires(monkeypatch, emulator, token_clock) -> None:
    connect(monkeypatch, emulator, "oauth2")
    ttl = emulator.emulator.config.token_ttl
    with sync_hook() as hook:
        hook.get_order_stats()
        token_clock.now += ttl - 30  # inside the refresh leeway, still valid at the emulator
        hook.get_order_stats()
        assert emulator.stats()["tokens_issued"] == 2


def test_oauth2_token_the_emulator_forgot_is_replaced_after_a_401(monkeypatch, emulator) -> None:
    connect(monkeypatch, emulator, "oauth2")
    with sync_hook() as hook:
        hook.get_order_stats()
        emulator.advance(emulator.emulator.config.token_ttl + 1)  # expired at the emulator only
        hook.get_order_stats()
    assert emulator.stats()["tokens_issued"] == 2


async def test_async_oauth2_token_is_replaced_after_a_401(monkeypatch, emulator) -> None:
    connect(monkeypatch, emulator, "oauth2")
    async with PlanetOrdersAsyncHook() as ahook:
        await ahook.get_order_stats()
        emulator.advance(emulator.emulator.config.token_ttl + 1)
        await ahook.get_order_stats()
    assert emulator.stats()["tokens_issued"] == 2


def test_oauth2_wrong_secret_is_refused_without_echoing_it(monkeypatch, emulator) -> None:
    connect(monkeypatch, emulator, "oauth2")
    conn = json.loads(os.environ["AIRFLOW_CONN_PLANET_DEFAULT"])
    conn["password"] = "not-the-secret-at-all"
    monkeypatch.setenv("AIRFLOW_CONN_PLANET_DEFAULT", json.dumps(conn))
    with sync_hook() as hook, pytest.raises(PlanetAuthError, match="invalid_client") as info:
        hook.get_order_stats()
    assert "not-the-secret-at-all" not in str(info.value)
