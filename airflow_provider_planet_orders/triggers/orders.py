"""
:class:`PlanetOrderTrigger`: waits in the triggerer for a Planet order to reach an end state.

Operators and the sensor defer to it, so that an hour-long order holds no worker slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

from airflow.providers.common.compat.triggers import BaseEventTrigger
from airflow.triggers.base import TriggerEvent

from airflow_provider_planet_orders.core.api import ORDER_STATES, TERMINAL_STATES
from airflow_provider_planet_orders.core.build import validate_order_id
from airflow_provider_planet_orders.core.orders import order_event, order_state
from airflow_provider_planet_orders.exceptions import (
    PlanetApiError,
    PlanetConflictError,
    PlanetConnectionError,
    PlanetOrdersError,
)

#: Errors that end a wait; anything else from the API (429, 5xx, network) is waited out.
_TRANSIENT = (PlanetConnectionError,)

#: Longest pause between two polls after transient errors.
_MAX_ERROR_BACKOFF = 300.0


def _is_transient(error: PlanetOrdersError) -> bool:
    if isinstance(error, _TRANSIENT):
        return True
    return isinstance(error, PlanetApiError) and (error.status == 429 or (error.status or 0) >= 500)


class PlanetOrderTrigger(BaseEventTrigger):
    """
    Poll one order until it reaches one of ``end_states`` or ``deadline`` passes; fire one event.

    The event is small: ``{"status", "order_id", "state", "message", "last_message",
    "error_hints", "last_modified"}``, where ``status`` is the order's state, or ``"timeout"`` or
    ``"error"`` (auth failure, unknown order). Transient API errors (429, 5xx, network) are
    retried with backoff and never end the wait.

    :param order_id: The order to wait for.
    :param planet_conn_id: The ``planet`` connection.
    :param poll_interval: Seconds between polls.
    :param deadline: Wall-clock time (Unix seconds) after which the wait ends with ``timeout``.
    :param end_states: States that end the wait; Planet's terminal states by default.
    :param cancel_on_kill: Cancel the order when a user kills the deferred task (Airflow 3.3+).
    """

    def __init__(
        self,
        order_id: str,
        planet_conn_id: str = "planet_default",
        poll_interval: float = 30.0,
        deadline: float | None = None,
        end_states: Iterable[str] | None = None,
        cancel_on_kill: bool = False,
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
            },
        )

    def _hook(self) -> Any:
        # Imported here: the hook module brings httpx, which operators must not load at parse time.
        from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook

        return PlanetOrdersAsyncHook(planet_conn_id=self.planet_conn_id)

    def _timeout_event(self, state: str | None) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": "timeout",
                "order_id": self.order_id,
                "state": state,
                "message": f"Planet order {self.order_id} did not reach {', '.join(self.end_states)} "
                f"before the deadline (last seen {state or 'never'})",
            }
        )

    def _error_event(self, error: PlanetOrdersError, state: str | None) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": "error",
                "order_id": self.order_id,
                "state": state,
                "message": str(error),
                "http_status": getattr(error, "status", None),
            }
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = self._hook()
        state: str | None = None
        failures = 0
        try:
            while True:
                if self.deadline is not None and time.time() >= self.deadline:
                    yield self._timeout_event(state)
                    return
                try:
                    order = await hook.get_order(self.order_id)
                except PlanetOrdersError as err:
                    if not _is_transient(err):
                        yield self._error_event(err, state)
                        return
                    failures += 1
                    pause = min(_MAX_ERROR_BACKOFF, self.poll_interval * 2 ** min(failures, 8))
                    self.log.warning(
                        "Polling order %s failed (%s); trying again in %.0f s", self.order_id, err, pause
                    )
                    await self._sleep(pause)
                    continue
                failures = 0
                if order_state(order) != state:
                    state = order_state(order)
                    self.log.info("Planet order %s is %s", self.order_id, state)
                if state in self.end_states:
                    yield TriggerEvent(order_event(order))
                    return
                await self._sleep(self.poll_interval)
        finally:
            await hook.aclose()

    async def _sleep(self, seconds: float) -> None:
        if self.deadline is not None:
            seconds = max(0.0, min(seconds, self.deadline - time.time()))
        await asyncio.sleep(seconds)

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
