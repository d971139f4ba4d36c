"""The connection's ``auth`` extra: Basic, the ``api-key`` header and OAuth2 client credentials."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import responses
import respx

from airflow_provider_planet_orders.core.auth import TOKEN_CACHE, AuthMethod
from airflow_provider_planet_orders.core.policy import ClientSettings, RateLimiter
from airflow_provider_planet_orders.exceptions import (
    PlanetConfigurationError,
)
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook, PlanetOrdersHook
from tests.conftest import API_KEY, BASE_URL, SleepRecorder, set_planet_connection

ORDERS = f"{BASE_URL}/compute/ops/orders/v2"
OID = "5b4c6a3e-1f5d-4b57-9d0e-9f1a2a3b4c5d"
TOKEN_URL = "https://login.planet.test/oauth2/token"
CLIENT_ID = "airflow-client"
CLIENT_SECRET = "s3cr3t-client-secret-value"
TOKEN_A = "access-token-AAAA-0123456789"
TOKEN_B = "access-token-BBBB-9876543210"


def order(state: str = "running") -> dict:
    return {"id": OID, "name": "o", "state": state, "_links": {"_self": f"{ORDERS}/{OID}"}}


def basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def oauth2_extra(**more: object) -> dict[str, object]:
    return {"rate_limit": False, "auth": "oauth2", "token_url": TOKEN_URL, **more}


def set_oauth2_connection(monkeypatch: pytest.MonkeyPatch, **more: object) -> None:
    conn = {
        "conn_type": "planet",
        "host": BASE_URL,
        "login": CLIENT_ID,
        "password": CLIENT_SECRET,
        "extra": oauth2_extra(**more),
    }
    monkeypatch.setenv("AIRFLOW_CONN_PLANET_DEFAULT", json.dumps(conn))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_token_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Each test starts with no token, on a clock it moves itself."""
    clock = Clock()
    monkeypatch.setattr(TOKEN_CACHE, "clock", clock)
    TOKEN_CACHE.clear()
    yield clock
    TOKEN_CACHE.clear()


def make_hook() -> PlanetOrdersHook:
    hook = PlanetOrdersHook()
    hook.sleep = SleepRecorder()
    hook.limiter = RateLimiter()
    return hook


def token_answer(token: str, expires_in: int = 3600) -> dict:
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


def test_auth_defaults_to_basic() -> None:
    assert ClientSettings.from_connection(None, {}).auth is AuthMethod.BASIC
    assert ClientSettings.from_connection(None, {"auth": ""}).auth is AuthMethod.BASIC


@pytest.mark.parametrize(
    ("value", "method"), [("basic", "basic"), ("API-Key", "api-key"), ("oauth2", "oauth2")]
)
def test_auth_values(value: str, method: str) -> None:
    settings = ClientSettings.from_connection(None, {"auth": value, "token_url": TOKEN_URL})
    assert settings.auth.value == method


def test_unknown_auth_names_the_field_and_the_choices() -> None:
    with pytest.raises(
        PlanetConfigurationError, match=r"extra 'auth' must be one of 'basic', 'api-key', 'oauth2'"
    ):
        ClientSettings.from_connection(None, {"auth": "bearer"})


def test_oauth2_needs_a_token_url() -> None:
    with pytest.raises(PlanetConfigurationError, match=r"'token_url' is required with auth 'oauth2'"):
        ClientSettings.from_connection(None, {"auth": "oauth2"})
    with pytest.raises(PlanetConfigurationError, match=r"extra 'token_url' must be an http\(s\) URL"):
        ClientSettings.from_connection(None, {"auth": "oauth2", "token_url": "login.example.com/token"})


def test_oauth2_needs_a_client_id_and_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    set_planet_connection(monkeypatch, extra=oauth2_extra())  # a password, no login
    with pytest.raises(PlanetConfigurationError, match="no client id: put it in the connection's login"):
        make_hook().get_order(OID)
    monkeypatch.setenv(
        "AIRFLOW_CONN_PLANET_DEFAULT",
        json.dumps({"conn_type": "planet", "host": BASE_URL, "login": CLIENT_ID, "extra": oauth2_extra()}),
    )
    with pytest.raises(PlanetConfigurationError, match="password or in the extra 'client_secret'"):
        make_hook().get_order(OID)


# --------------------------------------------------------------------------------------------
# API keys: Basic and the api-key header
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "header"),
    [({}, basic(API_KEY)), ({"auth": "basic"}, basic(API_KEY)), ({"auth": "api-key"}, f"api-key {API_KEY}")],
)
def test_sync_hook_sends_the_key_in_the_configured_form(monkeypatch, extra, header) -> None:
    set_planet_connection(monkeypatch, extra={"rate_limit": False, **extra})
    with responses.RequestsMock() as api:
        api.get(f"{ORDERS}/{OID}", json=order())
        with make_hook() as hook:
            hook.get_order(OID)
        assert api.calls[0].request.headers["Authorization"] == header


@pytest.mark.parametrize(
    ("extra", "header"), [({}, basic(API_KEY)), ({"auth": "api-key"}, f"api-key {API_KEY}")]
)
async def test_async_hook_sends_the_key_in_the_configured_form(monkeypatch, extra, header) -> None:
    set_planet_connection(monkeypatch, extra={"rate_limit": False, **extra})
    with respx.mock() as api:
        route = api.get(f"{ORDERS}/{OID}").respond(json=order())
        async with PlanetOrdersAsyncHook() as hook:
            await hook.get_order(OID)
        assert route.calls[0].request.headers["Authorization"] == header


def test_api_key_header_is_not_sent_to_another_host(monkeypatch) -> None:
    set_planet_connection(monkeypatch, extra={"rate_limit": False, "auth": "api-key"})
    link = "https://storage.example.com/bucket/file.tif?token=signed"
    with responses.RequestsMock() as api:
        api.get(link, body=b"data")
        with make_hook() as hook, hook.open_result(link) as stream:
            assert b"".join(stream.chunks) == b"data"
        assert "Authorization" not in api.calls[0].request.headers


def test_repr_of_the_hook_and_its_auth_has_no_key(monkeypatch) -> None:
    set_planet_connection(monkeypatch, extra={"rate_limit": False, "auth": "api-key"})
    hook = make_hook()
    text = repr(hook) + repr(hook.authorizer) + repr(hook.authorizer.credentials) + repr(hook.get_conn().auth)
    assert API_KEY not in text
