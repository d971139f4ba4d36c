"""
Triggers that wait in the triggerer for Planet orders.

:class:`PlanetOrderTrigger` waits for one order; operators and the sensor defer to it, so that an
hour-long order holds no worker slot. :class:`PlanetOrdersChangedTrigger` fires for every order of
a key that reaches a state, for event-driven scheduling (``AssetWatcher``).

**One poll for many waits.** On Airflow 3.3+, every trigger of one connection and poll interval in
a triggerer process shares one poll loop (the triggerer's shared streams): once per interval it
lists the orders whose ``last_modified`` moved, and each changed order reaches the waits of that
order only (:mod:`~airflow_provider_planet_orders.triggers.shared_poll`). A wait that joins late, or
whose safety check is due, is checked directly or by one listing of the unfinished orders. Where
shared streams are absent (older Airflow, ``dag.test``) each trigger polls its own order; both
paths fire identical events.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, Iterable
from typing import Any

from airflow.providers.common.compat.triggers import BaseEventTrigger
from airflow.triggers.base import TriggerEvent

from airflow_provider_planet_orders.core.api import ORDER_STATES, TERMINAL_STATES
from airflow_provider_planet_orders.core.build import validate_order_id
from airflow_provider_planet_orders.core.defaults import DEFAULT_CONN_ID
from airflow_provider_planet_orders.core.orders import order_event, order_state, watch_event
from airflow_provider_planet_orders.core.policy import is_transient
from airflow_provider_planet_orders.exceptions import PlanetConflictError, PlanetOrdersError
from airflow_provider_planet_orders.triggers import shared_poll
from airflow_provider_planet_orders.triggers.shared_poll import (
    DEFAULT_SAFETY_POLL_INTERVAL,
    MAX_ERROR_BACKOFF,
    Subscription,
)

#: Seconds between two progress lines of a wait whose order's state does not change.
PROGRESS_INTERVAL = 600.0


class _SharedChangesTrigger(BaseEventTrigger):
    """What every trigger that reads the shared change stream of a connection has in common."""

    planet_conn_id: str
    poll_interval: float

    def shared_stream_key(self) -> Hashable | None:
        # Read once by the triggerer (3.3+); equal keys share one poll loop.
        if not getattr(self, "share_polls", True):
            return None
        return shared_poll.stream_key(self.planet_conn_id, self.poll_interval)

    @classmethod
    def _order_changes(cls, kwargs: dict[str, Any], hook: Any) -> AsyncIterator[dict[str, Any]]:
        """The listings the shared poll routes: Planet's, once per interval."""
        return shared_poll.poll_order_changes(
            kwargs["planet_conn_id"], float(kwargs["poll_interval"]), kwargs.get("last_seen"), hook=hook
        )

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        # Run once per stream key by the triggerer, with the kwargs of the trigger that started it.
        key = shared_poll.stream_key(kwargs["planet_conn_id"], float(kwargs["poll_interval"]))
        # One hook for the listings and the sweeps: one connection lookup, one HTTP client.
        hook = shared_poll.hook_for(kwargs["planet_conn_id"])
        try:
            async for raw in shared_poll.run_shared_poll(
                key, cls._order_changes(kwargs, hook), lambda: shared_poll.list_unfinished_orders(hook)
            ):
                yield raw
        finally:
            await hook.aclose()

    @contextlib.asynccontextmanager
    async def _subscribed(
        self, shared_stream: AsyncIterator[Any], sub: Subscription
    ) -> AsyncIterator[tuple[shared_poll.ChangeHub, Subscription]]:
        """Join the key's hub for the time of the block; the shared stream feeds the same inbox."""
        key = shared_poll.stream_key(self.planet_conn_id, self.poll_interval)
        hub = shared_poll.hub_for(key)
        hub.join(sub)
        pumping = asyncio.ensure_future(shared_poll.pump(shared_stream, sub.inbox))
        try:
            yield hub, sub
        finally:
            hub.leave(sub)
            shared_poll.release_hub(key, hub)
            pumping.cancel()


