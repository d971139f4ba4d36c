"""
Orders, their lifecycle and the clock that drives it.

An order's lifecycle is planned when it is created, as a list of timed transitions
(``queued`` now, ``running`` later, then its outcome), and its state is read from the clock:
nothing has to run for an order to progress, and moving the clock forward (``advance``) moves
every order with it. Cancelling or forcing a state rewrites the plan from the current instant.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_planet_orders.core.api import CLOUD_TARGETS as API_CLOUD_TARGETS
from airflow_provider_planet_orders.core.api import TERMINAL_STATES
from airflow_provider_planet_orders.emulator.files import FileSpec

#: An item id (or a basemap's mosaic name) containing this marker is unavailable: a ``full``
#: order with one fails, a ``partial`` order ends ``partial`` without it. Case-insensitive.
UNAVAILABLE_MARKER = "unavailable"

#: Cloud delivery targets: with one of them (or with ``hosting``) there are no download links.
#: ``destination`` (Planet's Destinations API, ``delivery.destination.ref``) is one; it is named
#: here too so that the emulator treats it so whether or not ``core.api``'s table lists it yet.
CLOUD_TARGETS = frozenset(API_CLOUD_TARGETS) | {"destination"}

MESSAGES = {
    "queued": "Preparing order",
    "running": "Processing order",
    "success": "Manifest delivery completed",
    "partial": "Manifest delivery completed; some products were unavailable",
    "failed": "Order failed: no product could be delivered",
    "cancelled": "Order cancelled",
}


class Clock:
    """Wall-clock time plus an offset that ``advance`` moves forward; never backward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Epoch seconds, floored to the millisecond: the precision of every timestamp shown."""
        return math.floor((time.time() + self.offset) * 1000) / 1000

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds


def format_time(epoch: float) -> str:
    """RFC 3339 in UTC with milliseconds, as Planet writes timestamps."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> float:
    """Epoch seconds from an RFC 3339 instant (``Z`` or an offset; a date-time, not a date)."""
    value = text.strip()
    if "T" not in value.upper():
        raise ValueError(f"{text!r} is not an RFC 3339 date-time")
    if value[-1:] in ("z", "Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment.timestamp()


def millis(epoch: float) -> float:
    """Round to the millisecond: timestamps are shown, and filtered, at that precision."""
    return round(epoch, 3)


#: The smallest step between two transitions: timestamps are shown to the millisecond, and
#: ``last_modified`` must change on every transition.
TICK = 0.001


@dataclass
class Transition:
    """
    A state an order enters ``at`` (its ``last_modified`` from then on).

    ``effective`` is set when ``at`` had to be pushed a tick past the previous transition (two
    changes within one millisecond): the state applies from ``effective``, at once.
    """

    at: float
    state: str
    message: str | None = None
    effective: float | None = None

    @property
    def since(self) -> float:
        return self.at if self.effective is None else self.effective


@dataclass
class Order:
    """One order: who owns it, what was asked, and its planned (or rewritten) lifecycle."""

    id: str
    owner: str  # fingerprint of the API key that created it
    request: dict[str, Any]
    created: float
    transitions: list[Transition]
    files: list[FileSpec]
    unavailable: list[str]
    base_url: str
    webhook_url: str | None = None
    webhook_sent: bool = False
    hints: list[str] = field(default_factory=list)

    def current(self, now: float) -> Transition:
        """The last transition at or before ``now``: the order's state and since when."""
        current = self.transitions[0]
        for transition in self.transitions:
            if transition.since > now:
                break
            current = transition
        return current

    def state(self, now: float) -> str:
        return self.current(now).state

    def finished_at(self) -> float | None:
        """When the order reaches (or reached) a terminal state, as planned now."""
        last = self.transitions[-1]
        return last.at if last.state in TERMINAL_STATES else None

    @property
    def name(self) -> str:
        return str(self.request.get("name", ""))

    @property
    def source_type(self) -> str:
        return str(self.request.get("source_type", "scenes"))

    @property
    def has_hosting(self) -> bool:
        return bool(self.request.get("hosting"))

    @property
    def links_enabled(self) -> bool:
        """Whether results are downloadable: not with a cloud delivery or a hosting block."""
        delivery = self.request.get("delivery") or {}
        return not self.has_hosting and not (CLOUD_TARGETS & set(delivery))


def _unavailable(text: str) -> bool:
    return UNAVAILABLE_MARKER in text.lower()


def plan_files(order_id: str, request: dict[str, Any], file_size: int) -> tuple[list[FileSpec], list[str]]:
    """
    The files an order delivers, and a hint for each unavailable product.

    Scenes: one GeoTIFF per available item, ``<item_type>/<item_id>_<bundle>.tif``. Basemaps:
    one per available mosaic, ``<mosaic_name>/<mosaic_name>_quad.tif``.
    """
    files: list[FileSpec] = []
    hints: list[str] = []
    for product in request.get("products", []):
        if "mosaic_name" in product:
            mosaic = str(product["mosaic_name"])
            if _unavailable(mosaic):
                hints.append(f"Mosaic {mosaic} is unavailable")
                continue
            files.append(
                FileSpec(
                    f"{order_id}/{mosaic}/{mosaic}_quad.tif",
                    file_size,
                    "image/tiff",
                    {"planet/mosaic_name": mosaic},
                )
            )
            continue
        item_type = str(product.get("item_type", ""))
        bundle = str(product.get("product_bundle", "")).split(",")[0].strip()
        for item_id in product.get("item_ids", []):
            if _unavailable(str(item_id)):
                hints.append(f"Item {item_type}/{item_id} is unavailable for bundle {bundle}")
                continue
            files.append(
                FileSpec(
                    f"{order_id}/{item_type}/{item_id}_{bundle}.tif",
                    file_size,
                    "image/tiff",
                    {
                        "planet/asset_type": bundle,
                        "planet/bundle_type": bundle,
                        "planet/item_id": str(item_id),
                        "planet/item_type": item_type,
                    },
                )
            )
    return files, hints


def outcome(request: dict[str, Any], files: list[FileSpec], hints: list[str]) -> str:
    """The terminal state an order reaches on its own: Planet's rules for unavailable products."""
    if not hints:
        return "success"
    if request.get("order_type") == "partial" and files:
        return "partial"
    return "failed"


class OrderStore:
    """Every order of the emulator, for every key; callers hold the emulator's lock."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.pending_webhooks: set[str] = set()

    def create(
        self,
        *,
        owner: str,
        request: dict[str, Any],
        now: float,
        queued_for: float,
        running_for: float,
        file_size: int,
        base_url: str,
    ) -> Order:
        order_id = str(uuid.uuid4())
        files, hints = plan_files(order_id, request, file_size)
        end = outcome(request, files, hints)
        created = millis(now)
        running = max(millis(created + queued_for), millis(created + TICK))
        transitions = [
            Transition(created, "queued"),
            Transition(running, "running"),
            Transition(max(millis(running + running_for), millis(running + TICK)), end),
        ]
        webhook = ((request.get("notifications") or {}).get("webhook") or {}).get("url")
        order = Order(
            id=order_id,
            owner=owner,
            request=request,
            created=created,
            transitions=transitions,
            files=files,
            unavailable=hints,
            base_url=base_url,
            webhook_url=str(webhook) if webhook else None,
            hints=hints,
        )
        self.orders[order_id] = order
        if order.webhook_url:
            self.pending_webhooks.add(order_id)
        return order

    def get(self, order_id: str, owner: str | None = None) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or (owner is not None and order.owner != owner):
            return None
        return order

    def owned(self, owner: str) -> Iterable[Order]:
        return (o for o in self.orders.values() if o.owner == owner)

    def cancel(self, order: Order, now: float) -> bool:
        """Cancel ``order`` if it is queued at ``now``; return whether it was."""
        if order.state(now) != "queued":
            return False
        self._rewrite(order, now, [Transition(millis(now), "cancelled")])
        return True

    def force(
        self,
        order: Order,
        state: str,
        now: float,
        *,
        hold: bool,
        message: str | None,
        queued_for: float,
        running_for: float,
    ) -> None:
        """
        Put ``order`` in ``state`` now. Unless ``hold``, a queued or running order then carries on
        with the configured durations towards its planned outcome.
        """
        at = millis(now)
        planned_end = order.transitions[-1].state
        if planned_end not in ("success", "partial", "failed"):
            planned_end = outcome(order.request, order.files, order.hints)
        plan = [Transition(at, state, message)]
        if not hold and state == "queued":
            plan.append(Transition(millis(at + max(queued_for, TICK)), "running"))
        if not hold and state in ("queued", "running"):
            plan.append(Transition(millis(plan[-1].at + max(running_for, TICK)), planned_end))
        if state == "failed" and not order.hints:
            order.hints = [message or "Order failed (state forced by the emulator)"]
        self._rewrite(order, now, plan)

    def _rewrite(self, order: Order, now: float, plan: list[Transition]) -> None:
        """Replace what has not happened yet by ``plan``, which starts now."""
        kept = [t for t in order.transitions if t.since <= now]
        previous = kept[-1].at if kept else None
        for index, transition in enumerate(plan):
            if previous is not None and transition.at <= previous:
                # Two changes within one millisecond: show this one a tick later, apply it now.
                transition.at = millis(previous + TICK)
                if index == 0:
                    transition.effective = now
            previous = transition.at
        order.transitions = kept + plan
        if order.webhook_url:
            order.webhook_sent = False
            self.pending_webhooks.add(order.id)

    def counts(self, now: float, owner: str | None = None) -> dict[str, int]:
        """Queued and running orders, of one key or of everyone."""
        queued = running = 0
        for order in self.orders.values():
            if owner is not None and order.owner != owner:
                continue
            state = order.state(now)
            if state == "queued":
                queued += 1
            elif state == "running":
                running += 1
        return {"queued_orders": queued, "running_orders": running}

    def due_webhooks(self, now: float) -> tuple[list[Order], float | None]:
        """Orders whose completion must be notified now, and when the next one is due."""
        due: list[Order] = []
        upcoming: float | None = None
        for order_id in list(self.pending_webhooks):
            order = self.orders.get(order_id)
            finished = order.finished_at() if order else None
            if order is None or order.webhook_sent or finished is None:
                self.pending_webhooks.discard(order_id)
                continue
            if finished <= now:
                order.webhook_sent = True
                self.pending_webhooks.discard(order_id)
                due.append(order)
            elif upcoming is None or finished < upcoming:
                upcoming = finished
        return due, upcoming
