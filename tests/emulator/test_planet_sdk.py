"""
The standard the emulator is held to: Planet's own Python SDK works against it unchanged, with
only the base URL changed. Rate limits stay on: the SDK must cope with them as with Planet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle

planet = pytest.importorskip("planet", reason="Planet's SDK is in the test extra")


@pytest.fixture(scope="module")
def sdk_emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(queued_seconds=1.0, running_seconds=0.3, file_size=200_000) as handle:
        yield handle


def test_the_sdk_creates_lists_cancels_waits_for_and_downloads(
    sdk_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    from planet import Auth, Session
    from planet.clients.orders import OrdersClient

    # What planet.order_request.build_request makes (it checks bundles against Planet's live
    # spec, which no machine of this project can fetch).
    request = {
        "name": "sdk order",
        "products": [
            {
                "item_ids": ["20240101_000000_00_0001", "20240101_000000_00_0002"],
                "item_type": "PSScene",
                "product_bundle": "analytic_udm2",
            }
        ],
    }

    async def scenario() -> dict[str, object]:
        async with Session(auth=Auth.from_key(sdk_emulator.api_key)) as session:
            client = OrdersClient(session, base_url=f"{sdk_emulator.url}/compute/ops")
            order = await client.create_order(request)
            spare = await client.create_order(request)
            cancelled = await client.cancel_order(spare["id"])
            stats = await client.aggregated_order_stats()
            fetched = await client.get_order(order["id"])
            listed = [o["id"] async for o in client.list_orders()]
            only_cancelled = [o["id"] async for o in client.list_orders(state="cancelled")]
            # Polling at 2.5/s keeps under the get limit (3/s): the SDK's own pacing (10/s) does not.
            state = await client.wait(order["id"], delay=0.4, max_attempts=50)
            paths = await client.download_order(order["id"], tmp_path, progress_bar=False)
            client.validate_checksum(tmp_path / order["id"], "md5")
            client.validate_checksum(tmp_path / order["id"], "sha256")
            bulk = await client.cancel_orders()
            return {
                "order": order,
                "cancelled": cancelled,
                "listed": listed,
                "only_cancelled": only_cancelled,
                "stats": stats,
                "state": state,
                "paths": paths,
                "bulk": bulk,
                "spare": spare,
                "fetched": fetched,
            }

    result = asyncio.run(scenario())
    order, spare = result["order"], result["spare"]
    assert isinstance(order, dict)
    assert isinstance(spare, dict)
    assert order["state"] == "queued"
    assert result["fetched"]["id"] == order["id"]  # type: ignore[index]
    assert result["cancelled"]["state"] == "cancelled"  # type: ignore[index]
    assert set(result["listed"]) == {order["id"], spare["id"]}  # type: ignore[arg-type]
    assert result["only_cancelled"] == [spare["id"]]
    assert result["stats"]["user"] == {"queued_orders": 1, "running_orders": 0}  # type: ignore[index]
    assert result["state"] == "success"
    names = sorted(str(p.relative_to(tmp_path)) for p in result["paths"])  # type: ignore[attr-defined]
    assert names == sorted(
        [
            f"{order['id']}/PSScene/20240101_000000_00_0001_analytic_udm2.tif",
            f"{order['id']}/PSScene/20240101_000000_00_0002_analytic_udm2.tif",
            f"{order['id']}/manifest.json",
        ]
    )
    assert (tmp_path / names[0]).stat().st_size == 200_000
    assert result["bulk"]["result"]["succeeded"]["count"] == 0  # type: ignore[index]
    requests = sdk_emulator.stats()["requests"]
    assert requests["download"] == {"200": 3}
    assert requests["create"] == {"202": 2}
    assert all("429" not in counts for counts in requests.values()), requests


def test_the_sdk_sees_planets_errors(sdk_emulator: EmulatorHandle) -> None:
    from planet import Auth, Session
    from planet.clients.orders import OrdersClient
    from planet.exceptions import BadQuery, Conflict, InvalidAPIKey, MissingResource

    async def scenario() -> None:
        async with Session(auth=Auth.from_key(sdk_emulator.api_key)) as session:
            client = OrdersClient(session, base_url=f"{sdk_emulator.url}/compute/ops")
            with pytest.raises(BadQuery, match="Unable to accept order"):
                await client.create_order({"name": "no products", "products": []})
            with pytest.raises(MissingResource):
                await client.get_order("00000000-0000-0000-0000-000000000000")
            order = await client.create_order(
                {
                    "name": "x",
                    "products": [{"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "visual"}],
                }
            )
            sdk_emulator.force_state(order["id"], "running", hold=True)
            with pytest.raises(Conflict):
                await client.cancel_order(order["id"])
        async with Session(auth=Auth.from_key("PLAK-not-a-key")) as session:
            client = OrdersClient(session, base_url=f"{sdk_emulator.url}/compute/ops")
            with pytest.raises(InvalidAPIKey):
                await client.aggregated_order_stats()

    asyncio.run(scenario())
