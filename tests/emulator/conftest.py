"""
Fixtures for the emulator's tests: one emulator per session, reset for each test, and a
``PlanetOrdersHook`` whose connection points at it.

Lifecycle tests move the emulator's clock (``advance``) instead of sleeping; the hook's waits
between retries are recorded, not slept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.emulator import DEMO_API_KEY, run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.conftest import SleepRecorder, set_planet_connection

OTHER_KEY = "PLAK-emulator-second-key"
ORDERS = "/compute/ops/orders/v2"
QUEUED = 10.0
RUNNING = 20.0


def scene_order(
    name: str = "order", items: tuple[str, ...] = ("20240101_000000_00_0001",), **extra: Any
) -> dict[str, Any]:
    """A valid scenes order request."""
    return {
        "name": name,
        "products": [{"item_ids": list(items), "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
        **extra,
    }


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[EmulatorHandle]:
    # Rate limits are tested with emulators of their own; here they would only slow tests down.
    with run_emulator(
        api_keys=(DEMO_API_KEY, OTHER_KEY),
        queued_seconds=QUEUED,
        running_seconds=RUNNING,
        file_size=300_000,
        rate_limits=False,
        seed=7,
    ) as handle:
        yield handle


@pytest.fixture
def emulator(emulator_session: EmulatorHandle) -> EmulatorHandle:
    emulator_session.reset()
    return emulator_session


def make_hook(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorHandle, *, key: str = DEMO_API_KEY, **extra: Any
) -> PlanetOrdersHook:
    """A hook on a ``planet_default`` connection to ``emulator``: no client-side pacing unless asked."""
    set_planet_connection(monkeypatch, host=emulator.url, password=key, extra={"rate_limit": False, **extra})
    hook = PlanetOrdersHook()
    hook.sleep = SleepRecorder()
    hook.limiter = RateLimiter()
    return hook


@pytest.fixture
def hook(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlanetOrdersHook]:
    h = make_hook(monkeypatch, emulator)
    yield h
    h.close()


@pytest.fixture
def client(emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    """Raw HTTP, authenticated with the demo key, for what the hook does not reach."""
    with httpx.Client(base_url=emulator.url, auth=(DEMO_API_KEY, ""), timeout=10) as c:
        yield c


def finish(emulator: EmulatorHandle) -> None:
    """Move the clock past every order's queued and running time."""
    emulator.advance(QUEUED + RUNNING + 1)
