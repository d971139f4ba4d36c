"""
Housekeeping: cancel orders that sat in Planet's queue too long, and log the queue's size.

Orders queued for longer than ``max_queued_hours`` are found with the list filters (state and
``created_on`` interval), cancelled in bulk, and the user's and organization's queued and running
counts are logged.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_planet_orders.operators.orders import (
    PlanetBulkCancelOrdersOperator,
    PlanetListOrdersOperator,
    PlanetOrderStatsOperator,
)

with DAG(
    dag_id="example_planet_housekeeping",
    description="Cancel Planet orders queued for too long; log the queue",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
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
