"""
Test DAG: three orders waited for at once in the triggerer, one of which fails at Planet.

The reliability tests kill the triggerer mid-wait and cut the API off while these wait.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_planet_orders.operators.orders import PlanetCreateOrderOperator


def request(name: str, item: str) -> dict:
    return {
        "name": name,
        "products": [{"item_ids": [item], "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
    }


with DAG(
    dag_id="planet_restart_waits",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    tags=["planet", "test"],
):
    for number, item in enumerate(["item-a", "item-b", "x-unavailable-1"]):
        PlanetCreateOrderOperator(
            task_id=f"order_{number}",
            order_request=request(f"restart {number}", item),
            deferrable=True,
            poll_interval=1,
        )
