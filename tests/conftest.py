"""Shared fixtures: an isolated AIRFLOW_HOME, a `planet` connection from the environment, hooks."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow reads its configuration at import time: isolate it before anything imports airflow.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="planet-orders-tests-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.pop("PL_API_KEY", None)

from airflow_provider_planet_orders.core.policy import RateLimiter  # noqa: E402
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook  # noqa: E402

API_KEY = "PLAK-test-key-0123456789abcdef"
BASE_URL = "https://planet.test"


def set_planet_connection(
    monkeypatch: pytest.MonkeyPatch,
    *,
    conn_id: str = "planet_default",
    password: str | None = API_KEY,
    host: str | None = BASE_URL,
    extra: dict[str, object] | None = None,
) -> None:
    """Define a `planet` connection the way users do in production: an AIRFLOW_CONN_ variable."""
    conn: dict[str, object] = {"conn_type": "planet"}
    if password is not None:
        conn["password"] = password
    if host is not None:
        conn["host"] = host
    if extra is not None:
        conn["extra"] = extra
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


class SleepRecorder:
    """Stands in for time.sleep: records every wait, waits for none."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def planet_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rate limiting is tested on its own; elsewhere it would only add recorded waits.
    set_planet_connection(monkeypatch, extra={"rate_limit": False})


@pytest.fixture
def hook(planet_connection: None, sleeps: SleepRecorder) -> Iterator[PlanetOrdersHook]:
    h = PlanetOrdersHook()
    h.sleep = sleeps
    h.limiter = RateLimiter()
    yield h
    h.close()
