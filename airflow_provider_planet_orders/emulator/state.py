"""
The emulator's state and every operation on it, for the routes and for the in-process handle.

Routes run on the server's event loop; the handle (``advance``, ``set_faults``, ...) runs in the
test's thread. Both go through :class:`Emulator`, whose methods take one lock for microseconds
and never await while holding it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from airflow_provider_planet_orders.core.api import ORDER_STATES, ORDERS_PATH, SUCCESS_STATES
from airflow_provider_planet_orders.emulator.config import ENDPOINTS, FAULT_FIELDS, EmulatorConfig
from airflow_provider_planet_orders.emulator.faults import FaultInjector
from airflow_provider_planet_orders.emulator.files import FileSpec, LinkSigner, manifest
from airflow_provider_planet_orders.emulator.listing import ListQuery, select
from airflow_provider_planet_orders.emulator.ratelimit import TokenBuckets
from airflow_provider_planet_orders.emulator.stats import Stats
from airflow_provider_planet_orders.emulator.store import (
    MESSAGES,
    Clock,
    Order,
    OrderStore,
    format_time,
)

DOWNLOAD_PATH = "/compute/ops/download/"
#: Webhook payloads the sink route keeps, newest last.
_SINK_SIZE = 1000


def fingerprint(api_key: str) -> str:
    """How keys are named in statistics and logs: never the key itself."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]


class UnknownOrder(LookupError):
    pass


def ready_count(order: Order, now: float) -> int:
    """
    How many of the order's results (its files, then the manifest) are delivered at ``now``.

    All once the order succeeded (or partly); while it runs towards success, file ``i`` of ``n``
    is ready ``(i + 1) / (n + 1)`` of the way through the running time, and the manifest only at
    the end; none while it is queued, held running, failing, failed or cancelled.
    """
    current = order.current(now)
    total = len(order.files) + 1
    if current.state in SUCCESS_STATES:
        return total
    if current.state != "running":
        return 0
    after = next((t for t in order.transitions if t.since > now), None)
    if after is None or after.state not in SUCCESS_STATES or after.since <= current.since:
        return 0
    fraction = (now - current.since) / (after.since - current.since)
    return max(0, min(total - 1, int(fraction * total)))


