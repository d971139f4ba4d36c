"""Authentication: Planet's three forms, 401 for anything else, and orders that belong to their key."""

from __future__ import annotations

import base64

import httpx
import pytest

from airflow_provider_planet_orders.emulator import DEMO_API_KEY
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.exceptions import PlanetAuthError, PlanetNotFoundError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, OTHER_KEY, make_hook, scene_order

STATS = "/compute/ops/stats/orders/v2"


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        pytest.param({"Authorization": basic(DEMO_API_KEY)}, {}, id="basic-key-as-user-name"),
        pytest.param({"Authorization": f"api-key {DEMO_API_KEY}"}, {}, id="api-key-header"),
        pytest.param({"Authorization": f"API-KEY {DEMO_API_KEY}"}, {}, id="api-key-header-any-case"),
        pytest.param({}, {"api_key": DEMO_API_KEY}, id="api_key-query-parameter"),
    ],
)
def test_each_form_planet_accepts_works(
    emulator: EmulatorHandle, headers: dict[str, str], params: dict[str, str]
) -> None:
    created = httpx.post(emulator.url + ORDERS, json=scene_order(), headers=headers, params=params)
    assert created.status_code == 202
    fetched = httpx.get(f"{emulator.url}{ORDERS}/{created.json()['id']}", headers=headers, params=params)
    assert fetched.status_code == 200
    assert fetched.json()["id"] == created.json()["id"]


@pytest.mark.parametrize(
    ("headers", "params", "message"),
    [
        pytest.param({}, {}, "Please enter your API key", id="no-credentials"),
        pytest.param({"Authorization": basic("PLAK-wrong")}, {}, "Invalid API key", id="unknown-key"),
        pytest.param({"Authorization": basic("", DEMO_API_KEY)}, {}, "Please enter", id="key-as-password"),
        pytest.param({"Authorization": f"Bearer {DEMO_API_KEY}"}, {}, "Please enter", id="bearer"),
        pytest.param({"Authorization": "Basic %%%"}, {}, "Please enter", id="malformed-basic"),
        pytest.param({"Authorization": "api-key"}, {}, "Please enter", id="empty-api-key"),
        pytest.param({}, {"api_key": "PLAK-wrong"}, "Invalid API key", id="unknown-query-key"),
        pytest.param(
            {"Authorization": basic("PLAK-wrong")}, {"api_key": DEMO_API_KEY}, "Invalid", id="header-wins"
        ),
    ],
)
def test_anything_else_gets_401_with_a_json_message(
    emulator: EmulatorHandle, headers: dict[str, str], params: dict[str, str], message: str
) -> None:
    for response in (
        httpx.get(emulator.url + STATS, headers=headers, params=params),
        httpx.post(emulator.url + ORDERS, json=scene_order(), headers=headers, params=params),
    ):
        assert response.status_code == 401
        assert message in response.json()["message"]
    assert emulator.stats()["orders_created"]["total"] == 0
    assert emulator.stats()["requests"]["stats"] == {"401": 1}


def test_hook_authenticates_and_tests_its_connection(hook: PlanetOrdersHook) -> None:
    ok, text = hook.test_connection()
    assert ok, text
    assert "0 queued and 0 running" in text


def test_hook_with_a_wrong_key_fails_with_an_auth_error(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_hook(monkeypatch, emulator, key="PLAK-not-a-key") as hook:
        with pytest.raises(PlanetAuthError, match="401"):
            hook.get_order_stats()
        ok, _ = hook.test_connection()
        assert not ok


def test_orders_belong_to_the_key_that_created_them(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = hook.create_order(scene_order("mine"))
    other = make_hook(monkeypatch, emulator, key=OTHER_KEY)
    theirs = other.create_order(scene_order("theirs"))

    with pytest.raises(PlanetNotFoundError):
        other.get_order(mine["id"])
    with pytest.raises(PlanetNotFoundError):
        other.cancel_order(mine["id"])
    assert [o["name"] for o in other.list_orders()] == ["theirs"]
    assert [o["name"] for o in hook.list_orders()] == ["mine"]

    bulk = other.cancel_orders([mine["id"]])
    assert bulk["result"]["failed"]["failures"] == [{"order_id": mine["id"], "message": "Order not found"}]
    assert other.cancel_orders()["result"]["succeeded"]["count"] == 1  # only its own
    assert hook.get_order(mine["id"])["state"] == "queued"
    assert other.get_order(theirs["id"])["state"] == "cancelled"

    stats = hook.get_order_stats()
    assert stats["user"] == {"queued_orders": 1, "running_orders": 0}
    assert stats["organization"] == {"queued_orders": 1, "running_orders": 0}
    created = emulator.stats()["orders_created"]
    assert created["total"] == 2
    assert len(created["by_key"]) == 2
    assert DEMO_API_KEY not in str(emulator.stats())
    other.close()
