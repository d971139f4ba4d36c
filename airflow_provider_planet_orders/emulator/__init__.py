"""
A local stand-in for Planet's Orders API v2, for tests, demos and benchmarks.

It serves Planet's own paths (``/compute/ops/...``) over real HTTP, with the order lifecycle,
downloads and their manifest, per-key rate limits and seeded fault injection, so that a client
written for the real API works against it with only the base URL changed. See ``docs/emulator.md``.

Everything is imported on first use, so that importing this package (as pytest does, for the
fixtures of :mod:`.pytest_plugin`, in every test session) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_planet_orders.emulator.app import create_app
    from airflow_provider_planet_orders.emulator.config import DEMO_API_KEY, EmulatorConfig, FaultRates
    from airflow_provider_planet_orders.emulator.server import EmulatorHandle, run_emulator
    from airflow_provider_planet_orders.emulator.store import UNAVAILABLE_MARKER

_LAZY = {
    "DEMO_API_KEY": "airflow_provider_planet_orders.emulator.config",
    "EmulatorConfig": "airflow_provider_planet_orders.emulator.config",
    "FaultRates": "airflow_provider_planet_orders.emulator.config",
    "create_app": "airflow_provider_planet_orders.emulator.app",
    "run_emulator": "airflow_provider_planet_orders.emulator.server",
    "EmulatorHandle": "airflow_provider_planet_orders.emulator.server",
    "UNAVAILABLE_MARKER": "airflow_provider_planet_orders.emulator.store",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEMO_API_KEY",
    "UNAVAILABLE_MARKER",
    "EmulatorConfig",
    "EmulatorHandle",
    "FaultRates",
    "create_app",
    "run_emulator",
]
