"""
Wait for an order placed elsewhere (Planet's web app, another tool), then download it.

Trigger it with the order id: ``airflow dags trigger example_planet_wait_for_existing_order
--conf '{"order_id": "<uuid>"}'``. The sensor waits in the triggerer (deferrable), so an order that
takes hours holds no worker slot.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_planet_orders.operators.download import PlanetDownloadOrderOperator
from airflow_provider_planet_orders.sensors.orders import PlanetOrderSensor

POLL_INTERVAL = float(os.getenv("PLANET_ORDERS_POLL_INTERVAL", "60"))
DESTINATION = os.getenv("PLANET_ORDERS_DESTINATION", "/tmp/planet-orders")

with DAG(
    dag_id="example_planet_wait_for_existing_order",
    description="Wait for an existing Planet order in the triggerer, then download it",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    tags=["planet", "example"],
    params={
        "order_id": Param(
            "00000000-0000-0000-0000-000000000000",
            type="string",
            pattern="^[0-9a-fA-F-]{36}$",
            description="The Planet order to wait for",
        ),
        "destination": Param(DESTINATION, type="string"),
    },
) as dag:
    # [START howto_sensor_planet_order]
    wait = PlanetOrderSensor(
        task_id="wait_for_order",
        order_id="{{ params.order_id }}",
        deferrable=True,
        poke_interval=POLL_INTERVAL,
        timeout=pendulum.duration(hours=12).total_seconds(),
        accept_partial=True,  # some unavailable items are fine here: download what there is
    )
    # [END howto_sensor_planet_order]

    # [START howto_operator_planet_download_include]
    download = PlanetDownloadOrderOperator(
        task_id="download",
        order_id="{{ params.order_id }}",
        destination="{{ params.destination }}/existing",
        include=["*/PSScene/*.tif"],
        asset_name="existing_orders",
    )
    # [END howto_operator_planet_download_include]

    wait >> download
