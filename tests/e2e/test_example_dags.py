"""Every example DAG parses, and runs with ``airflow dags test`` against the emulator."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.e2e.conftest import verified_files
from tests.e2e.harness import EXAMPLE_DAGS

pytestmark = pytest.mark.e2e

EXAMPLES = sorted(p.stem for p in EXAMPLE_DAGS.glob("example_*.py"))


def test_example_dags_parse_without_errors(sandbox) -> None:
    from airflow.dag_processing.dagbag import DagBag

    started = time.monotonic()
    bag = DagBag(str(EXAMPLE_DAGS))
    assert bag.import_errors == {}
    assert time.monotonic() - started < 10
    assert set(bag.dags) == {
        "example_planet_recurring_pull",
        "example_planet_recurring_pull_by_aoi",
        "example_planet_wait_for_existing_order",
        "example_planet_housekeeping",
        "example_planet_order_events",
    }
    for path in EXAMPLE_DAGS.glob("example_*.py"):
        text = path.read_text()
        assert text.count("# [START ") == text.count("# [END ") > 0, path.name


def created_order(output: str) -> str:
    match = re.search(r"Created Planet order ([0-9a-f-]{36})", output)
    assert match, output[-3000:]
    return match.group(1)


def test_recurring_pull(sandbox, e2e_emulator) -> None:
    result = sandbox.dags_test("example_planet_recurring_pull")
    output = result.output
    assert result.returncode == 0, output[-5000:]
    order_id = created_order(output)
    assert "Pausing task as DEFERRED" in output  # the wait ran in the trigger
    assert re.search(rf"Planet order {order_id} is success", output)
    (order_dir,) = sandbox.data.glob(f"*/{order_id}")
    assert verified_files(order_dir) == 2
    assert "sha256 verified" in output


def test_recurring_pull_mapped_over_aois(sandbox, e2e_emulator) -> None:
    result = sandbox.dags_test("example_planet_recurring_pull_by_aoi")
    output = result.output
    assert result.returncode == 0, output[-5000:]
    order_ids = set(re.findall(r"Created Planet order ([0-9a-f-]{36})", output))
    assert len(order_ids) == 2  # one per AOI
    for order_id in order_ids:
        (order_dir,) = sandbox.data.glob(f"*/{order_id}")
        assert verified_files(order_dir) == 1


def test_wait_for_existing_order(sandbox, e2e_emulator, monkeypatch) -> None:
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
    from tests.conftest import set_planet_connection

    set_planet_connection(monkeypatch, host=e2e_emulator.url, password=e2e_emulator.api_key)
    e2e_emulator.configure(queued_seconds=40)  # still queued when the sensor looks, even on a busy host
    try:
        order = PlanetOrdersHook().create_order(
            {
                "name": "placed elsewhere",
                "products": [
                    {"item_ids": ["a", "b"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}
                ],
            }
        )
        result = sandbox.dags_test("example_planet_wait_for_existing_order", conf={"order_id": order["id"]})
    finally:
        e2e_emulator.configure(queued_seconds=1)
    output = result.output
    assert result.returncode == 0, output[-5000:]
    assert "Pausing task as DEFERRED" in output
    assert f"Planet order {order['id']} is success" in output
    assert verified_files(sandbox.data / "existing" / order["id"]) == 2


def test_order_events_dag_runs(sandbox) -> None:
    # Run by hand there is no asset event: the task sees none. The full-stack test drives the watcher.
    result = sandbox.dags_test("example_planet_order_events")
    assert result.returncode == 0, result.output[-5000:]
    assert "Orders to process: []" in result.output


def test_housekeeping_cancels_stale_orders(sandbox, e2e_emulator, monkeypatch) -> None:
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
    from tests.conftest import set_planet_connection

    set_planet_connection(monkeypatch, host=e2e_emulator.url, password=e2e_emulator.api_key)
    e2e_emulator.configure(queued_seconds=3600)
    try:
        hook = PlanetOrdersHook()
        request = {
            "products": [{"item_ids": ["x"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}]
        }
        stale = [hook.create_order({"name": f"stale {i}", **request})["id"] for i in range(3)]
        running = hook.create_order({"name": "busy", **request})["id"]
        e2e_emulator.force_state(running, "running", hold=True)
        result = sandbox.dags_test("example_planet_housekeeping", conf={"max_queued_hours": 0})
    finally:
        e2e_emulator.configure(queued_seconds=1)
    output = result.output
    assert result.returncode == 0, output[-5000:]
    assert {hook.get_order(i)["state"] for i in stale} == {"cancelled"}
    assert hook.get_order(running)["state"] == "running"
    assert "Bulk cancel: 3 succeeded, 0 failed" in output
    assert re.search(r"user: 0 queued, 1 running", output)
    assert json.dumps(stale)  # the ids listed are the ones cancelled
