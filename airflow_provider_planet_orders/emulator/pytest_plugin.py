"""
Pytest fixtures that serve the Orders API emulator to users' own tests.

Installed with the provider and registered as a ``pytest11`` plugin, so the fixtures are there
in any test suite of an environment with the provider:

* ``planet_orders_emulator``: a running emulator's handle, reset for each test.
* ``planet_orders_connection``: ``AIRFLOW_CONN_PLANET_DEFAULT`` pointing at it, for the hooks
  and operators.
* ``planet_orders_emulator_config``: the settings it starts with; override it in a
  ``conftest.py`` to change them.
* ``planet_orders_emulator_session``: the underlying server, shared by the whole session.

One server serves the whole session (starting and stopping one takes a quarter of a second,
resetting it microseconds).
The emulator itself is imported only when a test asks for it, so the plugin costs nothing to
test suites that never do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_planet_orders.emulator.config import EmulatorConfig
    from airflow_provider_planet_orders.emulator.server import EmulatorHandle


@pytest.fixture(scope="session")
def planet_orders_emulator_config() -> EmulatorConfig:
    """
    Settings of the session's emulator. Planet's defaults, except orders finish in seconds.

    Override in a ``conftest.py``::

        @pytest.fixture(scope="session")
        def planet_orders_emulator_config():
            return EmulatorConfig(queued_seconds=0.5, running_seconds=1, rate_limits=False)
    """
    from airflow_provider_planet_orders.emulator.config import EmulatorConfig

    return EmulatorConfig(queued_seconds=1.0, running_seconds=2.0)


@pytest.fixture(scope="session")
def planet_orders_emulator_session(
    planet_orders_emulator_config: EmulatorConfig,
) -> Iterator[EmulatorHandle]:
    """One emulator for the whole session, not reset between tests."""
    from airflow_provider_planet_orders.emulator.server import run_emulator

    with run_emulator(planet_orders_emulator_config) as handle:
        yield handle


@pytest.fixture
def planet_orders_emulator(planet_orders_emulator_session: EmulatorHandle) -> EmulatorHandle:
    """
    The session's emulator, reset: no orders, no faults, fresh statistics and rate limits.

    Use ``.url`` and ``.api_key`` to reach it, and ``.advance()``, ``.set_faults()``,
    ``.force_state()`` and ``.stats()`` to drive and inspect it.
    """
    planet_orders_emulator_session.reset()
    return planet_orders_emulator_session


@pytest.fixture
def planet_orders_connection(
    planet_orders_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> EmulatorHandle:
    """
    Point the ``planet_default`` connection at the emulator (``AIRFLOW_CONN_PLANET_DEFAULT``)
    for this test, and return the emulator's handle.
    """
    monkeypatch.setenv(
        "AIRFLOW_CONN_PLANET_DEFAULT",
        json.dumps(
            {
                "conn_type": "planet",
                "host": planet_orders_emulator.url,
                "password": planet_orders_emulator.api_key,
            }
        ),
    )
    return planet_orders_emulator
