"""
Housekeeping: cancel orders that sat in Planet's queue too long, and log the queue's size.

Orders queued for longer than ``max_queued_hours`` are found with the list filters (state and
``created_on`` interval), cancelled in bulk, and the user's and organization's queued and running
counts are logged.

It runs **hourly, on the hour (UTC)**, and starts paused. The first scheduled run is the first full
hour *after* the DAG is unpaused, never one that has already passed: Airflow 3.3's Trigger dialog
unpauses a DAG by default, and a click there then starts exactly one run, the manual one.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, Param, task

try:  # the Task SDK's own timetable (Airflow 3.2+)
    from airflow.sdk import CronTriggerTimetable
except ImportError:  # Airflow 3.0 and 3.1
    from airflow.timetables.trigger import CronTriggerTimetable

from airflow_provider_planet_orders.operators.orders import (
    PlanetBulkCancelOrdersOperator,
    PlanetListOrdersOperator,
    PlanetOrderStatsOperator,
)

with DAG(
    dag_id="example_planet_housekeeping",
    description="Cancel Planet orders queued for too long; log the queue",
    doc_md=__doc__,
    # No start_date and run_immediately=0: unpausing schedules no run for the hour just gone.
    schedule=CronTriggerTimetable("@hourly", timezone="UTC", run_immediately=datetime.timedelta(0)),
    catchup=False,
    is_paused_upon_creation=True,
    max_active_runs=1,
    tags=["planet", "example"],
    params={"max_queued_hours": Param(6, type="number", minimum=0)},
) as dag:
    # [START howto_operator_planet_list_orders]
    stale = PlanetListOrdersOperator(
        task_id="find_stale_orders",
        filters={
            "state": "queued",
            "source_type": "all",
            # Created before (now - max_queued_hours): an interval open at its start.
            "created_on": (
                None,
                "{{ (dag_run.run_after - macros.timedelta(hours=params.max_queued_hours)).isoformat() }}",
            ),
            "sort_by": "created_on ASC",
        },
        limit=10_000,
    )
    # [END howto_operator_planet_list_orders]

    @task
    def order_ids(orders: list[dict]) -> list[str]:
        return [order["id"] for order in orders]

    # [START howto_operator_planet_bulk_cancel]
    cancel = PlanetBulkCancelOrdersOperator(
        task_id="cancel_stale_orders",
        order_ids=order_ids(stale.output),
        fail_on_error=False,  # an order that started running meanwhile is fine
    )
    # [END howto_operator_planet_bulk_cancel]

    # [START howto_operator_planet_order_stats]
    stats = PlanetOrderStatsOperator(task_id="log_queue_stats")
    # [END howto_operator_planet_order_stats]

    cancel >> stats
