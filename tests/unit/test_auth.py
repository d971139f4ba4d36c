"""The connection's ``auth`` extra: Basic, the ``api-key`` header and OAuth2 client credentials."""

from __future__ import annotations

import base64
import json
import logging
import pickle
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
import requests
import responses
import respx

from airflow_provider_planet_orders.core.auth import TOKEN_CACHE, AuthMethod, Credentials, TokenCache
from airflow_provider_planet_orders.core.policy import ClientSettings, RateLimiter
from airflow_provider_planet_orders.exceptions import (
    PlanetAuthError,
    PlanetConfigurationError,
    PlanetConnectionError,
    PlanetOrdersError,
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


# --------------------------------------------------------------------------------------------
# OAuth2 client credentials
# --------------------------------------------------------------------------------------------


def token_route(api: responses.RequestsMock, *tokens: str, expires_in: int = 3600) -> None:
    for token in tokens:
        api.post(TOKEN_URL, json=token_answer(token, expires_in))


def test_sync_oauth2_fetches_a_token_with_client_credentials_and_sends_it(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch, scope="orders:read orders:write")
    with responses.RequestsMock() as api:
        token_route(api, TOKEN_A)
        api.get(f"{ORDERS}/{OID}", json=order())
        api.get(f"{ORDERS}/{OID}", json=order())
        with make_hook() as hook:
            hook.get_order(OID)
            hook.get_order(OID)
        token_call, first, second = api.calls
        assert token_call.request.headers["Authorization"] == basic(CLIENT_ID, CLIENT_SECRET)
        form = dict(parse_qsl(token_call.request.body))
        assert form == {"grant_type": "client_credentials", "scope": "orders:read orders:write"}
        assert first.request.headers["Authorization"] == f"Bearer {TOKEN_A}"
        assert second.request.headers["Authorization"] == f"Bearer {TOKEN_A}"  # cached


def test_client_secret_may_come_from_the_extra(monkeypatch) -> None:
    conn = {
        "conn_type": "planet",
        "host": BASE_URL,
        "login": CLIENT_ID,
        "extra": oauth2_extra(client_secret=CLIENT_SECRET),
    }
    monkeypatch.setenv("AIRFLOW_CONN_PLANET_DEFAULT", json.dumps(conn))
    with responses.RequestsMock() as api:
        token_route(api, TOKEN_A)
        api.get(f"{ORDERS}/{OID}", json=order())
        with make_hook() as hook:
            hook.get_order(OID)
        assert api.calls[0].request.headers["Authorization"] == basic(CLIENT_ID, CLIENT_SECRET)


def test_token_is_shared_by_hooks_and_refreshed_before_it_expires(monkeypatch, fresh_token_cache) -> None:
    set_oauth2_connection(monkeypatch)
    with responses.RequestsMock() as api:
        token_route(api, TOKEN_A, TOKEN_B, expires_in=600)
        for _ in range(3):
            api.get(f"{ORDERS}/{OID}", json=order())
        with make_hook() as one, make_hook() as two:
            one.get_order(OID)
            fresh_token_cache.now += 539  # 61 s left: the 60 s leeway is not reached yet
            two.get_order(OID)
            fresh_token_cache.now += 2  # 59 s left: refresh now, before Planet would refuse it
            one.get_order(OID)
        sent = [c.request.headers["Authorization"] for c in api.calls if c.request.url.startswith(ORDERS)]
        assert sent == [f"Bearer {TOKEN_A}", f"Bearer {TOKEN_A}", f"Bearer {TOKEN_B}"]


def test_a_401_refreshes_the_token_once_and_retries(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch)
    with responses.RequestsMock() as api:
        token_route(api, TOKEN_A, TOKEN_B)
        api.get(f"{ORDERS}/{OID}", json={"message": "expired"}, status=401)
        api.get(f"{ORDERS}/{OID}", json=order())
        with make_hook() as hook:
            assert hook.get_order(OID)["id"] == OID
        sent = [c.request.headers["Authorization"] for c in api.calls if c.request.url.startswith(ORDERS)]
        assert sent == [f"Bearer {TOKEN_A}", f"Bearer {TOKEN_B}"]


def test_a_second_401_is_the_answer(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch)
    with responses.RequestsMock() as api:
        token_route(api, TOKEN_A, TOKEN_B)
        api.get(f"{ORDERS}/{OID}", json={"message": "no"}, status=401)
        api.get(f"{ORDERS}/{OID}", json={"message": "no"}, status=401)
        with make_hook() as hook, pytest.raises(PlanetAuthError):
            hook.get_order(OID)
        assert len(api.calls) == 4  # two tokens, two attempts: no loop


def test_a_401_with_an_api_key_is_not_retried(monkeypatch) -> None:
    set_planet_connection(monkeypatch, extra={"rate_limit": False, "auth": "api-key"})
    with responses.RequestsMock() as api:
        api.get(f"{ORDERS}/{OID}", json={"message": "Invalid API key"}, status=401)
        with make_hook() as hook, pytest.raises(PlanetAuthError):
            hook.get_order(OID)
        assert len(api.calls) == 1


def test_result_download_on_another_host_gets_no_token(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch)
    link = "https://storage.example.com/bucket/file.tif?token=signed"
    with responses.RequestsMock() as api:
        api.get(link, body=b"data")
        with make_hook() as hook, hook.open_result(link) as stream:
            assert b"".join(stream.chunks) == b"data"
        assert "Authorization" not in api.calls[0].request.headers  # and no token was fetched


async def test_async_oauth2_caches_and_refreshes_after_a_401(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch)
    with respx.mock() as api:
        tokens = api.post(TOKEN_URL).mock(
            side_effect=[
                respx.MockResponse(json=token_answer(TOKEN_A)),
                respx.MockResponse(json=token_answer(TOKEN_B)),
            ]
        )
        orders = api.get(f"{ORDERS}/{OID}").mock(
            side_effect=[
                respx.MockResponse(json=order()),
                respx.MockResponse(401, json={"message": "expired"}),
                respx.MockResponse(json=order()),
            ]
        )
        async with PlanetOrdersAsyncHook() as hook:
            hook.sleep = SleepRecorder()  # type: ignore[assignment]
            await hook.get_order(OID)
            await hook.get_order(OID)
        assert tokens.call_count == 2
        assert tokens.calls[0].request.headers["Authorization"] == basic(CLIENT_ID, CLIENT_SECRET)
        sent = [c.request.headers["Authorization"] for c in orders.calls]
        assert sent == [f"Bearer {TOKEN_A}", f"Bearer {TOKEN_A}", f"Bearer {TOKEN_B}"]


def test_token_endpoint_trouble_is_transient_and_a_create_is_retried(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch)
    body = {
        "name": "o",
        "products": [{"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
    }
    with responses.RequestsMock() as api:
        api.post(TOKEN_URL, status=503, body="down")
        token_route(api, TOKEN_A)
        api.post(ORDERS, json=order("queued"), status=202)
        with make_hook() as hook:
            assert hook.create_order(body)["id"] == OID
        assert len(api.calls) == 3


def test_token_endpoint_unreachable_says_the_request_was_not_sent(monkeypatch) -> None:
    set_oauth2_connection(monkeypatch, max_retries=0)
    with responses.RequestsMock() as api:
        api.post(TOKEN_URL, body=requests.ConnectionError("refused"))
        with make_hook() as hook, pytest.raises(PlanetConnectionError, match="was not sent") as info:
            hook.get_order(OID)
        assert info.value.request_sent is False


def test_refused_client_names_the_error_never_the_secret(monkeypatch, caplog) -> None:
    set_oauth2_connection(monkeypatch)
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as api:
        api.post(TOKEN_URL, status=401, json={"error": "invalid_client", "error_description": "bad client"})
        with make_hook() as hook, pytest.raises(PlanetAuthError, match="invalid_client") as info:
            hook.get_order(OID)
    assert CLIENT_ID in str(info.value)
    assert CLIENT_SECRET not in str(info.value)
    assert CLIENT_SECRET not in caplog.text


def test_no_secret_or_token_in_reprs_logs_errors_or_pickles(monkeypatch, caplog) -> None:
    set_oauth2_connection(monkeypatch, max_retries=1)
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as api:
        token_route(api, TOKEN_A)
        api.get(f"{ORDERS}/{OID}", status=500, json={"message": "boom"})
        api.get(f"{ORDERS}/{OID}", status=500, json={"message": "boom"})
        with make_hook() as hook, pytest.raises(PlanetOrdersError) as info:
            hook.get_order(OID)
        texts = [
            repr(hook),
            repr(hook.authorizer),
            repr(hook.authorizer.credentials),
            repr(hook.get_conn().auth),
            repr(TOKEN_CACHE),
            repr(TOKEN_CACHE.get(hook.authorizer.credentials)),
            str(info.value),
            repr(info.value),
            str(pickle.loads(pickle.dumps(info.value))),
            caplog.text,
        ]
    for text in texts:
        assert CLIENT_SECRET not in text
        assert TOKEN_A not in text


def test_tokens_are_cached_per_token_url_client_and_secret() -> None:
    cache = TokenCache(clock=Clock())
    answer = json.dumps(token_answer(TOKEN_A)).encode()
    one = Credentials(AuthMethod.OAUTH2, "secret-1", client_id="c", token_url=TOKEN_URL)
    cache.store(one, 200, answer)
    assert cache.get(one) is not None
    assert cache.get(Credentials(AuthMethod.OAUTH2, "secret-1", client_id="d", token_url=TOKEN_URL)) is None
    assert (
        cache.get(Credentials(AuthMethod.OAUTH2, "secret-1", client_id="c", token_url=TOKEN_URL + "2"))
        is None
    )
    assert cache.get(Credentials(AuthMethod.OAUTH2, "wrong", client_id="c", token_url=TOKEN_URL)) is None
