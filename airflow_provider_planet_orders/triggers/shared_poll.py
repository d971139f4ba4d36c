"""
One connection's order changes, listed once per poll interval and routed to the triggers that wait.

Planet allows 3 get-order requests per second per key: a thousand waits polling one order each
would need 33. Instead, :func:`poll_order_changes` lists, once per interval, the orders whose
``last_modified`` moved since the previous listing (by Planet's own clock, minus a margin for late
listings), one request per 100 changed orders.

On Airflow 3.3+ the triggerer's shared streams run that poll once for every trigger of a connection
and interval (:func:`run_shared_poll` is the stream's producer), and a :class:`ChangeHub` hands each
changed order to the waits of that order only. The stream itself carries what concerns every
subscriber (a failed listing); a broadcast of each listing would wake every wait at every poll, so
the triggerer's CPU per interval would grow with the number of waits rather than with the number
of changes.

The hub also decides when the listing cannot vouch for a wait: a wait that joins after the window
opened, or whose safety check is due, is checked either by a direct look at its order or, when
that costs fewer requests, by one listing of the key's unfinished orders (a *sweep*) that checks
every wait at once: after a triggerer restart a thousand waits cost ten list requests, not a
thousand gets.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from airflow_provider_planet_orders.core.api import TERMINAL_STATES, UNFINISHED_STATES
from airflow_provider_planet_orders.core.orders import compact_order, order_state
from airflow_provider_planet_orders.core.policy import is_transient
from airflow_provider_planet_orders.exceptions import PlanetOrdersError

log = logging.getLogger(__name__)

#: Longest pause between two polls after transient errors.
MAX_ERROR_BACKOFF = 300.0
#: Seconds subtracted from the first listing window, for clock skew between Planet and the triggerer.
SKEW_MARGIN = 120.0
#: Seconds of changes each later listing reads again, for changes Planet lists late.
LAG_MARGIN = 30.0
#: Default seconds between two safety checks of one order while the shared poll watches it.
DEFAULT_SAFETY_POLL_INTERVAL = 1800.0
#: Orders per page of the change listing and of a sweep (Planet's page size).
CHANGES_PAGE_SIZE = 100


def hook_for(planet_conn_id: str) -> Any:
    """The async hook of a connection."""
    # Imported here: the hook module brings requests and tenacity, which DAG parsing need not load.
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook

    return PlanetOrdersAsyncHook(planet_conn_id=planet_conn_id)


def stream_key(planet_conn_id: str, poll_interval: float) -> Hashable:
    """The key of the shared poll that every trigger of a connection and interval reads."""
    return ("airflow-provider-planet-orders", "order-changes", planet_conn_id, float(poll_interval))


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def _timestamp(value: Any) -> float | None:
    """Unix time of an RFC 3339 timestamp as Planet writes it, or None."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


async def poll_order_changes(
    planet_conn_id: str,
    poll_interval: float,
    since: float | None = None,
    *,
    margin: float = SKEW_MARGIN,
    lag: float = LAG_MARGIN,
    hook: Any = None,
) -> AsyncIterator[dict[str, Any]]:
    """
    Yield, once per ``poll_interval``, the orders of the key whose ``last_modified`` moved.

    Raw events: ``{"kind": "changes", "window_start", "covers_since", "polled_at", "orders",
    "by_id"}``, where ``orders`` lists each changed order once (compact) and ``by_id`` indexes
    them; it comes even when nothing changed. A wait that last saw its order at ``covers_since`` or
    later (client time) can rely on this listing and the next ones. ``{"kind": "error",
    "transient", "message", "http_status"}`` when a listing failed. It runs until cancelled.

    The first window starts at ``since`` (client time) minus ``margin`` for clock skew. Each next
    one starts at the newest ``last_modified`` the previous listing showed (Planet's own clock)
    minus ``lag``, for changes Planet lists late: a poll re-reads only the last ``lag`` seconds of
    changes, whatever the number of waits.

    :param since: Unix time the first window starts at (before the margin); now by default.
    :param hook: The async hook to list with, left open; by default one of its own, closed at the end.
    """
    own = hook is None
    hook = hook_for(planet_conn_id) if own else hook
    window_start = (time.time() if since is None else since) - margin
    failures = 0
    try:
        while True:
            started = time.time()
            try:
                # created_on, not last_modified: a key that moves while pages are read would
                # repeat some orders and skip others.
                listed = [
                    compact_order(order)
                    async for order in hook.list_orders(
                        last_modified=(_utc(window_start), None),
                        source_type="all",
                        sort_by="created_on ASC",
                        page_size=CHANGES_PAGE_SIZE,
                    )
                ]
            except PlanetOrdersError as err:
                failures += 1
                yield {
                    "kind": "error",
                    "transient": is_transient(err),
                    "message": str(err),
                    "http_status": getattr(err, "status", None),
                }
                await asyncio.sleep(min(MAX_ERROR_BACKOFF, poll_interval * 2 ** min(failures, 8)))
                continue
            failures = 0
            by_id: dict[str, dict[str, Any]] = {}
            newest: float | None = None
            for order in listed:
                by_id[str(order.get("id"))] = order  # a later, fresher copy wins
                modified = _timestamp(order.get("last_modified"))
                if modified is not None and (newest is None or modified > newest):
                    newest = modified
            yield {
                "kind": "changes",
                "window_start": window_start,
                "covers_since": window_start + margin,
                "polled_at": started,
                "orders": list(by_id.values()),
                "by_id": by_id,
            }
            if newest is not None:
                window_start = max(window_start, newest - lag)
            await asyncio.sleep(max(0.0, poll_interval - (time.time() - started)))
    finally:
        if own:
            await hook.aclose()


