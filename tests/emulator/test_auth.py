"""
Authentication: Planet's three API-key forms, OAuth2 bearer tokens from the emulator's
client-credentials token endpoint, 401 for anything else, and orders that belong to their key.
"""

from __future__ import annotations

import base64
import json

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
        pytest.param({"Authorization": f"Bearer {DEMO_API_KEY}"}, {}, "Invalid or expired", id="bearer-key"),
        pytest.param({"Authorization": "Bearer"}, {}, "Invalid or expired", id="empty-bearer"),
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


# -- OAuth2 client credentials ------------------------------------------------------------------


def token(emulator: EmulatorHandle, **kwargs: object) -> httpx.Response:
    return httpx.post(emulator.token_url, **kwargs)  # type: ignore[arg-type]


def test_the_token_endpoint_issues_bearer_tokens_for_client_secret_post(emulator: EmulatorHandle) -> None:
    client_id, secret = emulator.oauth_client
    response = token(
        emulator, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {body['access_token']}"}

    created = httpx.post(emulator.url + ORDERS, json=scene_order(), headers=bearer)
    assert created.status_code == 202
    assert httpx.get(f"{emulator.url}{ORDERS}/{created.json()['id']}", headers=bearer).status_code == 200
    # A token acts as a user of its own: the demo key does not see its orders.
    assert httpx.get(emulator.url + ORDERS, auth=(DEMO_API_KEY, "")).json()["orders"] == []
    assert emulator.stats()["tokens_issued"] == 1
    assert emulator.stats()["requests"]["token"] == {"200": 1}
    assert secret not in json.dumps(httpx.get(f"{emulator.url}/_emulator/config").json())


def test_client_secret_basic_works_too(emulator: EmulatorHandle) -> None:
    client_id, secret = emulator.oauth_client
    response = token(emulator, data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert httpx.get(emulator.url + STATS, headers=bearer).status_code == 200


def test_tokens_expire_on_the_emulators_clock(emulator: EmulatorHandle) -> None:
    client_id, secret = emulator.oauth_client
    body = token(emulator, data={"grant_type": "client_credentials"}, auth=(client_id, secret)).json()
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    emulator.advance(body["expires_in"] - 1)
    assert httpx.get(emulator.url + STATS, headers=bearer).status_code == 200
    emulator.advance(1)
    expired = httpx.get(emulator.url + STATS, headers=bearer)
    assert expired.status_code == 401
    assert expired.json() == {"message": "Invalid or expired access token"}
    emulator.reset()  # a reset forgets tokens as it forgets orders


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        pytest.param(
            {"grant_type": "client_credentials"},
            ("emulator-demo-client", "wrong"),
            401,
            "invalid_client",
            id="wrong-secret",
        ),
        pytest.param(
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            None,
            401,
            "invalid_client",
            id="unknown-client",
        ),
        pytest.param(
            {"grant_type": "password"},
            ("emulator-demo-client", "emulator-demo-secret"),
            400,
            "unsupported_grant_type",
            id="other-grant",
        ),
        pytest.param(
            {}, ("emulator-demo-client", "emulator-demo-secret"), 400, "invalid_request", id="no-grant"
        ),
    ],
)
def test_the_token_endpoint_answers_rfc_6749_errors(
    emulator: EmulatorHandle, data: dict[str, str], auth: tuple[str, str] | None, status: int, error: str
) -> None:
    response = token(emulator, data=data, auth=auth)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert emulator.stats()["tokens_issued"] == 0


def test_a_configured_client_and_token_lifetime(emulator: EmulatorHandle) -> None:
    emulator.configure(oauth_clients={"airflow-prod": "s3cret"}, token_ttl=60)
    response = token(emulator, data={"grant_type": "client_credentials"}, auth=("airflow-prod", "s3cret"))
    assert response.json()["expires_in"] == 60
    assert (
        token(emulator, data={"grant_type": "client_credentials"}, auth=emulator.oauth_client).status_code
        == 200
    )
    emulator.reset()
