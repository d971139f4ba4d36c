"""
Fixtures for the provider against the emulator over real HTTP on loopback: one emulator for the
session, reset for each test, and a ``planet_default`` connection pointing at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.conftest import SleepRecorder, set_planet_connection

FILE_SIZE = 256 * 1024


def scene_request(name: str = "integration", items: tuple[str, ...] = ("item_a", "item_b", "item_c")) -> dict:
    return {
        "name": name,
        "products": [{"item_ids": list(items), "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
    }


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorHandle]:
    with run_emulator(
        queued_seconds=30, running_seconds=60, file_size=FILE_SIZE, rate_limits=False, seed=11
    ) as handle:
        yield handle


@pytest.fixture
def emulator(emulator_session: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> EmulatorHandle:
    emulator_session.reset()
    set_planet_connection(
        monkeypatch, host=emulator_session.url, password=emulator_session.api_key, extra={"rate_limit": False}
    )
    return emulator_session


@pytest.fixture
def hook(emulator: EmulatorHandle) -> Iterator[PlanetOrdersHook]:
    h = PlanetOrdersHook()
    h.sleep = SleepRecorder()
    h.limiter = RateLimiter()
    yield h
    h.close()


def finished_order(
    hook: PlanetOrdersHook, emulator: EmulatorHandle, request: dict | None = None
) -> dict[str, Any]:
    """Create an order and move the emulator's clock until it succeeded."""
    order = hook.create_order(request or scene_request())
    emulator.advance(100)
    order = hook.get_order(order["id"])
    assert order["state"] == "success"
    return order