class PlanetOrderTrigger(_SharedChangesTrigger):
    """
    Wait until one order reaches one of ``end_states`` or ``deadline`` passes; fire one event.

    The event is small: ``{"status", "order_id", "message"}``, where ``status`` is the order's
    state, or ``"timeout"`` or ``"error"`` (auth failure, unknown order), and ``message`` says why
    (Planet's ``last_message`` and error hints included). Transient API errors (429, 5xx, network)
    are retried with backoff and never end the wait. The wait logs each state change, and a
    progress line every ten minutes while nothing changes.

    :param order_id: The order to wait for.
    :param planet_conn_id: The ``planet`` connection.
    :param poll_interval: Seconds between polls.
    :param deadline: Wall-clock time (Unix seconds) after which the wait ends with ``timeout``.
    :param end_states: States that end the wait; Planet's terminal states by default.
    :param cancel_on_kill: Cancel the order when a user kills the deferred task (Airflow 3.3+).
    :param last_seen: Unix time the caller last saw the order in a state that does not end the
        wait; the shared stream covers changes after it without a direct look at the order.
    :param share_polls: Share one poll loop with the other waits of the connection (3.3+).
    :param safety_poll_interval: Seconds between safety checks of the order while sharing: a direct
        look, or one listing of the key's unfinished orders that checks many waits at once.
    """

    def __init__(
        self,
        order_id: str,
        planet_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        deadline: float | None = None,
        end_states: Iterable[str] | None = None,
        cancel_on_kill: bool = False,
        last_seen: float | None = None,
        share_polls: bool = True,
        safety_poll_interval: float = DEFAULT_SAFETY_POLL_INTERVAL,
    ) -> None:
        super().__init__()
        self.order_id = validate_order_id(order_id)
        self.planet_conn_id = planet_conn_id
        self.poll_interval = float(poll_interval)
        self.deadline = None if deadline is None else float(deadline)
        states = sorted(TERMINAL_STATES) if end_states is None else list(end_states)
        unknown = set(states) - set(ORDER_STATES)
        if not states or unknown:
            raise ValueError(f"end_states must be order states ({', '.join(ORDER_STATES)}), got {states}")
        self.end_states = states
        self.cancel_on_kill = cancel_on_kill
        self.last_seen = None if last_seen is None else float(last_seen)
        self.share_polls = share_polls
        self.safety_poll_interval = float(safety_poll_interval)
        self._logged_state: str | None = None
        self._last_message: str | None = None
        self._started = self._state_since = self._progress_at = time.time()

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "order_id": self.order_id,
                "planet_conn_id": self.planet_conn_id,
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "end_states": list(self.end_states),
                "cancel_on_kill": self.cancel_on_kill,
                "last_seen": self.last_seen,
                "share_polls": self.share_polls,
                "safety_poll_interval": self.safety_poll_interval,
            },
        )

    def _hook(self) -> Any:
        return shared_poll.hook_for(self.planet_conn_id)

    # -- events and progress --------------------------------------------------------------------

    def _timeout_event(self) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": "timeout",
                "order_id": self.order_id,
                "message": f"Planet order {self.order_id} did not reach {', '.join(self.end_states)} "
                f"before the deadline (last seen {self._logged_state or 'never'})",
            }
        )

    def _error_event(self, message: str) -> TriggerEvent:
        return TriggerEvent({"status": "error", "order_id": self.order_id, "message": message})

    def _seen(self, order: dict[str, Any]) -> TriggerEvent | None:
        """Note what the order is now (logged at each change); its event when the state ends the wait."""
        state = order_state(order)
        now = time.time()
        self._last_message = order.get("last_message")
        if state != self._logged_state:
            self._logged_state, self._state_since = state, now
            self._progress_at = now
            self.log.info("Planet order %s is %s%s", self.order_id, state, self._planet_says())
        else:
            self._progress(now)
        return TriggerEvent(order_event(order)) if state in self.end_states else None

    def _progress(self, now: float) -> None:
        """Every ``PROGRESS_INTERVAL`` a line, so that an hours-long wait does not look stuck."""
        if now - self._progress_at < PROGRESS_INTERVAL:
            return
        self._progress_at = now
        if self._logged_state is None:
            self.log.info(
                "Still waiting for Planet order %s (%s so far)", self.order_id, _duration(now - self._started)
            )
            return
        self.log.info(
            "Planet order %s is still %s, for %s (waiting %s)%s",
            self.order_id,
            self._logged_state,
            _duration(now - self._state_since),
            _duration(now - self._started),
            self._planet_says(),
        )

    def _planet_says(self) -> str:
        return f"; Planet says: {self._last_message}" if self._last_message else ""

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    async def _sleep(self, seconds: float) -> None:
        if self.deadline is not None:
            seconds = max(0.0, min(seconds, self.deadline - time.time()))
        await asyncio.sleep(seconds)

    async def _look(self, hook: Any) -> tuple[TriggerEvent | None, bool]:
        """One direct look at the order: its event if the wait is over, and whether the look worked."""
        try:
            return self._seen(await hook.get_order(self.order_id)), True
        except PlanetOrdersError as err:
            if is_transient(err):
                self.log.warning("Looking at order %s failed (%s); will look again", self.order_id, err)
                return None, False
            return self._error_event(str(err)), True

    # -- one poll per order (fallback) ----------------------------------------------------------------

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """
        The per-order wait: look, sleep, look again; back off after transient errors.

        It is also the worker-side wait of the create operator (:func:`wait_here`).
        """
        hook = self._hook()
        failures = 0
        self.log.info("Polling Planet order %s every %.0f s", self.order_id, self.poll_interval)
        try:
            while True:
                if self._past_deadline():
                    yield self._timeout_event()
                    return
                try:
                    event = self._seen(await hook.get_order(self.order_id))
                except PlanetOrdersError as err:
                    if not is_transient(err):
                        yield self._error_event(str(err))
                        return
                    failures += 1
                    pause = min(MAX_ERROR_BACKOFF, self.poll_interval * 2 ** min(failures, 8))
                    self.log.warning(
                        "Polling order %s failed (%s); again in %.0f s", self.order_id, err, pause
                    )
                    self._progress(time.time())
                    await self._sleep(pause)
                    continue
                failures = 0
                if event is not None:
                    yield event
                    return
                await self._sleep(self.poll_interval)
        finally:
            await hook.aclose()

    # -- one poll for every wait of the connection (Airflow 3.3+) ----------------------------------------

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        hook = None
        sub = Subscription(
            order_id=self.order_id,
            last_seen=self.last_seen,
            end_states=frozenset(self.end_states),
            safety_interval=self.safety_poll_interval,
        )
        self.log.info("Waiting for Planet order %s through the connection's shared poll", self.order_id)
        deadline: asyncio.TimerHandle | None = None
        if self.deadline is not None:
            # A timer, not a timeout around each wait: no task of its own per wait.
            loop = asyncio.get_running_loop()
            left = max(0.0, self.deadline - time.time())
            deadline = loop.call_later(left, sub.inbox.put_nowait, ("deadline", None))
        ticks = _Ticker(asyncio.get_running_loop(), PROGRESS_INTERVAL, sub.inbox)
        try:
            async with self._subscribed(shared_stream, sub) as (hub, sub):
                while True:
                    # The wait sleeps until the poll hands it its order, a look, an error, or
                    # the deadline.
                    kind, value = await sub.inbox.get()
                    event: TriggerEvent | None = None
                    if kind == "deadline":
                        event = self._timeout_event()
                    elif kind == "order":
                        event = self._seen(value)
                    elif kind == "look":
                        hook = hook or self._hook()
                        event, looked = await self._look(hook)
                        if not looked:
                            hub.recheck(sub)
                    elif kind == "broadcast":
                        if value.get("kind") == "error" and not value.get("transient"):
                            event = self._error_event(value["message"])
                    elif kind == "tick":
                        self._progress(time.time())
                    elif kind == "failed":
                        raise value
                    if event is None and self._past_deadline():
                        event = self._timeout_event()
                    if event is not None:
                        yield event
                        return
        finally:
            ticks.cancel()
            if deadline is not None:
                deadline.cancel()
            if hook is not None:
                await hook.aclose()

    async def on_kill(self) -> None:
        """Airflow 3.3+: the user killed the deferred task; cancel the order if asked to."""
        if not self.cancel_on_kill:
            return
        hook = self._hook()
        try:
            order = await hook.cancel_order(self.order_id)
            self.log.info("Cancelled Planet order %s (now %s)", self.order_id, order_state(order))
        except PlanetConflictError as err:
            self.log.info(
                "Planet order %s was not cancelled: it is no longer queued (%s)", self.order_id, err
            )
        finally:
            await hook.aclose()


