"""PlanetOrdersHook against mocked HTTP: every endpoint, every filter's encoding, paging."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from responses import matchers

from airflow_provider_planet_orders import __version__
from airflow_provider_planet_orders.exceptions import PlanetInvalidInputError, PlanetPagingError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.conftest import API_KEY, BASE_URL

ORDERS = f"{BASE_URL}/compute/ops/orders/v2"
OID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"


def order(order_id: str = OID, state: str = "queued", **extra: object) -> dict[str, object]:
    return {"id": order_id, "name": "o", "state": state, "_links": {"_self": f"{ORDERS}/{order_id}"}, **extra}


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


def query(call: responses.Call) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True)


def test_create_order_posts_json_with_app_header_and_basic_auth(hook: PlanetOrdersHook, api) -> None:
    body = {
        "name": "my order",
        "products": [{"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "x"}],
    }
    api.post(ORDERS, json=order(), status=202, match=[matchers.json_params_matcher(body)])

    result = hook.create_order(body)

    assert result["id"] == OID
    sent = api.calls[0].request
    assert sent.headers["X-Planet-App"] == f"airflow-provider-planet-orders/{__version__}"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert sent.headers["User-Agent"].startswith("airflow-provider-planet-orders/")


def test_create_order_rejects_a_non_dict_before_sending(hook: PlanetOrdersHook, api) -> None:
    with pytest.raises(PlanetInvalidInputError, match="order_request"):
        hook.create_order(["not", "a", "dict"])  # type: ignore[arg-type]
    assert len(api.calls) == 0


def test_get_order(hook: PlanetOrdersHook, api) -> None:
    api.get(f"{ORDERS}/{OID}", json=order(state="running"))
    assert hook.get_order(OID)["state"] == "running"


def test_get_order_accepts_uuid_objects_and_normalises_case(hook: PlanetOrdersHook, api) -> None:
    api.get(f"{ORDERS}/{OID}", json=order())
    hook.get_order(uuid.UUID(OID))  # type: ignore[arg-type]
    api.get(f"{ORDERS}/{OID}", json=order())
    hook.get_order(OID.upper())
    assert [c.request.url for c in api.calls] == [f"{ORDERS}/{OID}"] * 2


@pytest.mark.parametrize("bad", ["", "123", "../stats/orders/v2", f"{OID}/x", 42, None])
@pytest.mark.parametrize("method", ["get_order", "cancel_order"])
def test_non_uuid_order_id_is_rejected_before_any_request(
    hook: PlanetOrdersHook, api, method: str, bad: object
) -> None:
    with pytest.raises(PlanetInvalidInputError, match="order_id"):
        getattr(hook, method)(bad)
    assert len(api.calls) == 0


def test_cancel_order_uses_put(hook: PlanetOrdersHook, api) -> None:
    api.put(f"{ORDERS}/{OID}", json=order(state="cancelled"))
    assert hook.cancel_order(OID)["state"] == "cancelled"
    assert api.calls[0].request.body in (None, b"", "")


BULK = f"{BASE_URL}/compute/ops/bulk/orders/v2/cancel"
BULK_RESULT = {"result": {"succeeded": {"count": 1}, "failed": {"count": 0, "failures": []}}}


def test_cancel_orders_with_ids(hook: PlanetOrdersHook, api) -> None:
    ids = [OID, str(uuid.uuid4())]
    api.post(BULK, json=BULK_RESULT, match=[matchers.json_params_matcher({"order_ids": ids})])
    assert hook.cancel_orders(ids) == BULK_RESULT


def test_cancel_orders_without_ids_sends_an_empty_object(hook: PlanetOrdersHook, api) -> None:
    api.post(BULK, json=BULK_RESULT, match=[matchers.json_params_matcher({})])
    hook.cancel_orders()
    assert json.loads(api.calls[0].request.body) == {}


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "1 to 10,000"),
        ([str(uuid.uuid4()) for _ in range(10_001)], "got 10,001"),
        ([OID, "nope"], r"order_ids\[1\]"),
        (OID, "list of order ids"),
    ],
)
def test_cancel_orders_checks_ids_before_sending(hook: PlanetOrdersHook, api, ids, message) -> None:
    with pytest.raises(PlanetInvalidInputError, match=message):
        hook.cancel_orders(ids)
    assert len(api.calls) == 0


def test_get_order_stats(hook: PlanetOrdersHook, api) -> None:
    stats = {"user": {"queued_orders": 1, "running_orders": 2}, "organization": {"queued_orders": 3}}
    api.get(f"{BASE_URL}/compute/ops/stats/orders/v2", json=stats)
    assert hook.get_order_stats() == stats


# -- listing ----------------------------------------------------------------------------------


def test_list_orders_encodes_every_filter(hook: PlanetOrdersHook, api) -> None:
    api.get(ORDERS, json={"_links": {"_self": ORDERS}, "orders": [order()]})
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    result = list(
        hook.list_orders(
            state=["queued", "running"],
            source_type="basemaps",
            name="exact name",
            name_contains="part",
            created_on=(start, None),
            last_modified=(None, start + timedelta(days=1)),
            hosting=True,
            sort_by=["created_on desc", "name"],
            page_size=50,
        )
    )
    assert len(result) == 1
    assert query(api.calls[0]) == [
        ("state", "queued"),
        ("state", "running"),
        ("source_type", "basemaps"),
        ("name", "exact name"),
        ("name__contains", "part"),
        ("created_on", "2026-01-02T03:04:05Z/.."),
        ("last_modified", "../2026-01-03T03:04:05Z"),
        ("hosting", "true"),
        ("sort_by", "created_on DESC,name"),
        ("page_size", "50"),
    ]


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc), "2026-05-01T12:00:00Z"),
        (datetime(2026, 5, 1, 12, 0), "2026-05-01T12:00:00Z"),  # naive is UTC
        (datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2026-05-01T12:00:00Z"),
        (datetime(2026, 5, 1, 12, 0, 0, 250000, tzinfo=timezone.utc), "2026-05-01T12:00:00.250000Z"),
        (
            (datetime(2026, 5, 1, tzinfo=timezone.utc), datetime(2026, 5, 2, tzinfo=timezone.utc)),
            "2026-05-01T00:00:00Z/2026-05-02T00:00:00Z",
        ),
        (("2026-05-01T00:00:00Z", None), "2026-05-01T00:00:00Z/.."),
        ("2026-05-01T00:00:00Z/..", "2026-05-01T00:00:00Z/.."),
    ],
)
def test_time_filters_accept_datetimes_intervals_and_strings(hook, api, value, encoded) -> None:
    api.get(ORDERS, json={"orders": []})
    list(hook.list_orders(created_on=value))
    assert query(api.calls[0]) == [("created_on", encoded)]


def test_hosting_false_is_sent(hook, api) -> None:
    api.get(ORDERS, json={"orders": []})
    list(hook.list_orders(hosting=False, state="success"))
    assert query(api.calls[0]) == [("state", "success"), ("hosting", "false")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"state": "done"}, "state"),
        ({"state": []}, "state"),
        ({"source_type": ["scenes", "videos"]}, "source_type"),
        ({"created_on": (None, None)}, "created_on"),
        ({"created_on": (datetime(2026, 2, 1), datetime(2026, 1, 1))}, "created_on"),
        ({"last_modified": 12}, "last_modified"),
        ({"last_modified": (1, 2, 3)}, "last_modified"),
        ({"sort_by": "size DESC"}, "sort_by"),
        ({"sort_by": "name UP"}, "sort_by"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "10"}, "page_size"),
        ({"hosting": "yes"}, "hosting"),
        ({"name": ""}, "name"),
        ({"limit": -1}, "limit"),
    ],
)
def test_bad_filters_are_rejected_when_called_naming_the_field(hook, api, kwargs, field) -> None:
    with pytest.raises(PlanetInvalidInputError) as info:
        hook.list_orders(**kwargs)
    assert info.value.field == field
    assert len(api.calls) == 0


def _pages(api, count: int, per_page: int = 2) -> list[str]:
    """Register `count` pages chained by absolute next links; return all order ids in order."""
    ids = []
    for page in range(count):
        orders = [order(str(uuid.uuid4())) for _ in range(per_page)]
        ids += [o["id"] for o in orders]
        links = {"_self": f"{ORDERS}?page_marker=m{page}"}
        if page + 1 < count:
            links["next"] = f"{ORDERS}?page_marker=m{page + 1}&page_size={per_page}"
        marker = [matchers.query_param_matcher({"page_marker": f"m{page}", "page_size": str(per_page)})]
        api.get(ORDERS, json={"_links": links, "orders": orders}, match=marker if page else [])
    return ids


def test_list_orders_follows_next_links_lazily(hook, api) -> None:
    ids = _pages(api, 3)
    iterator = hook.list_orders(page_size=2)
    assert len(api.calls) == 0  # nothing fetched until iterated
    first = next(iterator)
    assert first["id"] == ids[0]
    assert len(api.calls) == 1
    rest = [o["id"] for o in iterator]
    assert [first["id"], *rest] == ids
    assert len(api.calls) == 3


def test_list_orders_limit_stops_without_fetching_more_pages(hook, api) -> None:
    ids = _pages(api, 3)
    api.assert_all_requests_are_fired = False
    assert [o["id"] for o in hook.list_orders(limit=3)] == ids[:3]
    assert len(api.calls) == 2
    assert list(hook.list_orders(limit=0)) == []
    assert len(api.calls) == 2


def test_repeated_next_link_stops_with_an_error(hook, api) -> None:
    loop = f"{ORDERS}?page_marker=same"
    api.get(ORDERS, json={"_links": {"next": loop}, "orders": [order()]})
    api.get(ORDERS, json={"_links": {"next": loop}, "orders": [order()]})
    seen = []
    with pytest.raises(PlanetPagingError, match="same next page link twice"):
        seen.extend(hook.list_orders())
    assert len(seen) == 1  # the orders of the first page were delivered before the loop was seen
    assert len(api.calls) == 2


# -- downloads ----------------------------------------------------------------------------------


def test_open_result_streams_with_range_and_keeps_the_key_at_home(hook, api) -> None:
    on_api = f"{BASE_URL}/compute/ops/download/?token=t1"
    elsewhere = "https://cdn.example.com/file.tif?sig=abc"
    api.get(on_api, body=b"456789", status=206, match=[matchers.header_matcher({"Range": "bytes=4-"})])
    api.get(elsewhere, body=b"abc")
    with hook.open_result(on_api, offset=4, chunk_size=3) as stream:
        assert (stream.status, stream.start) == (206, 4)
        assert list(stream.chunks) == [b"456", b"789"]
    assert "Authorization" in api.calls[0].request.headers
    with hook.open_result(elsewhere, offset=0) as stream:
        assert (stream.status, stream.start) == (200, 0)
        assert stream.read() == b"abc"
    assert "Authorization" not in api.calls[1].request.headers
    assert "Range" not in api.calls[1].request.headers


def test_open_result_reports_a_range_the_server_ignored(hook, api) -> None:
    link = f"{BASE_URL}/compute/ops/download/?token=t1"
    api.get(link, body=b"0123456789", status=200)
    with hook.open_result(link, offset=4) as stream:
        # The server sent the whole file: the caller must start again from byte 0.
        assert (stream.status, stream.start) == (200, 0)
        assert stream.read() == b"0123456789"


def test_open_result_maps_error_statuses(hook, api) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetAuthError, PlanetRateLimitError

    link = f"{BASE_URL}/compute/ops/download/?token=t1"
    api.get(link, status=401, json={"message": "token expired"})
    api.get(link, status=429, headers={"Retry-After": "3"})
    with pytest.raises(PlanetAuthError, match="token expired"):
        hook.open_result(link)
    with pytest.raises(PlanetRateLimitError) as info:
        hook.open_result(link)
    assert info.value.retry_after == 3
    assert "token" not in str(info.value).replace("token expired", "")
