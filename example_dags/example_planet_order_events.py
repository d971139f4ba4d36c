"""
Event-driven: run whenever an order of the key whose name matches ``daily pull*`` succeeds.

Orders placed outside Airflow (Planet's web app, other tools) start downstream processing too.
The watcher's trigger shares the connection's poll loop with every other Planet wait in the
triggerer (Airflow 3.3+), so watching costs about one list request per poll interval.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_planet_orders.triggers.orders import PlanetOrdersChangedTrigger

POLL_INTERVAL = float(os.getenv("PLANET_ORDERS_POLL_INTERVAL", "60"))

# [START howto_trigger_planet_orders_changed]
finished_daily_orders = Asset(
    "planet_finished_daily_orders",
    watchers=[
        AssetWatcher(
            name="planet_daily_orders_succeeded",
            trigger=PlanetOrdersChangedTrigger(
                states=["success"], name_pattern="daily pull*", poll_interval=POLL_INTERVAL
            ),
        )
    ],
)

with DAG(
    dag_id="example_planet_order_events",
    description="Process every successful 'daily pull' order, wherever it was placed",
    schedule=[finished_daily_orders],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["planet", "example"],
) as dag:

    @task
    def process(triggering_asset_events=None) -> list[str]:
        """The trigger's event (order id, state, name) is in each asset event's extra."""
        orders = [
            event.extra["payload"]["order_id"]
            for event in triggering_asset_events[finished_daily_orders]
            if event.extra.get("from_trigger")
        ]
        print(f"Orders to process: {orders}")
        return orders

    process()
# [END howto_trigger_planet_orders_changed]
