"""Cancel only while queued, bulk cancel with Planet's per-id report, and queued/running counts."""

from __future__ import annotations

import uuid

import httpx
import pytest

from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.exceptions import PlanetConflictError, PlanetNotFoundError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, QUEUED, RUNNING, scene_order

BULK = "/compute/ops/bulk/orders/v2/cancel"


def test_a_queued_order_can_be_cancelled(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order())
    cancelled = hook.cancel_order(order["id"])
    assert cancelled["state"] == "cancelled"
    assert cancelled["last_message"] == "Order cancelled"
    assert cancelled["last_modified"] > order["last_modified"]
    emulator.advance(QUEUED + RUNNING)
    assert hook.get_order(order["id"])["state"] == "cancelled"  # and stays so


@pytest.mark.parametrize(("advance", "state"), [(QUEUED, "running"), (QUEUED + RUNNING, "success")])
def test_a_running_or_finished_order_cannot_be_cancelled(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, advance: float, state: str
) -> None:
    order = hook.create_order(scene_order())
    emulator.advance(advance)
    with pytest.raises(PlanetConflictError, match=f"409.*not in a cancellable state: {state}"):
        hook.cancel_order(order["id"])
    assert hook.get_order(order["id"])["state"] == state


def test_cancelling_twice_gives_409(hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order())
    hook.cancel_order(order["id"])
    with pytest.raises(PlanetConflictError):
        hook.cancel_order(order["id"])


def test_cancelling_an_unknown_order_gives_404(hook: PlanetOrdersHook) -> None:
    with pytest.raises(PlanetNotFoundError, match="Could not load order ID"):
        hook.cancel_order(str(uuid.uuid4()))


def test_bulk_cancel_by_ids_reports_each_failure(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    running = hook.create_order(scene_order("running"))
    emulator.advance(QUEUED)
    queued = [hook.create_order(scene_order(f"q{n}")) for n in range(2)]
    unknown = str(uuid.uuid4())

    result = hook.cancel_orders([queued[0]["id"], running["id"], queued[1]["id"], unknown])["result"]

    assert result["succeeded"] == {"count": 2}
    assert result["failed"]["count"] == 2
    assert result["failed"]["failures"] == [
        {"order_id": running["id"], "message": "Order not in a cancellable state"},
        {"order_id": unknown, "message": "Order not found"},
    ]
    assert {hook.get_order(o["id"])["state"] for o in queued} == {"cancelled"}


def test_bulk_cancel_without_ids_cancels_every_queued_order_of_the_key(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, client: httpx.Client
) -> None:
    running = hook.create_order(scene_order("running"))
    emulator.advance(QUEUED)
    for n in range(3):
        hook.create_order(scene_order(f"q{n}"))

    result = hook.cancel_orders()["result"]
    assert result == {"succeeded": {"count": 3}, "failed": {"count": 0, "failures": []}}
    assert hook.get_order(running["id"])["state"] == "running"
    # An empty body means the same as {}.
    assert client.post(BULK).json()["result"]["succeeded"]["count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order_ids": []}, "order_ids"),
        ({"order_ids": "not-a-list"}, "order_ids"),
        ({"order_ids": ["not-a-uuid"]}, "order_ids[0]"),
        (["a", "list"], "request"),
    ],
)
def test_bulk_cancel_rejects_bad_bodies(client: httpx.Client, body: object, field: str) -> None:
    response = client.post(BULK, json=body)
    assert response.status_code == 400
    assert field in response.json()["field"]


def test_stats_count_queued_and_running_orders(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    assert hook.get_order_stats() == {
        "user": {"queued_orders": 0, "running_orders": 0},
        "organization": {"queued_orders": 0, "running_orders": 0},
    }
    hook.create_order(scene_order("a"))
    emulator.advance(QUEUED)
    hook.create_order(scene_order("b"))
    hook.create_order(scene_order("c"))
    stats = hook.get_order_stats()
    assert stats["user"] == {"queued_orders": 2, "running_orders": 1}
    assert stats["organization"] == stats["user"]
    emulator.advance(QUEUED + RUNNING)
    assert hook.get_order_stats()["user"] == {"queued_orders": 0, "running_orders": 0}


def test_get_with_a_non_uuid_id_gets_400(client: httpx.Client) -> None:
    response = client.get(f"{ORDERS}/not-a-uuid")
    assert response.status_code == 400
    assert "order_id" in response.json()["field"]
