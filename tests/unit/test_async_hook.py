"""PlanetOrdersAsyncHook against mocked HTTP (respx): the same contract as the sync hook."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
import respx

from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.exceptions import (
    PlanetAuthError,
    PlanetConflictError,
    PlanetConnectionError,
    PlanetInvalidInputError,
    PlanetNotFoundError,
    PlanetPagingError,
    PlanetServerError,
)
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook
from tests.conftest import API_KEY, BASE_URL, set_planet_connection
from tests.unit.test_hook_endpoints import OID, ORDERS, order


class AsyncSleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def async_sleeps() -> AsyncSleeps:
    return AsyncSleeps()


@pytest.fixture
async def ahook(planet_connection, async_sleeps):
    hook = PlanetOrdersAsyncHook()
    hook.sleep = async_sleeps
    hook.limiter = RateLimiter()
    yield hook
    await hook.aclose()


@pytest.fixture
def api():
    with respx.mock() as mock:
        yield mock


async def test_get_order_with_basic_auth(ahook, api) -> None:
    route = api.get(f"{ORDERS}/{OID}").respond(json=order(state="running"))
    assert (await ahook.get_order(OID))["state"] == "running"
    auth = route.calls[0].request.headers["Authorization"]
    assert auth == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()


async def test_cancel_order_and_conflict(ahook, api) -> None:
    api.put(f"{ORDERS}/{OID}").mock(
        side_effect=[
            httpx.Response(200, json=order(state="cancelled")),
            httpx.Response(409, json={"message": "Order not in a cancellable state"}),
        ]
    )
    assert (await ahook.cancel_order(OID))["state"] == "cancelled"
    with pytest.raises(PlanetConflictError, match="409 Conflict: Order not in a cancellable state"):
        await ahook.cancel_order(OID)


async def test_get_order_stats(ahook, api) -> None:
    stats = {"user": {"queued_orders": 0, "running_orders": 4}, "organization": {}}
    api.get(f"{BASE_URL}/compute/ops/stats/orders/v2").respond(json=stats)
    assert await ahook.get_order_stats() == stats


async def test_list_orders_pages_and_filters(ahook, api) -> None:
    api.get(ORDERS, params={"page_marker": "2"}).respond(json={"orders": [order("b")]})
    first = api.get(ORDERS).respond(
        json={"_links": {"next": f"{ORDERS}?page_marker=2"}, "orders": [order("a")]}
    )
    ids = [o["id"] async for o in ahook.list_orders(state=["queued", "running"], name_contains="x")]
    assert ids == ["a", "b"]
    assert str(first.calls[0].request.url.query, "ascii") == "state=queued&state=running&name__contains=x"


async def test_list_orders_limit_and_repeated_next(ahook, api) -> None:
    api.get(ORDERS).respond(json={"_links": {"next": f"{ORDERS}?page_marker=1"}, "orders": [order("a")]})
    assert [o["id"] async for o in ahook.list_orders(limit=1)] == ["a"]
    with pytest.raises(PlanetPagingError):
        [o async for o in ahook.list_orders()]


async def test_invalid_order_id_sends_nothing(ahook, api) -> None:
    with pytest.raises(PlanetInvalidInputError, match="order_id"):
        await ahook.get_order("not-a-uuid")
    assert len(api.calls) == 0


@pytest.mark.parametrize(("status", "error"), [(401, PlanetAuthError), (404, PlanetNotFoundError)])
async def test_errors_map_like_the_sync_hook(ahook, api, status, error) -> None:
    api.get(f"{ORDERS}/{OID}").respond(status, json={"message": "nope"})
    with pytest.raises(error, match=f"get_order GET /compute/ops/orders/v2/{OID} failed with {status}"):
        await ahook.get_order(OID)


async def test_retries_honour_retry_after_without_blocking(ahook, api, async_sleeps) -> None:
    api.get(f"{ORDERS}/{OID}").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "4"}),
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=order()),
        ]
    )
    assert (await ahook.get_order(OID))["id"] == OID
    assert len(async_sleeps.calls) == 3
    assert async_sleeps.calls[0] >= 4


async def test_retries_give_up(ahook, api) -> None:
    api.get(f"{ORDERS}/{OID}").respond(502)
    with pytest.raises(PlanetServerError):
        await ahook.get_order(OID)
    assert len(api.calls) == 6


async def test_read_timeout_is_a_sent_connection_error(ahook, api) -> None:
    api.get(f"{ORDERS}/{OID}").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(PlanetConnectionError) as info:
        await ahook.get_order(OID)
    assert info.value.request_sent is True


async def test_hooks_on_one_loop_share_one_client(planet_connection) -> None:
    hooks = [PlanetOrdersAsyncHook() for _ in range(3)]
    clients = [await h.get_async_conn() for h in hooks]
    assert clients[0] is clients[1] is clients[2]
    await hooks[0].aclose()
    assert not clients[0].is_closed  # still used by the others
    await hooks[1].aclose()
    await hooks[2].aclose()
    assert clients[0].is_closed


async def test_rate_limiter_paces_with_asyncio_sleep(monkeypatch, api, async_sleeps) -> None:
    set_planet_connection(monkeypatch)  # rate limits on
    clock = [0.0]
    limiter = RateLimiter(lambda: clock[0])
    api.get(f"{ORDERS}/{OID}").respond(json=order())
    hook = PlanetOrdersAsyncHook()
    hook.sleep = async_sleeps
    hook.limiter = limiter
    await asyncio.gather(*(hook.get_order(OID) for _ in range(4)))
    await hook.aclose()
    assert sorted(async_sleeps.calls) == pytest.approx([1 / 3, 2 / 3, 1.0])


async def test_connection_lookup_uses_the_async_path(planet_connection, mocker, api) -> None:
    import airflow_provider_planet_orders.hooks.base as module

    spy = mocker.spy(module, "get_async_connection")
    api.get(f"{ORDERS}/{OID}").respond(json=order())
    hook = PlanetOrdersAsyncHook()
    await hook.get_order(OID)
    await hook.get_order(OID)
    await hook.aclose()
    assert spy.call_count == 1  # looked up once per hook, asynchronously