async def list_unfinished_orders(hook: Any) -> list[dict[str, Any]]:
    """
    Every queued or running order of the hook's key, compact: one request per 100 of them.

    An order waited for and missing from this listing has finished.
    """
    return [
        compact_order(order)
        async for order in hook.list_orders(
            state=UNFINISHED_STATES,
            source_type="all",
            sort_by="created_on ASC",
            page_size=CHANGES_PAGE_SIZE,
        )
    ]


# -- routing --------------------------------------------------------------------------------------

#: What reaches a subscription's inbox: from the hub, ``("order", compact order)`` when the order
#: changed, ``("look", None)`` when the wait must look at its order itself, ``("changes", raw)``
#: (watchers: every listing); from the shared stream, ``("broadcast", raw)``, and ``("failed",
#: error)`` when it ended; ``("deadline", None)`` from the wait's own timer.
Message = tuple[str, Any]


@dataclass(eq=False)
class Subscription:
    """
    One trigger's place in a hub.

    A wait names its order (``order_id``); a watcher (``order_id=None``) gets every listing.
    """

    order_id: str | None = None
    last_seen: float | None = None
    end_states: frozenset[str] = TERMINAL_STATES
    safety_interval: float = DEFAULT_SAFETY_POLL_INTERVAL
    inbox: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    #: When the next safety check is due (Unix time); entries in the hub's heap with another value
    #: are stale.
    due: float = math.inf
    active: bool = True


class ChangeHub:
    """
    Routes one shared change listing to the subscriptions that need it.

    Per poll, the work is proportional to the orders that changed and to the waits to check, not
    to the waits that only wait: a wait sleeps on its inbox until its own order shows up. One hub
    per stream key and event loop (:func:`hub_for`); it does no I/O.
    """

    def __init__(self) -> None:
        self._waits: dict[str, list[Subscription]] = {}
        self._watchers: list[Subscription] = []
        self._joined: list[Subscription] = []
        self._due: list[tuple[float, int, Subscription]] = []
        self._order = itertools.count()
        #: Orders the last sweep listed, to tell whether the next one pays; None before the first.
        self._unfinished: int | None = None
        #: Producers (shared polls) feeding this hub: briefly two while a group is replaced.
        self.producers = 0

    # -- membership ---------------------------------------------------------------------------------

    def join(self, sub: Subscription) -> Subscription:
        """Add a subscription; a wait is checked at the next poll unless the listing covers it."""
        if sub.order_id is None:
            self._watchers.append(sub)
            return sub
        self._waits.setdefault(sub.order_id, []).append(sub)
        self._joined.append(sub)
        self._schedule(sub, time.time() + sub.safety_interval)
        return sub

    def leave(self, sub: Subscription) -> None:
        """Remove a subscription (its stale entries in the queues are skipped later)."""
        sub.active = False
        if sub.order_id is None:
            if sub in self._watchers:
                self._watchers.remove(sub)
            return
        same = self._waits.get(sub.order_id, [])
        if sub in same:
            same.remove(sub)
        if not same:
            self._waits.pop(sub.order_id, None)

    def recheck(self, sub: Subscription) -> None:
        """Check a wait again at the next poll (its direct look failed for a transient reason)."""
        if sub.active and sub.order_id is not None:
            sub.last_seen = None
            self._joined.append(sub)

    def waits(self) -> list[Subscription]:
        """Every active wait, in no particular order."""
        return [sub for subs in self._waits.values() for sub in subs]

    def is_idle(self) -> bool:
        """Nothing subscribed and nothing producing: the hub can be forgotten."""
        return not self._waits and not self._watchers and self.producers == 0

    # -- one poll -----------------------------------------------------------------------------------

    def route(self, raw: dict[str, Any]) -> None:
        """Hand one listing to the waits of the orders in it and to every watcher."""
        waits = self._waits
        for order in raw["orders"]:
            for sub in waits.get(str(order.get("id")), ()):
                sub.inbox.put_nowait(("order", order))
        for sub in self._watchers:
            sub.inbox.put_nowait(("changes", raw))

    def to_check(self, covers_since: float, now: float) -> list[Subscription]:
        """
        Waits the listing cannot vouch for.

        A wait that joined since the last poll and last saw its order before ``covers_since`` (its
        order may have changed before the window opened), and a wait whose safety check is due.
        """
        found: dict[int, Subscription] = {}
        joined, self._joined = self._joined, []
        for sub in joined:
            if sub.active and (sub.last_seen is None or sub.last_seen < covers_since):
                found[id(sub)] = sub
        while self._due and self._due[0][0] <= now:
            due, _, sub = heapq.heappop(self._due)
            if sub.active and sub.due == due:
                found[id(sub)] = sub
        return list(found.values())

    def sweep_pays(self, count: int) -> bool:
        """Whether one listing of the unfinished orders costs fewer requests than ``count`` gets."""
        expected = len(self._waits) if self._unfinished is None else self._unfinished
        return count > max(1, math.ceil(expected / CHANGES_PAGE_SIZE))

    def look(self, subs: Iterable[Subscription], now: float) -> None:
        """Ask each wait to look at its order itself."""
        for sub in subs:
            if sub.active:
                self._schedule(sub, now + sub.safety_interval)
                sub.inbox.put_nowait(("look", None))

    def swept(self, subs: Iterable[Subscription], unfinished: list[dict[str, Any]], now: float) -> None:
        """
        Check ``subs`` against a listing of every unfinished order of the key, made after they joined.

        A wait whose order is missing from it looks at its order (it finished, or the listing does
        not show it); one whose order is in a state that ends the wait gets the order; every other
        one is covered by the change listings from here on.
        """
        by_id = {str(order.get("id")): order for order in unfinished}
        self._unfinished = len(by_id)
        for sub in subs:
            if not sub.active or sub.order_id is None:
                continue
            order = by_id.get(sub.order_id)
            if order is None:
                sub.inbox.put_nowait(("look", None))
            elif order_state(order) in sub.end_states:
                sub.inbox.put_nowait(("order", order))
            sub.due = now + sub.safety_interval
        # Every wait has a new due time: rebuild the queue once rather than push N entries.
        self._due = [(sub.due, next(self._order), sub) for sub in self.waits()]
        heapq.heapify(self._due)

    def _schedule(self, sub: Subscription, due: float) -> None:
        sub.due = due
        heapq.heappush(self._due, (due, next(self._order), sub))


