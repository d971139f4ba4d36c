"""
Rules the emulator enforces because Planet does: item type x bundle from Planet's spec, harmonize's
sensors, archive types, Destinations delivery as a cloud target, and the organisation's queue.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.core.api import BUNDLES_SPEC_PATH, MAX_QUEUED_ORDERS_PER_ORGANIZATION
from airflow_provider_planet_orders.core.bundles import BundleSpec
from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from tests.emulator.conftest import ORDERS, finish, scene_order


def product(item_type: str, bundle: str) -> dict[str, Any]:
    return {
        "name": "rules",
        "products": [{"item_ids": ["i1"], "item_type": item_type, "product_bundle": bundle}],
    }


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["general"][0] == {"message": "Unable to accept order"}
    return body


def test_an_item_type_its_bundle_does_not_take_gets_planets_400(client: httpx.Client) -> None:
    body = refusal(client.post(ORDERS, json=product("PSScene", "analytic")))
    assert body == {
        "field": {"Products": [{"message": "Bad item type 'PSScene' for bundle type 'analytic'"}]},
        "general": [{"message": "Unable to accept order"}],
    }


@pytest.mark.parametrize(
    ("item_type", "bundle"),
    [
        ("PSScene", "analytic_udm2"),
        ("PSScene", "analytic_8b_sr_udm2,analytic_sr_udm2,visual"),
        ("TanagerMethane", "methane"),
        ("TanagerScene", "radiance_hdf5"),
        ("SkySatCollect", "panchromatic_udm2"),
        ("PSOrthoTile", "analytic"),
    ],
)
def test_every_combination_of_the_spec_is_accepted(client: httpx.Client, item_type: str, bundle: str) -> None:
    assert client.post(ORDERS, json=product(item_type, bundle)).status_code == 202


def test_each_fallback_bundle_is_checked(client: httpx.Client) -> None:
    body = refusal(client.post(ORDERS, json=product("PSScene", "analytic_udm2,analytic,analytic_5b")))
    assert body["field"]["Products"] == [
        {"message": "Bad item type 'PSScene' for bundle type 'analytic'"},
        {"message": "Bad item type 'PSScene' for bundle type 'analytic_5b'"},
    ]


def test_names_the_spec_does_not_know_are_refused(client: httpx.Client) -> None:
    assert refusal(client.post(ORDERS, json=product("PSScene", "analytic_udm3")))["field"]["Products"] == [
        {"message": "Unknown bundle type 'analytic_udm3'"}
    ]
    assert refusal(client.post(ORDERS, json=product("PSScene9", "visual")))["field"]["Products"] == [
        {"message": "Unknown item type 'PSScene9'"}
    ]
    # Names are matched as sent: Planet's SDK corrects case before sending, the API is not known to.
    refusal(client.post(ORDERS, json=product("PSScene", "Analytic_UDM2")))


def test_every_combination_the_vendored_spec_lists_is_accepted(emulator: EmulatorHandle) -> None:
    spec = BundleSpec.vendored()
    products = [
        {"item_ids": [f"{item_type}-{bundle}"], "item_type": item_type, "product_bundle": bundle}
        for bundle in spec.bundles()
        for item_type in spec.document["bundles"][bundle]["assets"]
    ]
    assert len(products) == 82
    with httpx.Client(base_url=emulator.url, auth=(emulator.api_key, "")) as client:
        for start in range(0, len(products), 50):
            response = client.post(ORDERS, json={"name": "all", "products": products[start : start + 50]})
            assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("sensor", "ok"),
    [("Sentinel-2", True), ("PS2", False), ("sentinel-2", False), (None, False)],
)
def test_harmonize_takes_only_sentinel_2(client: httpx.Client, sensor: str | None, ok: bool) -> None:
    options = {} if sensor is None else {"target_sensor": sensor}
    response = client.post(ORDERS, json=scene_order(tools=[{"harmonize": options}]))
    if ok:
        assert response.status_code == 202, response.text
    else:
        field = refusal(response)["field"]
        assert "Sentinel-2" in field["tools[0].harmonize.target_sensor"][0]["message"]


def test_archive_type_is_zip_or_nothing(client: httpx.Client) -> None:
    assert client.post(ORDERS, json=scene_order(delivery={"archive_type": "zip"})).status_code == 202
    field = refusal(client.post(ORDERS, json=scene_order(delivery={"archive_type": "tar"})))["field"]
    assert "delivery.archive_type" in field


def test_destination_delivery_is_a_cloud_target(client: httpx.Client, emulator: EmulatorHandle) -> None:
    destination = {"destination": {"ref": "pl:destinations/my-bucket-1a2b"}}
    field = refusal(
        client.post(ORDERS, json=scene_order(delivery={**destination, "amazon_s3": {"bucket": "b"}}))
    )["field"]
    assert "amazon_s3, destination" in field["delivery"][0]["message"]
    refusal(client.post(ORDERS, json=scene_order(delivery={"destination": {"path_prefix": "x"}})))

    order = client.post(ORDERS, json=scene_order(delivery=destination)).json()
    finish(emulator)
    results = client.get(f"{ORDERS}/{order['id']}").json()["_links"]["results"]
    assert results
    assert all("location" not in r and "expires_at" not in r for r in results), results
    listed = client.get(ORDERS, params={"destination_ref": "pl:destinations/my-bucket-1a2b"}).json()
    assert [o["id"] for o in listed["orders"]] == [order["id"]]


def test_the_organisations_queue_limit_is_planets_by_default() -> None:
    from airflow_provider_planet_orders.emulator import EmulatorConfig

    assert EmulatorConfig().max_queued_orders == MAX_QUEUED_ORDERS_PER_ORGANIZATION == 10_000


def test_a_full_queue_refuses_creates_of_every_key_until_an_order_starts() -> None:
    keys = ("PLAK-one", "PLAK-two")
    with run_emulator(api_keys=keys, max_queued_orders=3, rate_limits=False, queued_seconds=10) as emulator:
        one = httpx.Client(base_url=emulator.url, auth=(keys[0], ""))
        two = httpx.Client(base_url=emulator.url, auth=(keys[1], ""))
        ids = [one.post(ORDERS, json=scene_order()).json()["id"] for _ in range(2)]
        ids.append(two.post(ORDERS, json=scene_order()).json()["id"])

        body = refusal(one.post(ORDERS, json=scene_order()))
        assert "limit of 3 queued orders" in body["general"][1]["message"]
        refusal(two.post(ORDERS, json=scene_order()))
        assert emulator.stats()["orders_created"]["total"] == 3

        assert one.put(f"{ORDERS}/{ids[0]}").json()["state"] == "cancelled"
        assert two.post(ORDERS, json=scene_order()).status_code == 202
        refusal(two.post(ORDERS, json=scene_order()))
        emulator.advance(11)  # queued orders start running: room again
        assert one.post(ORDERS, json=scene_order()).status_code == 202
        one.close()
        two.close()


def test_the_bundle_spec_is_served_without_a_key(emulator: EmulatorHandle) -> None:
    response = httpx.get(emulator.url + BUNDLES_SPEC_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == BundleSpec.vendored().document
    assert emulator.stats()["requests"]["bundles_spec"] == {"200": 1}
