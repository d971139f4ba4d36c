"""
Recurring imagery pull: build an order, let Planet work on it without holding a worker slot,
then download and verify the files into a dated folder (or object-storage prefix).

Dates come from ``dag_run.run_after``, which every run has (manual runs may have no logical date).

Two DAGs:

* ``example_planet_recurring_pull``: one order a day for the item ids in the params, clipped to
  an optional AOI.
* ``example_planet_recurring_pull_by_aoi``: the same, mapped over several named AOIs with
  ``.expand()``: one order and one download per AOI.

Both run **daily at midnight UTC** and start paused. The first scheduled run is the first midnight
*after* the DAG is unpaused, never one that has already passed: Airflow 3.3's Trigger dialog
unpauses a DAG by default ("Unpause on trigger"), and a click there then places exactly one order,
the manual run's. From then on the DAG orders once a day until it is paused again: against the
real API each run is a real order, so pause it after trying it.

Against the real API, set the ``planet_default`` connection's password to your API key and put
real item ids in the params. ``PLANET_ORDERS_POLL_INTERVAL`` and ``PLANET_ORDERS_RETRY_DELAY``
(seconds) shorten the polling and the wait before a retry for demos against the local emulator.
"""

from __future__ import annotations

import datetime
import os

import pendulum
from airflow.sdk import DAG, Param, task

try:  # the Task SDK's own timetable (Airflow 3.2+)
    from airflow.sdk import CronTriggerTimetable
except ImportError:  # Airflow 3.0 and 3.1
    from airflow.timetables.trigger import CronTriggerTimetable

from airflow_provider_planet_orders.operators.download import PlanetDownloadOrderOperator, imagery_asset
from airflow_provider_planet_orders.operators.orders import PlanetCreateOrderOperator

POLL_INTERVAL = float(os.getenv("PLANET_ORDERS_POLL_INTERVAL", "60"))
# A retried create task re-attaches to its order instead of ordering again.
RETRIES = {
    "retries": 2,
    "retry_delay": pendulum.duration(seconds=float(os.getenv("PLANET_ORDERS_RETRY_DELAY", "60"))),
}
DESTINATION = os.getenv("PLANET_ORDERS_DESTINATION", "/tmp/planet-orders")

# Daily at midnight UTC, starting at the first midnight after the DAG is unpaused. Without a
# start_date and with run_immediately=0, unpausing schedules no run for the midnight just gone
# (a past start_date would, at once), so the click that unpauses and triggers orders once.
DAILY = CronTriggerTimetable("@daily", timezone="UTC", run_immediately=datetime.timedelta(0))

# A small field near Sacramento, CA.
EXAMPLE_AOI = {
    "type": "Polygon",
    "coordinates": [
        [[-121.59, 38.51], [-121.49, 38.51], [-121.49, 38.58], [-121.59, 38.58], [-121.59, 38.51]]
    ],
}

with DAG(
    dag_id="example_planet_recurring_pull",
    description="Order Planet imagery daily, wait in the triggerer, download and verify it",
    doc_md=__doc__,
    schedule=DAILY,
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=1,
    default_args=RETRIES,
    tags=["planet", "example"],
    params={
        "item_ids": Param(
            ["20260101_181512_38_24b0", "20260101_181510_07_24b0"],
            type="array",
            items={"type": "string"},
            minItems=1,
            description="Catalog item ids to order",
        ),
        "item_type": Param("PSScene", type="string"),
        "product_bundle": Param("analytic_udm2", type="string"),
        "aoi": Param(EXAMPLE_AOI, type=["object", "null"], description="Clip to this GeoJSON polygon"),
        "destination": Param(DESTINATION, type="string", description="Local path or URI"),
    },
) as dag:
    # [START howto_build_order_request]
    @task
    def build_request(params: dict, dag_run=None) -> dict:
        """The order for this run, built and checked with the provider's builders."""
        from airflow_provider_planet_orders.order_request import build_order_request, clip_tool, scene_product

        return build_order_request(
            name=f"daily pull {dag_run.run_after:%Y-%m-%d}",
            products=[scene_product(params["item_ids"], params["item_type"], params["product_bundle"])],
            tools=[clip_tool(params["aoi"])] if params["aoi"] else None,
        )

    # [END howto_build_order_request]

    # [START howto_operator_planet_create_order]
    create_order = PlanetCreateOrderOperator(
        task_id="create_order",
        order_request=build_request(),
        deferrable=True,  # wait in the triggerer, not in a worker slot
        poll_interval=POLL_INTERVAL,
        timeout=pendulum.duration(hours=6),
        cancel_on_kill=True,
    )
    # [END howto_operator_planet_create_order]

    # [START howto_operator_planet_download_order]
    download = PlanetDownloadOrderOperator(
        task_id="download",
        order_id="{{ ti.xcom_pull(task_ids='create_order', key='order_id') }}",
        destination="{{ params.destination }}/{{ dag_run.run_after | ds }}",
        checksum="sha256",
        concurrency=4,
        asset_name="daily_pull",  # Asset planet-orders://planet_default/daily_pull
    )
    # [END howto_operator_planet_download_order]

    create_order >> download


# [START howto_mapped_orders]
with DAG(
    dag_id="example_planet_recurring_pull_by_aoi",
    description="One Planet order and one verified download per AOI, mapped with .expand()",
    doc_md=__doc__,
    schedule=DAILY,
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=1,
    default_args=RETRIES,
    tags=["planet", "example"],
    params={
        "aois": Param(
            {"field_a": EXAMPLE_AOI, "field_b": EXAMPLE_AOI},
            type="object",
            description="AOI name -> GeoJSON polygon",
        ),
        "item_ids": Param(["20260101_181512_38_24b0"], type="array", items={"type": "string"}, minItems=1),
        "destination": Param(DESTINATION, type="string"),
    },
) as mapped_dag:

    @task
    def requests_per_aoi(params: dict, dag_run=None) -> list[dict]:
        from airflow_provider_planet_orders.order_request import build_order_request, clip_tool, scene_product

        return [
            build_order_request(
                name=f"{name} {dag_run.run_after:%Y-%m-%d}",
                products=[scene_product(params["item_ids"], "PSScene", "analytic_udm2")],
                tools=[clip_tool(aoi)],
            )
            for name, aoi in sorted(params["aois"].items())
        ]

    @task
    def order_ids(orders: list[dict]) -> list[str]:
        return [order["id"] for order in orders]

    orders = PlanetCreateOrderOperator.partial(
        task_id="create_order", deferrable=True, poll_interval=POLL_INTERVAL
    ).expand(order_request=requests_per_aoi())

    PlanetDownloadOrderOperator.partial(
        task_id="download",
        destination="{{ params.destination }}/{{ dag_run.run_after | ds }}",
        asset_name="daily_pull_by_aoi",
        # Mapped tasks are built when they run: declare the Asset here for the scheduler.
        outlets=[imagery_asset("daily_pull_by_aoi")],
    ).expand(order_id=order_ids(orders.output))
# [END howto_mapped_orders]
