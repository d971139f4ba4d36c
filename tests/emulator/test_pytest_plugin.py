"""The fixtures users get in their own tests, through the ``pytest11`` entry point."""

from __future__ import annotations

import json
import os

import pytest

from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import scene_order


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("planet_orders_emulator")


def test_the_connection_fixture_points_the_default_connection_at_the_emulator(
    planet_orders_connection: EmulatorHandle,
) -> None:
    conn = json.loads(os.environ["AIRFLOW_CONN_PLANET_DEFAULT"])
    assert conn == {
        "conn_type": "planet",
        "host": planet_orders_connection.url,
        "password": planet_orders_connection.api_key,
    }
    with PlanetOrdersHook() as hook:  # paces itself at Planet's limits, as in production
        order = hook.create_order(scene_order("from a user's test"))
        planet_orders_connection.advance(60)
        assert hook.get_order(order["id"])["state"] == "success"
    assert planet_orders_connection.stats()["orders_created"]["total"] == 1


def test_each_test_gets_a_fresh_emulator(planet_orders_emulator: EmulatorHandle) -> None:
    assert planet_orders_emulator.stats()["orders_created"]["total"] == 0
    assert planet_orders_emulator.config.queued_seconds == 1.0  # the plugin's default config
    planet_orders_emulator.set_faults(error_rate=1.0)


def test_faults_set_by_another_test_are_gone(planet_orders_emulator: EmulatorHandle) -> None:
    assert {f["error_rate"] for f in planet_orders_emulator.faults().values()} == {0.0}
