"""
Bad input through the operators: malformed requests, bad order ids, bad filters and bad connection
settings each fail at once (no retry) with an error naming the field, and without any API call.
"""

from __future__ import annotations

import copy
import uuid

import pytest
import responses

from airflow_provider_planet_orders._compat import AirflowFailException
from airflow_provider_planet_orders.operators.download import PlanetDownloadOrderOperator
from airflow_provider_planet_orders.operators.orders import (
    PlanetBulkCancelOrdersOperator,
    PlanetCancelOrderOperator,
    PlanetCreateOrderOperator,
    PlanetListOrdersOperator,
    PlanetOrderStatsOperator,
)
from airflow_provider_planet_orders.sensors.orders import PlanetOrderSensor
from tests.conftest import set_planet_connection
from tests.unit.fakes import make_context

VALID = {
    "name": "ok",
    "products": [
        {"item_ids": ["20260101_000000_00_0000"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}
    ],
}
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def changed(path: str, value: object) -> dict:
    """VALID with one field (a dotted path, list indexes as numbers) replaced; None removes it."""
    request = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: object = request
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    key = int(last) if isinstance(node, list) else last
    if value is None:
        del node[key]  # type: ignore[index,union-attr]
    else:
        node[key] = value  # type: ignore[index]
    return request


MALFORMED_REQUESTS = [
    (changed("name", None), "name"),
    (changed("products", []), "products"),
    (changed("products.0.item_ids", []), "products[0].item_ids"),
    (changed("products.0.item_ids", [f"id{i}" for i in range(501)]), "products"),
    (changed("products.0.item_type", 7), "products[0].item_type"),
    ({**VALID, "order_type": "some"}, "order_type"),
    ({**VALID, "source_type": "videos"}, "source_type"),
    ({**VALID, "tools": [{"sharpen": {}}]}, "tools[0]"),
    ({**VALID, "tools": [{"clip": {"aoi": {"type": "Point", "coordinates": [0, 0]}}}]}, "tools[0].clip.aoi"),
    (
        {
            **VALID,
            "delivery": {"amazon_s3": {"bucket": "b"}},
            "hosting": {"sentinel_hub": {"collection_id": "c"}},
        },
        "hosting",
    ),
    ({**VALID, "delivery": {"amazon_s3": {"bucket": "b"}, "planet_folders": {}}}, "delivery"),
    ("not a dict", "order_request"),
    (["a", "list"], "order_request"),
]


@pytest.fixture
def api(monkeypatch):
    set_planet_connection(monkeypatch, extra={"rate_limit": False})
    with responses.RequestsMock() as mock:  # any request would fail the test: none is registered
        yield mock


def run(op) -> AirflowFailException:
    op.hook.sleep = lambda s: None
    with pytest.raises(AirflowFailException) as info:
        op.execute(make_context())
    return info.value


@pytest.mark.parametrize(("request_", "field"), MALFORMED_REQUESTS)
def test_malformed_order_requests(api, request_, field) -> None:
    error = run(PlanetCreateOrderOperator(task_id="create", order_request=request_))
    assert field in str(error)
    assert len(api.calls) == 0


BAD_IDS = ["", "not-a-uuid", "497f6eca-6276-4993-bfeb-53cbbbba6f0", "../../stats/orders/v2", "1" * 36]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "make",
    [
        lambda bad: PlanetCancelOrderOperator(task_id="t", order_id=bad),
        lambda bad: PlanetOrderSensor(task_id="t", order_id=bad, deferrable=False),
        lambda bad: PlanetOrderSensor(task_id="t", order_id=bad, deferrable=True),
        lambda bad: PlanetDownloadOrderOperator(task_id="t", order_id=bad, destination="/tmp/x"),
        lambda bad: PlanetBulkCancelOrdersOperator(task_id="t", order_ids=[str(uuid.uuid4()), bad]),
    ],
    ids=["cancel", "sensor-poke", "sensor-deferrable", "download", "bulk-cancel"],
)
def test_bad_order_ids(api, make, bad) -> None:
    error = run(make(bad))
    assert "order_id" in str(error)
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"state": "done"}, "state"),
        ({"state": ["queued", "later"]}, "state"),
        ({"source_type": "video"}, "source_type"),
        ({"created_on": (None, None)}, "created_on"),
        ({"last_modified": 1234}, "last_modified"),
        ({"sort_by": "size DESC"}, "sort_by"),
        ({"sort_by": "name sideways"}, "sort_by"),
        ({"page_size": 0}, "page_size"),
        ({"limit": -5}, "limit"),
        ({"hosting": "maybe"}, "hosting"),
    ],
)
def test_bad_list_filters(api, filters, field) -> None:
    if "limit" in filters:  # the operator's own argument, not one of Planet's filters
        op = PlanetListOrdersOperator(task_id="list", **filters)
    else:
        op = PlanetListOrdersOperator(task_id="list", filters=filters)
    error = run(op)
    assert str(error).startswith(f"{field}: ")
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("connection", "field"),
    [
        ({"extra": {"read_timeout": "soon"}}, "'read_timeout'"),
        ({"extra": {"connect_timeout": -3}}, "'connect_timeout'"),
        ({"extra": {"max_retries": "lots"}}, "'max_retries'"),
        ({"extra": {"rate_limit": "sometimes"}}, "'rate_limit'"),
        ({"extra": {"rate_limits": {"download_fast": 1}}}, "'rate_limits'"),
        ({"host": "ftp://api.planet.com"}, "host"),
        ({"password": None}, "PL_API_KEY"),
    ],
)
def test_bad_connection_settings(monkeypatch, connection, field) -> None:
    monkeypatch.delenv("PL_API_KEY", raising=False)
    set_planet_connection(monkeypatch, **connection)
    with responses.RequestsMock() as api:
        error = run(PlanetOrderStatsOperator(task_id="stats"))
        assert len(api.calls) == 0
    assert field in str(error)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: PlanetDownloadOrderOperator(task_id="t", order_id="x", destination="/d", checksum="crc"),
            "checksum",
        ),
        (
            lambda: PlanetDownloadOrderOperator(task_id="t", order_id="x", destination="/d", concurrency=0),
            "concurrency",
        ),
        (
            lambda: PlanetCreateOrderOperator(task_id="t", order_request=VALID, poll_interval=0),
            "poll_interval",
        ),
        (
            lambda: PlanetCreateOrderOperator(task_id="t", order_request=VALID, resubmit_states=["success"]),
            "resubmit_states",
        ),
        (lambda: PlanetOrderSensor(task_id="t", order_id="x", success_states=["queued"]), "success_states"),
    ],
)
def test_bad_operator_arguments_fail_when_the_dag_is_parsed(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_a_geometry_that_is_not_a_polygon_is_named_with_its_path(api) -> None:
    request = {**VALID, "tools": [{"clip": {"aoi": SQUARE}}, {"reproject": {"projection": 4326}}]}
    error = run(PlanetCreateOrderOperator(task_id="create", order_request=request))
    assert "tools[1].reproject.projection" in str(error)
    assert len(api.calls) == 0
