"""
A real Airflow (api-server, scheduler, dag-processor, triggerer; LocalExecutor, SQLite) runs the
recurring-pull DAG against the emulator: the create task defers, the triggerer resumes it, the files
land verified, the extra link is served by the REST API, and no secret shows anywhere.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from tests.e2e.conftest import verified_files
from tests.e2e.harness import AirflowSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

DAG_ID = "example_planet_recurring_pull"
EVENTS_DAG_ID = "example_planet_order_events"


class Api:
    """The REST API of the sandbox (the simple auth manager lets every request in)."""

    def __init__(self, port: int) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v2", timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def wait_for(self, what: str, check: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except (httpx.HTTPError, KeyError):
                last = None
            if last:
                return last
            time.sleep(1)
        raise AssertionError(f"timed out waiting for {what} (last seen: {last})")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AirflowSandbox, EmulatorHandle, Api]]:
    root: Path = tmp_path_factory.mktemp("airflow-stack")
    with (
        run_emulator(queued_seconds=3, running_seconds=4, file_size=256 * 1024, seed=5) as emulator,
        AirflowSandbox(root, emulator_url=emulator.url, api_key=emulator.api_key) as sandbox,
    ):
        sandbox.migrate()
        sandbox.start()
        api = Api(sandbox.api_port)
        try:
            yield sandbox, emulator, api
        finally:
            api.client.close()
            sandbox.stop()


@pytest.fixture(scope="module")
def finished_run(stack) -> dict[str, Any]:
    _, _, api = stack
    api.wait_for("the DAG to be parsed", lambda: api.get(f"/dags/{DAG_ID}"), timeout=120)
    api.wait_for("the events DAG to be parsed", lambda: api.get(f"/dags/{EVENTS_DAG_ID}"), timeout=120)
    # The AssetWatcher of the events DAG watches for "daily pull*" orders reaching success.
    api.client.patch(f"/dags/{EVENTS_DAG_ID}", json={"is_paused": False}).raise_for_status()
    api.client.patch(f"/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    run = api.client.post(f"/dags/{DAG_ID}/dagRuns", json={"logical_date": None})
    run.raise_for_status()
    run_id = run.json()["dag_run_id"]
    api.wait_for(
        "the run to finish",
        lambda: api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}")["state"] in ("success", "failed"),
        timeout=240,
    )
    return {"run_id": run_id, **api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}")}


def test_one_unpause_and_trigger_places_one_run_and_one_order(stack, finished_run) -> None:
    """
    The fixture does what Airflow 3.3's trigger dialog does by default: unpause, then trigger.

    The example has no start_date and run_immediately=0, so the scheduler places no run for the
    day already begun; the next scheduled one is a midnight still to come.
    """
    _, emulator, api = stack
    runs = api.get(f"/dags/{DAG_ID}/dagRuns")["dag_runs"]
    assert [run["run_type"] for run in runs] == ["manual"]
    assert emulator.stats()["orders"]["total"] == 1
    dag = api.get(f"/dags/{DAG_ID}")
    assert dag["is_paused"] is False
    assert dag["next_dagrun_run_after"] > finished_run["end_date"]


def task_log_dir(sandbox: AirflowSandbox, run_id: str, task_id: str) -> Path:
    return sandbox.logs / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"


def test_the_run_succeeds_with_verified_files(stack, finished_run) -> None:
    sandbox, _, api = stack
    assert finished_run["state"] == "success"
    run_id = finished_run["run_id"]
    order_id = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/create_order/xcomEntries/order_id")[
        "value"
    ]
    (order_dir,) = sandbox.data.glob(f"*/{order_id}")
    assert verified_files(order_dir) == 2


def test_create_deferred_and_the_triggerer_resumed_it(stack, finished_run) -> None:
    sandbox, _, _ = stack
    logs = task_log_dir(sandbox, finished_run["run_id"], "create_order")
    worker = (logs / "attempt=1.log").read_text()
    assert "Pausing task as DEFERRED" in worker
    (trigger_log,) = logs.glob("attempt=1.log.trigger.*.log")
    triggered = trigger_log.read_text()
    assert "is success" in triggered
    assert "Trigger fired event" in triggered
    # Airflow 3.3's triggerer runs the waits of one connection through one shared poll.
    assert "through the connection's shared poll" in triggered


def test_the_planet_order_link_is_served_by_the_rest_api(stack, finished_run) -> None:
    _, emulator, api = stack
    run_id = finished_run["run_id"]
    order_id = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/create_order/xcomEntries/order_id")[
        "value"
    ]
    links = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/create_order/links")
    assert links["extra_links"]["Planet order"] == emulator.order_page_url(order_id)


def test_the_download_emitted_an_asset_event(stack, finished_run) -> None:
    _, _, api = stack
    events = api.get("/assets/events", limit=100)["asset_events"]
    ours = [e for e in events if e.get("uri") == "planet-orders://planet_default/daily_pull"]
    assert ours
    assert ours[-1]["extra"]["files"] == 2


def test_an_order_reaching_success_starts_the_asset_watchers_dag(stack, finished_run) -> None:
    _, _, api = stack
    ours = {
        api.get(
            f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances/create_order/xcomEntries/order_id"
        )["value"]
        for run in api.get(f"/dags/{DAG_ID}/dagRuns")["dag_runs"]
        if run["state"] == "success"
    }

    def processed() -> set[str]:
        runs = api.get(f"/dags/{EVENTS_DAG_ID}/dagRuns")["dag_runs"]
        ids: set[str] = set()
        for run in runs:
            if run["run_type"] == "asset_triggered" and run["state"] == "success":
                tasks = f"/dags/{EVENTS_DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances"
                ids |= set(api.get(f"{tasks}/process/xcomEntries/return_value")["value"])
        return ids

    # The watcher (PlanetOrdersChangedTrigger, sharing the connection's poll) saw "daily pull"
    # orders succeed; asset events started runs whose task got the order ids from the events.
    seen = api.wait_for("an asset-triggered run", processed, timeout=120)
    assert seen <= ours


def test_no_secret_in_logs_xcoms_or_rendered_fields(stack, finished_run) -> None:
    sandbox, emulator, api = stack
    secrets = [emulator.api_key, base64.b64encode(f"{emulator.api_key}:".encode()).decode()]
    texts = [p.read_text(errors="replace") for p in sandbox.logs.rglob("*.log")]
    for task in api.get(f"/dags/{DAG_ID}/dagRuns/{finished_run['run_id']}/taskInstances")["task_instances"]:
        texts.append(json.dumps(task.get("rendered_fields")))
        entries = api.get(
            f"/dags/{DAG_ID}/dagRuns/{finished_run['run_id']}/taskInstances/{task['task_id']}/xcomEntries"
        )
        for entry in entries["xcom_entries"]:
            value = api.get(
                f"/dags/{DAG_ID}/dagRuns/{finished_run['run_id']}/taskInstances/{task['task_id']}/xcomEntries/{entry['key']}"
            )
            texts.append(json.dumps(value))
    assert len(texts) > 10
    for text in texts:
        for secret in secrets:
            assert secret not in text
