"""
What clients really did: requests per endpoint and status, orders created, bytes served, faults.

``GET /_emulator/stats`` and ``handle.stats()`` return :meth:`Stats.snapshot`; tests and
benchmarks read it to count a client's requests and retries instead of trusting the client.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from airflow_provider_planet_orders.emulator.faults import FAULT_KINDS

#: Status recorded for a request whose connection was dropped before a complete response.
DROPPED = "dropped"


class Stats:
    """Counters; callers hold the emulator's lock."""

    def __init__(self) -> None:
        self.requests: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.orders_created: Counter[str] = Counter()
        self.bytes_served = 0
        self.bytes_by_key: Counter[str] = Counter()
        self.downloads_completed = 0
        self.faults: Counter[str] = Counter(dict.fromkeys(FAULT_KINDS, 0))
        self.webhooks: Counter[str] = Counter({"delivered": 0, "failed": 0})
        self.tokens_issued = 0

    def request(self, endpoint: str, status: int | str, count: int = 1) -> None:
        counts = self.requests[endpoint]
        counts[str(status)] += count
        if counts[str(status)] <= 0:
            del counts[str(status)]

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": {
                name: dict(sorted(counts.items())) for name, counts in sorted(self.requests.items())
            },
            "orders_created": {
                "total": sum(self.orders_created.values()),
                "by_key": dict(sorted(self.orders_created.items())),
            },
            "bytes_served": self.bytes_served,
            "bytes_served_by_key": dict(sorted(self.bytes_by_key.items())),
            "downloads_completed": self.downloads_completed,
            "faults": dict(self.faults),
            "webhooks": dict(self.webhooks),
            "tokens_issued": self.tokens_issued,
        }