class PlanetOrdersChangedTrigger(_SharedChangesTrigger):
    """
    Fire for every order of the key that reaches one of ``states``; for ``AssetWatcher``.

    "Run this DAG whenever an order whose name matches ``daily-*`` succeeds", including orders
    placed outside Airflow. It never ends; each event carries the order (compact, no links):
    ``{"status", "order_id", "state", "name", "message", ...}``. On Airflow 3.3+ it shares the
    connection's poll loop with the order waits.

    Its first window opens ``SKEW_MARGIN`` seconds before it starts: after a triggerer restart,
    orders that changed during a longer downtime are not reported (list them with
    :class:`~airflow_provider_planet_orders.operators.orders.PlanetListOrdersOperator` to catch up).

    :param planet_conn_id: The ``planet`` connection.
    :param states: States that fire (``["success"]`` by default).
    :param name_pattern: ``fnmatch`` pattern the order's name must match (``"*"`` for all).
    :param poll_interval: Seconds between polls.
    """

    def __init__(
        self,
        planet_conn_id: str = DEFAULT_CONN_ID,
        states: Iterable[str] = ("success",),
        name_pattern: str = "*",
        poll_interval: float = 60.0,
    ) -> None:
        super().__init__()
        self.planet_conn_id = planet_conn_id
        self.states = sorted(set(states))
        if not self.states or not set(self.states) <= set(ORDER_STATES):
            raise ValueError(f"states must be order states ({', '.join(ORDER_STATES)}), got {self.states}")
        self.name_pattern = name_pattern
        self.poll_interval = float(poll_interval)
        self.share_polls = True
        # Orders already fired for, with the last_modified they fired at (bounded).
        self._fired: OrderedDict[str, str] = OrderedDict()

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "planet_conn_id": self.planet_conn_id,
                "states": list(self.states),
                "name_pattern": self.name_pattern,
                "poll_interval": self.poll_interval,
            },
        )

    def _events(self, raw: dict[str, Any]) -> list[TriggerEvent]:
        if raw.get("kind") != "changes":
            if raw.get("kind") == "error":
                self.log.warning("Listing orders failed: %s", raw.get("message"))
            return []
        events = []
        for order in raw["orders"]:
            key = str(order.get("id"))
            if order_state(order) not in self.states or self._fired.get(key) == order.get("last_modified"):
                continue
            if not fnmatch.fnmatchcase(str(order.get("name", "")), self.name_pattern):
                continue
            self._fired[key] = str(order.get("last_modified"))
            while len(self._fired) > 10_000:
                self._fired.popitem(last=False)
            events.append(TriggerEvent(watch_event(order)))
        return events

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for raw in shared_poll.poll_order_changes(self.planet_conn_id, self.poll_interval):
            for event in self._events(raw):
                yield event

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        async with self._subscribed(shared_stream, Subscription()) as (_, sub):
            while True:
                kind, value = await sub.inbox.get()
                if kind == "failed":
                    raise value
                # Every listing ("changes"), and what the stream carries (a failed listing).
                for event in self._events(value):
                    yield event


def wait_here(trigger: PlanetOrderTrigger) -> dict[str, Any]:
    """
    Run ``trigger``'s own poll loop in this process, to its first event: the worker-side wait.

    A task that waits on its worker (``deferrable=False``) waits exactly as the triggerer would:
    same backoff, same transient-error handling, same log lines.
    """

    async def first_event() -> dict[str, Any]:
        events = trigger.run()
        try:
            event: TriggerEvent = await events.__anext__()
        finally:
            await events.aclose()  # type: ignore[attr-defined]  # run() is an async generator
        return dict(event.payload)

    return asyncio.run(first_event())


class _Ticker:
    """Puts ``("tick", None)`` in an inbox every ``interval`` seconds, until cancelled."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float, inbox: asyncio.Queue[Any]) -> None:
        self._loop, self._interval, self._inbox = loop, interval, inbox
        self._handle = loop.call_later(interval, self._tick)

    def _tick(self) -> None:
        self._inbox.put_nowait(("tick", None))
        self._handle = self._loop.call_later(self._interval, self._tick)

    def cancel(self) -> None:
        self._handle.cancel()


def _duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 05 min``: how long a wait has lasted, for a log line."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
