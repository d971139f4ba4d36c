"""
Seeded fault injection: which request fails, how, and the faults injected so far.

Every decision draws from one ``random.Random`` seeded with ``--seed``, so a run with the same
seed and the same sequence of requests meets the same faults. A rate of 0 draws nothing, so
switching one fault on does not shift the others' sequence of draws.
"""

from __future__ import annotations

import random
from typing import Any

from airflow_provider_planet_orders.emulator.config import ENDPOINTS, FaultRates

#: Kinds of injected faults, as counted in the statistics.
FAULT_KINDS: tuple[str, ...] = (
    "error",
    "latency",
    "drop",
    "create_commit_drop",
    "download_drop",
    "download_corrupt",
    "outage_drop",
)


class FaultInjector:
    """Fault settings per endpoint and the seeded dice; callers hold the emulator's lock."""

    def __init__(self, defaults: FaultRates, seed: int | None) -> None:
        self._defaults = defaults
        self._seed = seed
        self.rates: dict[str, FaultRates] = {}
        self.rng = random.Random()
        self.reset()

    def reset(self, defaults: FaultRates | None = None, seed: int | None = None) -> None:
        """Every endpoint back to ``defaults``, and the dice re-seeded (with ``seed`` if given)."""
        if defaults is not None:
            self._defaults = defaults
        if seed is not None:
            self._seed = seed
        self.rates = dict.fromkeys(ENDPOINTS, self._defaults)
        self.reseed(self._seed)

    def reseed(self, seed: int | None) -> None:
        self._seed = seed
        self.rng = random.Random(f"faults:{seed}") if seed is not None else random.Random()

    def set(self, endpoint: str | None, **rates: Any) -> None:
        """Change some settings of one endpoint, or of every endpoint when ``endpoint`` is None."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r} (known: {', '.join(ENDPOINTS)})")
        targets = ENDPOINTS if endpoint is None else (endpoint,)
        updated = {
            name: FaultRates.model_validate({**self.rates[name].model_dump(), **rates}) for name in targets
        }
        self.rates.update(updated)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: rates.model_dump(mode="json") for name, rates in self.rates.items()}

    def roll(self, probability: float) -> bool:
        """True with ``probability``; draws only when the outcome is not certain."""
        if probability <= 0.0:
            return False
        if probability >= 1.0:
            return True
        return self.rng.random() < probability

    def error_status(self, endpoint: str) -> int | None:
        rates = self.rates[endpoint]
        if not self.roll(rates.error_rate):
            return None
        return self.rng.choice(rates.error_statuses)

    def fraction(self) -> float:
        return self.rng.random()
