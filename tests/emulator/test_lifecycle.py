"""The lifecycle, driven by the emulator's clock: queued, running, then success, partial or failed."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, QUEUED, RUNNING, scene_order


def test_queued_then_running_then_success_and_last_modified_moves(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    order = hook.create_order(scene_order(items=("a", "b")))
    seen = [hook.get_order(order["id"])]
    emulator.advance(QUEUED - 1)
    seen.append(hook.get_order(order["id"]))
    emulator.advance(1)
    seen.append(hook.get_order(order["id"]))
    emulator.advance(RUNNING)
    seen.append(hook.get_order(order["id"]))

    assert [o["state"] for o in seen] == ["queued", "queued", "running", "success"]
    assert [o["last_message"] for o in seen] == [
        "Preparing order",
        "Preparing order",
        "Processing order",
        "Manifest delivery completed",
    ]
    modified = [o["last_modified"] for o in seen]
    assert modified[0] == modified[1] == order["created_on"]
    assert modified[0] < modified[2] < modified[3]
    assert all(o["created_on"] == order["created_on"] for o in seen)
    assert "results" not in seen[1]["_links"]
    # Results are listed as soon as the order runs, pending (without a link) until delivered.
    assert all(r["delivery"] == "pending" and "location" not in r for r in seen[2]["_links"]["results"])
    assert len(seen[3]["_links"]["results"]) == len(seen[2]["_links"]["results"])
    assert all(r["delivery"] == "success" and r["location"] for r in seen[3]["_links"]["results"])


def test_a_partial_order_with_unavailable_items_ends_partial(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    order = hook.create_order(scene_order(items=("ok-1", "x-unavailable-2", "ok-3"), order_type="partial"))
    emulator.advance(QUEUED + RUNNING)
    done = hook.get_order(order["id"])

    assert done["state"] == "partial"
    names = [r["name"].rsplit("/", 1)[-1] for r in done["_links"]["results"]]
    assert names == ["ok-1_analytic_udm2.tif", "ok-3_analytic_udm2.tif", "manifest.json"]
    assert len(done["error_hints"]) == 1
    assert "x-unavailable-2" in done["error_hints"][0]


@pytest.mark.parametrize("order_type", ["full", "partial"])
def test_a_full_order_with_unavailable_items_fails_with_hints(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, order_type: str
) -> None:
    items = ("ok-1", "UNAVAILABLE-2") if order_type == "full" else ("unavailable-1",)  # partial: all gone
    order = hook.create_order(scene_order(items=items, order_type=order_type))
    emulator.advance(QUEUED + RUNNING)
    done = hook.get_order(order["id"])

    assert done["state"] == "failed"
    assert done["error_hints"]
    assert done["last_message"].startswith("Order failed")
    assert "results" not in done["_links"]


def test_unavailable_mosaics_follow_the_same_rule(emulator: EmulatorHandle, client: httpx.Client) -> None:
    body = {
        "name": "mosaics",
        "source_type": "basemaps",
        "order_type": "partial",
        "products": [{"mosaic_name": "good_mosaic"}, {"mosaic_name": "unavailable_mosaic"}],
    }
    order_id = client.post(ORDERS, json=body).json()["id"]
    emulator.advance(QUEUED + RUNNING)
    done = client.get(f"{ORDERS}/{order_id}").json()
    assert done["state"] == "partial"
    assert [r["name"].split("/")[1] for r in done["_links"]["results"]] == ["good_mosaic", "manifest.json"]


def test_force_state_with_hold_keeps_an_order_there(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order())
    forced = emulator.force_state(order["id"], "running", hold=True, message="Stuck on purpose")
    assert forced["state"] == "running"
    emulator.advance(10 * (QUEUED + RUNNING))
    again = hook.get_order(order["id"])
    assert again["state"] == "running"
    assert again["last_message"] == "Stuck on purpose"


def test_force_state_without_hold_carries_on_from_there(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    order = hook.create_order(scene_order())
    emulator.force_state(order["id"], "running")
    emulator.advance(RUNNING)
    assert hook.get_order(order["id"])["state"] == "success"


def test_force_state_failed_sets_hints_and_message(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order())
    emulator.force_state(order["id"], "failed", message="Backend exploded")
    failed = hook.get_order(order["id"])
    assert failed["state"] == "failed"
    assert failed["last_message"] == "Backend exploded"
    assert failed["error_hints"] == ["Backend exploded"]
    assert failed["last_modified"] > order["last_modified"]


def test_force_state_route(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order())
    url = f"{emulator.url}/_emulator/orders/{order['id']}/state"
    response = httpx.put(url, json={"state": "success"})
    assert response.status_code == 200
    assert response.json()["state"] == "success"
    assert hook.get_order(order["id"])["_links"]["results"]
    assert httpx.put(url, json={"state": "exploded"}).status_code == 400
    missing = f"{emulator.url}/_emulator/orders/00000000-0000-0000-0000-000000000000/state"
    assert httpx.put(missing, json={"state": "success"}).status_code == 404


def test_real_time_drives_the_lifecycle_too() -> None:
    with run_emulator(queued_seconds=0.2, running_seconds=0.2, rate_limits=False) as emulator:
        client = httpx.Client(base_url=emulator.url, auth=(emulator.api_key, ""))
        order_id = client.post(ORDERS, json=scene_order()).json()["id"]
        states = []
        for _ in range(60):
            state = client.get(f"{ORDERS}/{order_id}").json()["state"]
            if not states or states[-1] != state:
                states.append(state)
            if state == "success":
                break
            time.sleep(0.02)
        client.close()
    assert states == ["queued", "running", "success"]


def test_duration_jitter_spreads_finishing_times_reproducibly() -> None:
    def finishing_times(seed: int) -> list[float]:
        with run_emulator(queued_seconds=10, running_seconds=10, duration_jitter=0.5, seed=seed) as emulator:
            client = httpx.Client(base_url=emulator.url, auth=(emulator.api_key, ""))
            ids = [client.post(ORDERS, json=scene_order(f"o{n}")).json()["id"] for n in range(3)]
            emulator.advance(40)
            created = [client.get(f"{ORDERS}/{i}").json() for i in ids]
            client.close()
            # Finishing time relative to creation, to the millisecond.
            return [_seconds_between(o["created_on"], o["last_modified"]) for o in created]

    first, second, other = finishing_times(3), finishing_times(3), finishing_times(4)
    assert first == pytest.approx(second, abs=0.002)  # same seed, same spread
    assert (
        min(abs(a - b) for a, b in [(first[0], first[1]), (first[1], first[2]), (first[0], first[2])]) > 0.01
    )
    assert all(10 <= t <= 30 for t in first)
    assert first != pytest.approx(other, abs=0.002)


def _seconds_between(start: str, end: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


def test_results_are_delivered_one_after_another_while_the_order_runs(
    emulator: EmulatorHandle, client: httpx.Client
) -> None:
    order = client.post(ORDERS, json=scene_order(items=("a", "b", "c"))).json()
    url = f"{ORDERS}/{order['id']}"
    assert "results" not in client.get(url).json()["_links"]  # queued: nothing yet
    emulator.advance(QUEUED)

    delivered: list[int] = []
    first_ready: dict[str, Any] | None = None
    for _ in range(10):
        body = client.get(url).json()
        results = body["_links"]["results"]
        ready = [r for r in results if r["delivery"] == "success"]
        delivered.append(len(ready))
        for entry in results:
            if entry["delivery"] == "pending":
                assert set(entry) == {"name", "delivery"}
            else:
                assert {"name", "location", "expires_at", "delivery"} == set(entry)
        if body["state"] == "running":
            manifest = next(r for r in results if r["name"].endswith("/manifest.json"))
            assert manifest["delivery"] == "pending"  # the manifest comes last, at success
            if ready and first_ready is None:
                first_ready = ready[0]
        emulator.advance(RUNNING / 8)
    assert delivered == sorted(delivered)  # never taken back
    assert delivered[0] == 0
    assert delivered[-1] == len(results)
    assert len(set(delivered)) > 3  # progressively, not all at once

    # A file delivered while the order runs can be downloaded then.
    assert first_ready is not None
    assert httpx.get(first_ready["location"]).status_code == 200


def test_a_held_or_failing_run_delivers_nothing(emulator: EmulatorHandle, client: httpx.Client) -> None:
    held = client.post(ORDERS, json=scene_order(items=("a", "b"))).json()
    failing = client.post(ORDERS, json=scene_order(items=("a", "b-unavailable"))).json()
    emulator.force_state(held["id"], "running", hold=True)
    emulator.advance(QUEUED + RUNNING / 2)
    for order in (held, failing):
        body = client.get(f"{ORDERS}/{order['id']}").json()
        assert body["state"] == "running"
        assert {r["delivery"] for r in body["_links"]["results"]} == {"pending"}
