"""
Real Airflow processes waiting for orders ride out an API outage longer than their poll interval
and a triggerer killed with SIGKILL mid-wait: every wait finishes exactly once, with the right
outcome, and no order is created twice.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from tests.e2e.harness import AirflowSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

DAG_ID = "planet_restart_waits"
TASKS = ("order_0", "order_1", "order_2")


def wait_until(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, KeyError, ValueError):
            last = None
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def test_waits_survive_an_outage_and_a_killed_triggerer(tmp_path: Path) -> None:
    with (
        run_emulator(queued_seconds=20, running_seconds=10, file_size=1024, seed=4) as emulator,
        AirflowSandbox(
            tmp_path,
            emulator_url=emulator.url,
            api_key=emulator.api_key,
            dags_folder=Path(__file__).parents[1] / "e2e" / "dags",
            env={"AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "5"},
        ) as sandbox,
    ):
        sandbox.migrate()
        sandbox.start()
        api = httpx.Client(base_url=f"http://127.0.0.1:{sandbox.api_port}/api/v2", timeout=30)
        wait_until("the DAG to be parsed", lambda: api.get(f"/dags/{DAG_ID}").status_code == 200, 120)
        api.patch(f"/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
        run_id = api.post(f"/dags/{DAG_ID}/dagRuns", json={"logical_date": None}).json()["dag_run_id"]

        def states() -> dict[str, str]:
            tis = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
            return {ti["task_id"]: ti["state"] for ti in tis}

        wait_until("every order to be waited for", lambda: set(states().values()) == {"deferred"}, 180)
        time.sleep(2)  # the triggerer has picked them up and polled

        # Planet unreachable for longer than a poll interval (1 s): the waits must ride it out.
        emulator.outage(8)
        time.sleep(9)
        assert set(states().values()) == {"deferred"}

        # The triggerer dies without cleaning up; a new one takes the waits over.
        sandbox.kill("triggerer")
        sandbox.start(["triggerer"])

        final = wait_until(
            "the run to finish",
            lambda: (
                api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"] in ("success", "failed")
                and states()
            ),
            240,
        )
        created = emulator.stats()["orders_created"]["total"]
        drops = emulator.stats()["faults"]["outage_drop"]
        api.close()

    assert final == {"order_0": "success", "order_1": "success", "order_2": "failed"}
    assert created == 3  # no order twice
    assert drops > 0  # the outage really cut requests off
    run_logs = sandbox.logs / f"dag_id={DAG_ID}" / f"run_id={run_id}"
    for task in TASKS:
        fired = sum(
            p.read_text().count("Trigger fired event")
            for p in (run_logs / f"task_id={task}").glob("*.trigger.*")
        )
        assert fired == 1, task  # exactly once, across both triggerers
    failed_log = "".join(p.read_text() for p in (run_logs / "task_id=order_2").glob("attempt=*.log"))
    assert "is failed" in failed_log
    triggerer_log = (sandbox.logs / "triggerer.log").read_text()
    assert triggerer_log.count("Starting the triggerer") == 2
    assert json.dumps(final)