class QueueFull(RuntimeError):
    """The organisation already holds as many queued orders as Planet allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


@dataclass(frozen=True)
class Download:
    """A verified download: the file, and the key whose rate limit it counts against."""

    order: Order
    spec: FileSpec
    owner: str


class Emulator:
    """One emulator's orders, clock, limits, faults and statistics."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.RLock()
        self.initial_config = config
        self.config = config
        self.clock = Clock()
        self.store = OrderStore()
        self.buckets = TokenBuckets()
        self.faults = FaultInjector(config.fault_rates(), config.seed)
        self.stats = Stats()
        self.signer = LinkSigner(os.urandom(32))
        self._jitter = self._jitter_rng()
        self._keys = {fingerprint(k): k for k in config.api_keys}
        self._outage_until = 0.0
        self._manifests: dict[str, FileSpec] = {}
        self._sink: list[Any] = []
        self._tokens: dict[str, tuple[str, float]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.executor: Executor | None = None
        self.wake: Callable[[], None] = lambda: None

    def _jitter_rng(self) -> random.Random:
        seed = self.config.seed
        return random.Random(f"jitter:{seed}") if seed is not None else random.Random()

    def notify(self) -> None:
        """Tell the webhook task that a completion time may have changed; safe from any thread."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.wake)

    # -- control ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the state of a fresh emulator with the configuration it started with."""
        with self._lock:
            self.config = self.initial_config
            self.clock = Clock()
            self.store = OrderStore()
            self.buckets.reset()
            self.faults.reset(self.config.fault_rates())
            self.faults.reseed(self.config.seed)
            self.stats = Stats()
            self._jitter = self._jitter_rng()
            self._keys = {fingerprint(k): k for k in self.config.api_keys}
            self._outage_until = 0.0
            self._manifests.clear()
            self._sink.clear()
            self._tokens.clear()
        self.notify()

    def configure(self, **options: Any) -> EmulatorConfig:
        """Change settings of the running emulator; existing orders keep their planned lifecycle."""
        with self._lock:
            config = self.config.updated(**options)
            fault_options = {k: v for k, v in options.items() if k in FAULT_FIELDS}
            if fault_options:
                self.faults.set(None, **fault_options)
            self.config = config
            if "seed" in options:
                self._jitter = self._jitter_rng()
                self.faults.reseed(config.seed)
            self._keys = {fingerprint(k): k for k in config.api_keys}
            return config

    def advance(self, seconds: float) -> float:
        with self._lock:
            self.clock.advance(seconds)
            now = self.clock.now()
        self.notify()
        return now

    def outage(self, seconds: float) -> float:
        """Drop every connection to a Planet path for ``seconds`` (of real time); 0 ends it."""
        if seconds < 0:
            raise ValueError("an outage lasts 0 seconds or more")
        with self._lock:
            self._outage_until = time.monotonic() + seconds if seconds else 0.0
            return seconds

    def outage_remaining(self) -> float:
        return max(0.0, self._outage_until - time.monotonic())

    def in_outage(self) -> bool:
        return self._outage_until > 0.0 and time.monotonic() < self._outage_until

    def set_faults(self, endpoint: str | None = None, **rates: Any) -> dict[str, dict[str, Any]]:
        with self._lock:
            self.faults.set(endpoint, **rates)
            return self.faults.snapshot()

    def clear_faults(self) -> dict[str, dict[str, Any]]:
        """Every endpoint back to the configured fault settings."""
        with self._lock:
            self.faults.rates = dict.fromkeys(ENDPOINTS, self.config.fault_rates())
            return self.faults.snapshot()

    def fault_settings(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return self.faults.snapshot()

    def force_state(
        self, order_id: str, state: str, *, hold: bool = False, message: str | None = None, base_url: str
    ) -> dict[str, Any]:
        if state not in ORDER_STATES:
            raise ValueError(f"{state!r} is not one of {', '.join(ORDER_STATES)}")
        with self._lock:
            order = self.store.get(order_id)
            if order is None:
                raise UnknownOrder(order_id)
            now = self.clock.now()
            self.store.force(
                order,
                state,
                now,
                hold=hold,
                message=message,
                queued_for=self.config.queued_seconds,
                running_for=self.config.running_seconds,
            )
            body = self.render(order, base_url, now)
        self.notify()
        return body

    def due_webhooks(self) -> tuple[list[tuple[Order, dict[str, Any]]], float | None, float]:
        """Orders to notify now with their JSON, when the next is due, and the current time."""
        with self._lock:
            now = self.clock.now()
            due, upcoming = self.store.due_webhooks(now)
            return [(o, self.render(o, o.base_url, now)) for o in due], upcoming, now

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            snapshot = self.stats.snapshot()
            snapshot["orders"] = {"total": len(self.store.orders), **self.store.counts(self.clock.now())}
            return snapshot

    def clock_info(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock.now()
            return {"now": format_time(now), "offset_seconds": self.clock.offset}

    def public_config(self) -> dict[str, Any]:
        """The configuration without keys or client secrets (control routes need no key)."""
        with self._lock:
            shown = self.config.model_dump(mode="json", exclude={"api_keys", "oauth_clients"})
            shown["api_key_fingerprints"] = sorted(self._keys)
            shown["oauth_client_ids"] = sorted(self.config.oauth_clients)
            return shown

    def receive_webhook(self, payload: Any) -> None:
        with self._lock:
            self._sink.append(payload)
            del self._sink[:-_SINK_SIZE]

    def received_webhooks(self) -> list[Any]:
        with self._lock:
            return list(self._sink)

    # -- faults --------------------------------------------------------------------------------------

    def decide_faults(self, endpoint: str) -> tuple[float, int | None, bool]:
        """``(latency in seconds, error status or None, drop?)`` for one request to ``endpoint``."""
        with self._lock:
            rates = self.faults.rates[endpoint]
            latency = rates.latency_ms / 1000.0
            if latency:
                self.stats.faults["latency"] += 1
            status = self.faults.error_status(endpoint)
            if status is not None:
                self.stats.faults["error"] += 1
                return latency, status, False
            return latency, None, self.faults.roll(rates.drop_rate)

    def decide_commit_drop(self) -> bool:
        with self._lock:
            return self.faults.roll(self.faults.rates["create"].create_commit_drop_rate)

    def decide_download_faults(self, length: int) -> tuple[int | None, int | None]:
        """Where to drop a download of ``length`` bytes, and which byte to corrupt (or None)."""
        with self._lock:
            rates = self.faults.rates["download"]
            drop_at = corrupt_at = None
            if length > 0 and self.faults.roll(rates.download_drop_rate):
                drop_at = int(self.faults.fraction() * length)
            if length > 0 and self.faults.roll(rates.download_corrupt_rate):
                corrupt_at = int(self.faults.fraction() * length)
            return drop_at, corrupt_at

    # -- accounting --------------------------------------------------------------------------------

    def record_request(self, endpoint: str, status: int | str, *, replacing: int | str | None = None) -> None:
        """Count a request; ``replacing`` takes back a status counted earlier for it."""
        with self._lock:
            if replacing is not None:
                self.stats.request(endpoint, replacing, -1)
            self.stats.request(endpoint, status)

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.stats.faults[kind] += 1

    def record_bytes(self, owner: str, count: int) -> None:
        with self._lock:
            self.stats.bytes_served += count
            self.stats.bytes_by_key[owner] += count

    def record_download_completed(self) -> None:
        with self._lock:
            self.stats.downloads_completed += 1

    def record_webhook(self, delivered: bool) -> None:
        with self._lock:
            self.stats.webhooks["delivered" if delivered else "failed"] += 1

    # -- the API -------------------------------------------------------------------------------------

    def authenticate(self, api_key: str | None) -> str | None:
        """The key's fingerprint if it is one of the emulator's keys."""
        if not api_key:
            return None
        owner = fingerprint(api_key)
        return owner if self._keys.get(owner) == api_key else None

    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, float] | None:
        """
        An access token for a known OAuth2 client, and its lifetime in seconds; ``None`` for
        wrong credentials. The token acts as a user of its own, named after the client.
        """
        with self._lock:
            known = self.config.oauth_clients.get(client_id)
            if known is None or not secrets.compare_digest(known, client_secret):
                return None
            token = secrets.token_urlsafe(32)
            ttl = self.config.token_ttl
            now = self.clock.now()
            # Forget expired tokens now and then, so that a long run does not pile them up.
            if len(self._tokens) > 1000:
                self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (fingerprint(f"oauth-client:{client_id}"), now + ttl)
            self.stats.tokens_issued += 1
            return token, ttl

    def authenticate_token(self, token: str | None) -> str | None:
        """The owner a bearer token acts as, if this emulator issued it and it has not expired."""
        if not token:
            return None
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None or entry[1] <= self.clock.now():
                return None
            return entry[0]

    def take_token(self, owner: str, endpoint: str) -> int | None:
        """``None`` if the request may go on, else the seconds to put in ``Retry-After``."""
        if not self.config.rate_limits:
            return None
        with self._lock:
            return self.buckets.take(owner, endpoint, self.config.rate_limit_per_second[endpoint])

    def create_order(self, owner: str, request: dict[str, Any], base_url: str) -> dict[str, Any]:
        with self._lock:
            config = self.config
            spread = config.duration_jitter
            factor = (lambda: 1.0 + self._jitter.uniform(-spread, spread)) if spread else (lambda: 1.0)
            now = self.clock.now()
            # Counting is a scan: only done once the organisation could be at the limit.
            limit = config.max_queued_orders
            if len(self.store.orders) >= limit and self.store.counts(now)["queued_orders"] >= limit:
                raise QueueFull(limit)
            order = self.store.create(
                owner=owner,
                request=request,
                now=now,
                queued_for=config.queued_seconds * factor(),
                running_for=config.running_seconds * factor(),
                file_size=config.file_size,
                base_url=base_url,
            )
            self.stats.orders_created[owner] += 1
            body = self.render(order, base_url, now)
        if order.webhook_url:
            self.notify()
        return body

    def get_order(self, owner: str, order_id: str, base_url: str) -> dict[str, Any]:
        with self._lock:
            order = self.store.get(order_id, owner)
            if order is None:
                raise UnknownOrder(order_id)
            return self.render(order, base_url, self.clock.now())

    def cancel_order(self, owner: str, order_id: str, base_url: str) -> tuple[bool, dict[str, Any]]:
        """Cancel a queued order: ``(True, order)``, or ``(False, order)`` when not queued."""
        with self._lock:
            order = self.store.get(order_id, owner)
            if order is None:
                raise UnknownOrder(order_id)
            now = self.clock.now()
            cancelled = self.store.cancel(order, now)
            body = self.render(order, base_url, now)
        if cancelled and order.webhook_url:
            self.notify()
        return cancelled, body

    def cancel_orders(self, owner: str, order_ids: list[str] | None) -> dict[str, Any]:
        """Bulk cancel; ``None`` cancels every queued order of the key."""
        failures: list[dict[str, str]] = []
        succeeded = 0
        with self._lock:
            now = self.clock.now()
            if order_ids is None:
                targets = [o for o in self.store.owned(owner) if o.state(now) == "queued"]
                order_ids = [o.id for o in targets]
            for order_id in order_ids:
                order = self.store.get(order_id, owner)
                if order is None:
                    failures.append({"order_id": order_id, "message": "Order not found"})
                elif self.store.cancel(order, now):
                    succeeded += 1
                else:
                    failures.append({"order_id": order_id, "message": "Order not in a cancellable state"})
        if succeeded:
            self.notify()
        return {
            "result": {
                "succeeded": {"count": succeeded},
                "failed": {"count": len(failures), "failures": failures},
            }
        }

    def order_stats(self, owner: str) -> dict[str, Any]:
        with self._lock:
            now = self.clock.now()
            return {"user": self.store.counts(now, owner), "organization": self.store.counts(now)}

    def list_orders(
        self, owner: str, query: ListQuery, base_url: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        with self._lock:
            now = self.clock.now()
            page, marker = select(self.store.owned(owner), query, now)
            # Planet's list pages carry no results: only a get of one order does.
            return [self.render(o, base_url, now, with_results=False) for o in page], marker

    def render(self, order: Order, base_url: str, now: float, *, with_results: bool = True) -> dict[str, Any]:
        """
        The order's JSON as Planet returns it: with results (and fresh download links) once it
        runs, unless ``with_results`` is false (list pages).
        """
        current = order.current(now)
        links: dict[str, Any] = {"_self": f"{base_url}{ORDERS_PATH}/{order.id}"}
        if with_results and (current.state in SUCCESS_STATES or current.state == "running"):
            links["results"] = self._results(order, base_url, now)
        hints = order.hints if current.state in ("partial", "failed") else []
        body: dict[str, Any] = {
            "_links": links,
            "id": order.id,
            "name": order.name,
            "created_on": format_time(order.created),
            "last_modified": format_time(current.at),
            "state": current.state,
            "last_message": current.message or MESSAGES[current.state],
            "error_hints": list(hints),
        }
        for key, value in order.request.items():
            body.setdefault(key, value)
        return body

    def _results(self, order: Order, base_url: str, now: float) -> list[dict[str, Any]]:
        """
        One entry per file and one for the manifest. While the order runs, files are delivered
        one after another (``delivery: "pending"``, without a link, until then), and the manifest
        last, when the order succeeds: a client must not take results for a finished order.
        """
        names = [spec.name for spec in order.files] + [f"{order.id}/manifest.json"]
        ready = ready_count(order, now)
        if not order.links_enabled:
            return [
                {"name": name, "delivery": "success" if index < ready else "pending"}
                for index, name in enumerate(names)
            ]
        expires = round(now + self.config.link_ttl, 3)
        expires_at = format_time(expires)
        results = []
        for index, name in enumerate(names):
            if index >= ready:
                results.append({"name": name, "delivery": "pending"})
                continue
            token = self.signer.sign(order.id, index, expires)
            results.append(
                {
                    "name": name,
                    "location": f"{base_url}{DOWNLOAD_PATH}?token={token}",
                    "delivery": "success",
                    "expires_at": expires_at,
                }
            )
        return results

    # -- downloads -----------------------------------------------------------------------------------

    def resolve_download(self, order_id: str, index: int) -> Download:
        """The file a verified token names, if its order still has results."""
        with self._lock:
            order = self.store.get(order_id)
            if order is None or not 0 <= index < ready_count(order, self.clock.now()):
                raise UnknownOrder(order_id)
            if index < len(order.files):
                return Download(order, order.files[index], order.owner)
            if index == len(order.files):
                cached = self._manifests.get(order.id)
                if cached is not None:
                    return Download(order, cached, order.owner)
                # The manifest is built outside the lock (it hashes); see manifest_for.
                return Download(
                    order, FileSpec(f"{order.id}/manifest.json", -1, "application/json"), order.owner
                )
        raise UnknownOrder(order_id)

    def manifest_for(self, order: Order) -> FileSpec:
        """Build (once) the order's manifest; hashes files, so call it off the event loop."""
        spec = manifest(order.id, order.files)
        with self._lock:
            return self._manifests.setdefault(order.id, spec)

    def now(self) -> float:
        with self._lock:
            return self.clock.now()
