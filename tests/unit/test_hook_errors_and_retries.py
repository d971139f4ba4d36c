"""Error mapping, retries, Retry-After and the ambiguous create, through PlanetOrdersHook."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from airflow_provider_planet_orders._compat import AirflowException
from airflow_provider_planet_orders.core.policy import RetryPolicy
from airflow_provider_planet_orders.core.responses import parse_retry_after
from airflow_provider_planet_orders.exceptions import (
    PlanetAuthError,
    PlanetBadRequestError,
    PlanetConflictError,
    PlanetConnectionError,
    PlanetNotFoundError,
    PlanetOrderMaybeCreatedError,
    PlanetOrdersError,
    PlanetRateLimitError,
    PlanetServerError,
    PlanetUnexpectedResponseError,
)
from tests.conftest import BASE_URL
from tests.unit.test_hook_endpoints import OID, ORDERS, order

ORDER_URL = f"{ORDERS}/{OID}"

# Planet's own error body, from its documentation.
BAD_REQUEST = {
    "field": {"Products": [{"message": "Item ID or Item Type empty"}]},
    "general": [{"message": "Unable to accept order"}],
}


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


def test_400_carries_planets_field_and_general_messages(hook, api) -> None:
    api.post(ORDERS, json=BAD_REQUEST, status=400)
    with pytest.raises(PlanetBadRequestError) as info:
        hook.create_order({"name": "x"})
    err = info.value
    assert err.field_errors == {"Products": ["Item ID or Item Type empty"]}
    assert err.general_errors == ["Unable to accept order"]
    assert str(err) == (
        "create_order POST /compute/ops/orders/v2 failed with 400 Bad Request: "
        "Unable to accept order; Products: Item ID or Item Type empty"
    )
    assert (err.status, err.method, err.path, err.operation) == (
        400,
        "POST",
        "/compute/ops/orders/v2",
        "create_order",
    )
    assert isinstance(err, PlanetOrdersError)
    assert isinstance(err, AirflowException)
    assert len(api.calls) == 1  # a 400 is never retried


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (401, {"message": "Please enter your API key."}, PlanetAuthError, "401 Unauthorized: Please enter"),
        (403, {"message": "Not allowed"}, PlanetAuthError, "403 Forbidden: Not allowed"),
        (404, {"message": "Order not found"}, PlanetNotFoundError, "404 Not Found: Order not found"),
        (409, {"message": "Order not in a cancellable state"}, PlanetConflictError, "409 Conflict"),
        (418, "I'm a teapot", PlanetUnexpectedResponseError, "418 I'm a Teapot: I'm a teapot"),
    ],
)
def test_each_status_maps_to_its_error(hook, api, status, body, error, text) -> None:
    if isinstance(body, str):
        api.put(ORDER_URL, body=body, status=status)
    else:
        api.put(ORDER_URL, json=body, status=status)
    with pytest.raises(error) as info:
        hook.cancel_order(OID)
    assert str(info.value).startswith(f"cancel_order PUT /compute/ops/orders/v2/{OID} failed with {text}")
    assert len(api.calls) == 1


def test_non_json_success_is_an_unexpected_response(hook, api) -> None:
    api.get(ORDER_URL, body="<html>proxy</html>", status=200)
    with pytest.raises(PlanetUnexpectedResponseError, match="not JSON"):
        hook.get_order(OID)


def test_huge_error_bodies_are_truncated(hook, api) -> None:
    api.get(ORDER_URL, body="x" * 10_000, status=404)
    with pytest.raises(PlanetNotFoundError) as info:
        hook.get_order(OID)
    assert len(str(info.value)) < 700


# -- retries ----------------------------------------------------------------------------------


def test_429_is_retried_waiting_at_least_retry_after(hook, api, sleeps) -> None:
    api.get(ORDER_URL, status=429, headers={"Retry-After": "7"}, json={"message": "slow down"})
    api.get(ORDER_URL, json=order(state="running"))
    assert hook.get_order(OID)["state"] == "running"
    assert len(api.calls) == 2
    assert sleeps.calls[0] >= 7


def test_retry_after_as_an_http_date(hook, api, sleeps) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    api.get(ORDER_URL, status=429, headers={"Retry-After": when})
    api.get(ORDER_URL, json=order())
    hook.get_order(OID)
    assert 25 <= sleeps.calls[0] <= 31


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", now=now) == 10.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:10 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_then_succeed(hook, api, sleeps, status) -> None:
    api.get(ORDER_URL, status=status)
    api.get(ORDER_URL, status=status)
    api.get(ORDER_URL, json=order(state="success"))
    assert hook.get_order(OID)["state"] == "success"
    assert len(api.calls) == 3
    assert len(sleeps.calls) == 2


def test_retries_give_up_with_the_mapped_error(hook, api, sleeps) -> None:
    for _ in range(6):
        api.get(ORDER_URL, status=503, json={"message": "maintenance"})
    with pytest.raises(PlanetServerError, match="503 Service Unavailable: maintenance"):
        hook.get_order(OID)
    assert len(api.calls) == 6  # max_retries=5 -> six attempts
    assert len(sleeps.calls) == 5


def test_429_after_every_retry_is_a_rate_limit_error(hook, api, sleeps) -> None:
    for _ in range(6):
        api.get(f"{BASE_URL}/compute/ops/stats/orders/v2", status=429)
    with pytest.raises(PlanetRateLimitError):
        hook.get_order_stats()


def test_connection_errors_are_retried(hook, api, sleeps) -> None:
    api.get(ORDER_URL, body=requests.ConnectionError("connection reset by peer"))
    api.get(ORDER_URL, body=requests.ReadTimeout("read timed out"))
    api.get(ORDER_URL, json=order())
    assert hook.get_order(OID)["id"] == OID
    assert len(api.calls) == 3


def test_exhausted_connection_errors_raise_planet_connection_error(hook, api, sleeps) -> None:
    for _ in range(6):
        api.get(ORDER_URL, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(PlanetConnectionError, match="before the request was sent") as info:
        hook.get_order(OID)
    assert info.value.request_sent is False


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_initial=1, backoff_max=10)
    assert [policy.backoff(n, rand=0.0) for n in range(1, 7)] == [0.5, 1, 2, 4, 5, 5]
    assert [policy.backoff(n, rand=1.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert policy.backoff(1, retry_after=42, rand=0) == 42
    assert RetryPolicy(max_retry_after=60).backoff(1, retry_after=86_400, rand=0) == 60


def test_max_retries_from_connection_extras(monkeypatch, sleeps, api) -> None:
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
    from tests.conftest import set_planet_connection

    set_planet_connection(monkeypatch, extra={"max_retries": 1, "rate_limit": False})
    hook = PlanetOrdersHook()
    hook.sleep = sleeps
    api.get(ORDER_URL, status=500)
    api.get(ORDER_URL, status=500)
    with pytest.raises(PlanetServerError):
        hook.get_order(OID)
    assert len(api.calls) == 2


# -- the ambiguous create ---------------------------------------------------------------------

REQUEST = {"name": "n", "products": [{"item_ids": ["i"], "item_type": "PSScene", "product_bundle": "b"}]}


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 502},
        {"status": 504},
        {"status": 500},
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("('Connection aborted.', RemoteDisconnected())")},
    ],
)
def test_ambiguous_create_is_not_retried_and_says_the_order_may_exist(hook, api, sleeps, failure) -> None:
    api.post(ORDERS, **failure)
    with pytest.raises(PlanetOrderMaybeCreatedError, match="the order may exist") as info:
        hook.create_order(REQUEST)
    assert len(api.calls) == 1
    assert sleeps.calls == []
    assert isinstance(info.value.__cause__, PlanetOrdersError)


def test_create_is_retried_when_the_connection_was_never_made(hook, api, sleeps) -> None:
    refused = requests.ConnectionError(NewConnectionError(None, "Failed to establish a new connection"))
    api.post(ORDERS, body=refused)
    api.post(ORDERS, body=requests.ConnectTimeout("connect timed out"))
    api.post(ORDERS, json=order(), status=202)
    assert hook.create_order(REQUEST)["id"] == OID
    assert len(api.calls) == 3


def test_create_is_retried_after_429(hook, api, sleeps) -> None:
    api.post(ORDERS, status=429, headers={"Retry-After": "2"})
    api.post(ORDERS, json=order(), status=202)
    assert hook.create_order(REQUEST)["id"] == OID
    assert sleeps.calls[0] >= 2


def test_create_400_is_not_ambiguous(hook, api) -> None:
    api.post(ORDERS, json=BAD_REQUEST, status=400)
    with pytest.raises(PlanetBadRequestError):
        hook.create_order(REQUEST)


def test_errors_survive_pickling() -> None:
    import pickle

    err = PlanetBadRequestError(
        "m", field_errors={"a": ["b"]}, general_errors=["g"], status=400, path="/p", operation="op"
    )
    err.retry_after = 3.0
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), str(copy), copy.field_errors, copy.status, copy.retry_after) == (
        PlanetBadRequestError,
        "m",
        {"a": ["b"]},
        400,
        3.0,
    )
