"""Create: the 202 answer's shape, and validation errors in Planet's ``field`` / ``general`` body."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.exceptions import PlanetBadRequestError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, scene_order


def test_a_valid_order_is_accepted_queued_and_echoed(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    request = scene_order(
        "echo",
        items=("a", "b"),
        tools=[
            {"clip": {"aoi": {"type": "Point", "coordinates": [0, 0]}}},
            {"harmonize": {"target_sensor": "Sentinel-2"}},
        ],
        delivery={"single_archive": True, "archive_type": "zip"},
        notifications={"email": True},
        metadata={"stac": {}},
        order_type="partial",
    )
    order = hook.create_order(request)

    assert str(uuid.UUID(order["id"])) == order["id"]
    assert order["state"] == "queued"
    assert order["name"] == "echo"
    assert order["created_on"] == order["last_modified"]
    assert datetime.fromisoformat(order["created_on"].replace("Z", "+00:00")).tzinfo is not None
    assert order["_links"] == {"_self": f"{emulator.url}{ORDERS}/{order['id']}"}
    for key in ("products", "tools", "delivery", "notifications", "metadata", "order_type"):
        assert order[key] == request[key]
    assert order["source_type"] == "scenes"
    assert order["subscription_id"] == 0
    assert order["error_hints"] == []
    assert emulator.stats()["requests"]["create"] == {"202": 1}


def test_create_answers_202(client: httpx.Client) -> None:
    response = client.post(ORDERS, json=scene_order(), headers={"X-Planet-App": "tests"})
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"


def test_basemaps_orders_are_accepted(client: httpx.Client) -> None:
    body = {
        "name": "mosaic",
        "source_type": "basemaps",
        "products": [
            {
                "mosaic_name": "global_monthly_2024_01_mosaic",
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            }
        ],
        "tools": [{"clip": {}}],
    }
    response = client.post(ORDERS, json=body)
    assert response.status_code == 202, response.text
    assert response.json()["source_type"] == "basemaps"


def _scene(**product: Any) -> dict[str, Any]:
    base = {"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}
    return {"name": "bad", "products": [{**base, **product}]}


INVALID = [
    pytest.param({"products": _scene()["products"]}, "name", id="name-missing"),
    pytest.param({**_scene(), "name": ""}, "name", id="name-empty"),
    pytest.param({"name": "bad"}, "products", id="products-missing"),
    pytest.param({"name": "bad", "products": []}, "products", id="products-empty"),
    pytest.param(_scene(item_ids=[]), "products[0].item_ids", id="item-ids-empty"),
    pytest.param(_scene(item_type=""), "products[0].item_type", id="item-type-empty"),
    pytest.param(_scene(product_bundle=None), "products[0].product_bundle", id="bundle-missing"),
    pytest.param(_scene(item_ids=[f"i{n}" for n in range(501)]), "products", id="501-items"),
    pytest.param({**_scene(), "order_type": "sometimes"}, "order_type", id="unknown-order-type"),
    pytest.param({**_scene(), "source_type": "videos"}, "source_type", id="unknown-source-type"),
    pytest.param(
        {**_scene(), "delivery": {"amazon_s3": {"bucket": "b"}}, "hosting": {"sentinel_hub": {}}},
        "hosting",
        id="delivery-and-hosting",
    ),
    pytest.param(
        {**_scene(), "delivery": {"amazon_s3": {"bucket": "b"}, "google_cloud_storage": {"bucket": "c"}}},
        "delivery",
        id="two-cloud-targets",
    ),
    pytest.param({**_scene(), "tools": [{"sharpen": {}}]}, "tools[0]", id="unknown-tool"),
    pytest.param({**_scene(), "tools": [{"clip": {}, "toar": {}}]}, "tools[0]", id="two-tools-in-one"),
    pytest.param(
        {**_scene(), "tools": [{"clip": "everything"}]}, "tools[0].clip", id="tool-options-not-object"
    ),
    pytest.param(
        {
            "name": "bad",
            "source_type": "basemaps",
            "products": [{"mosaic_name": "m"}],
            "tools": [{"harmonize": {}}],
        },
        "tools[0]",
        id="scene-tool-on-basemaps",
    ),
    pytest.param(
        {"name": "bad", "source_type": "basemaps", "products": [{"geometry": {}}]},
        "products[0].mosaic_name",
        id="basemap-without-mosaic",
    ),
    pytest.param(
        {**_scene(), "notifications": {"webhook": {"url": "not a url"}}},
        "notifications.webhook.url",
        id="webhook-url",
    ),
    pytest.param(["not", "an", "object"], "request", id="not-an-object"),
]


@pytest.mark.parametrize(("body", "field"), INVALID)
def test_invalid_requests_get_400_in_planets_shape(
    client: httpx.Client, emulator: EmulatorHandle, body: Any, field: str
) -> None:
    response = client.post(ORDERS, json=body)

    assert response.status_code == 400, response.text
    error = response.json()
    assert set(error) == {"field", "general"}
    assert error["general"] == [{"message": "Unable to accept order"}]
    assert field in error["field"], error
    assert all(isinstance(entry["message"], str) and entry["message"] for entry in error["field"][field])
    assert emulator.stats()["orders_created"]["total"] == 0


def test_a_body_that_is_not_json_gets_400(client: httpx.Client) -> None:
    response = client.post(ORDERS, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["general"][0]["message"]


def test_every_problem_is_reported_at_once(client: httpx.Client) -> None:
    body = {"name": "bad", "products": [{"item_ids": [], "item_type": "PSScene", "product_bundle": "x"}]}
    body["tools"] = [{"sharpen": {}}]
    body["delivery"] = {"amazon_s3": {}}
    body["hosting"] = {"sentinel_hub": {}}
    fields = client.post(ORDERS, json=body).json()["field"]
    assert {"products[0].item_ids", "tools[0]", "hosting"} <= set(fields)


def test_the_hook_surfaces_planets_field_messages(hook: PlanetOrdersHook) -> None:
    with pytest.raises(PlanetBadRequestError) as caught:
        hook.create_order({"name": "bad", "products": [], "order_type": "full"})
    assert "products" in caught.value.field_errors
    assert caught.value.general_errors == ["Unable to accept order"]
    assert caught.value.status == 400