_HUBS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, ChangeHub]] = (
    weakref.WeakKeyDictionary()
)


def hub_for(key: Hashable) -> ChangeHub:
    """The hub of a stream key in the running event loop (the triggerer's), created on first use."""
    hubs = _HUBS.setdefault(asyncio.get_running_loop(), {})
    hub = hubs.get(key)
    if hub is None:
        hub = hubs[key] = ChangeHub()
    return hub


def release_hub(key: Hashable, hub: ChangeHub) -> None:
    """Forget a hub once nothing uses it."""
    hubs = _HUBS.get(asyncio.get_running_loop(), {})
    if hub.is_idle() and hubs.get(key) is hub:
        del hubs[key]


async def run_shared_poll(
    key: Hashable,
    changes: AsyncIterator[dict[str, Any]],
    sweep: Callable[[], Awaitable[list[dict[str, Any]]]],
) -> AsyncIterator[dict[str, Any]]:
    """
    The shared stream's producer: route each listing of ``changes`` through the key's hub.

    Yields only what every subscriber must see (a failed listing). After each listing, the waits
    the listing cannot vouch for are checked: by a direct look each, or by one ``sweep`` (a listing
    of the unfinished orders) when that takes fewer requests. A failed sweep checks them again at
    the next poll.
    """
    hub = hub_for(key)
    hub.producers += 1
    try:
        async for raw in changes:
            if raw.get("kind") != "changes":
                yield raw
                continue
            hub.route(raw)
            now = time.time()
            check = hub.to_check(raw["covers_since"], now)
            if not check:
                continue
            if not hub.sweep_pays(len(check)):
                hub.look(check, now)
                continue
            everyone = hub.waits()
            try:
                unfinished = await sweep()
            except PlanetOrdersError as err:
                log.warning("Listing the unfinished orders failed (%s); checking again next poll", err)
                for sub in check:
                    hub.recheck(sub)
                continue
            hub.swept(everyone, unfinished, time.time())
    finally:
        hub.producers -= 1
        release_hub(key, hub)


async def pump(shared_stream: AsyncIterator[Any], inbox: asyncio.Queue[Message]) -> None:
    """Move what the shared stream carries into a subscription's inbox; its end, as ``failed``."""
    try:
        async for raw in shared_stream:
            inbox.put_nowait(("broadcast", raw))
    except Exception as err:  # the stream's own failure: the trigger fails with it
        inbox.put_nowait(("failed", err))
    else:
        inbox.put_nowait(("failed", RuntimeError("the shared order poll ended")))
