"""
:class:`PlanetOrderSensor`: waits for an existing order, in poke, reschedule or deferrable mode.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_planet_orders._compat import (
    AirflowException,
    BaseSensorOperator,
    conf,
)
from airflow_provider_planet_orders.core.api import ORDER_STATES, TERMINAL_STATES
from airflow_provider_planet_orders.core.defaults import DEFAULT_CONN_ID
from airflow_provider_planet_orders.core.orders import (
    describe_outcome,
    order_state,
    read_event,
    summarize_order,
)
from airflow_provider_planet_orders.core.policy import is_transient
from airflow_provider_planet_orders.exceptions import PlanetOrderFailedError, PlanetOrdersError
from airflow_provider_planet_orders.links import ORDER_ID_KEY, ORDER_URL_KEY, PlanetOrderLink
from airflow_provider_planet_orders.operators._hook import PlanetHookMixin

if TYPE_CHECKING:
    from airflow.sdk import Context


class PlanetOrderSensor(PlanetHookMixin, BaseSensorOperator):
    """
    Wait for a Planet order to reach a terminal state.

    Succeeds on ``success_states`` and returns the order, trimmed. ``failed`` or ``cancelled``
    (and ``partial`` unless accepted) fail the task with Planet's ``last_message`` and
    ``error_hints``, without retries. The sensor's ``timeout``, ``soft_fail`` and modes apply as
    for any sensor; in deferrable mode the wait runs in the triggerer.

    :param order_id: The order to wait for (templated).
    :param planet_conn_id: The ``planet`` connection.
    :param success_states: States that count as success; ``("success",)`` by default.
    :param accept_partial: Also accept ``partial`` (some products were unavailable), with a warning.
    :param deferrable: Wait in the triggerer. Defaults to ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = ("order_id",)
    operator_extra_links = (PlanetOrderLink(),)

    def __init__(
        self,
        *,
        order_id: str,
        planet_conn_id: str = DEFAULT_CONN_ID,
        success_states: Iterable[str] = ("success",),
        accept_partial: bool = False,
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.order_id = order_id
        self.planet_conn_id = planet_conn_id
        states = set(success_states) | ({"partial"} if accept_partial else set())
        if not states or not states <= TERMINAL_STATES:
            raise ValueError(
                f"success_states must be terminal order states ({', '.join(sorted(TERMINAL_STATES))}), "
                f"got {sorted(states)}"
            )
        self.success_states = sorted(states)
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable

    def _check(self, order: dict[str, Any]) -> bool:
        state = order_state(order)
        if state in self.success_states:
            if state == "partial":
                self.log.warning(
                    "%s: accepted as success, but some products were unavailable", describe_outcome(order)
                )
            return True
        if state in TERMINAL_STATES:
            raise PlanetOrderFailedError(describe_outcome(order), order_id=self.order_id, state=state)
        if state not in ORDER_STATES:
            raise AirflowException(f"Planet order {self.order_id} is in an unknown state {state!r}")
        self.log.info("Planet order %s is %s", self.order_id, state)
        return False

    def poke(self, context: Context) -> Any:
        try:
            order = self.hook.get_order(self.order_id)
        except PlanetOrdersError as err:
            if is_transient(err):
                self.log.warning("Could not read order %s (%s); will look again", self.order_id, err)
                return False
            raise
        if not self._check(order):
            return False
        from airflow.providers.common.compat.sdk import PokeReturnValue

        return PokeReturnValue(is_done=True, xcom_value=summarize_order(order))

    def execute(self, context: Context) -> Any:
        ti = context["ti"]
        ti.xcom_push(key=ORDER_ID_KEY, value=self.order_id)
        ti.xcom_push(key=ORDER_URL_KEY, value=self.hook.order_api_url(self.order_id))
        if not self.deferrable:
            return super().execute(context)
        # One look first: an order that is already finished needs no trip through the triggerer.
        looked_at = time.time()
        done = self.poke(context)
        if done:
            return done.xcom_value
        from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger

        self.defer(
            trigger=PlanetOrderTrigger(
                order_id=self.order_id,
                planet_conn_id=self.planet_conn_id,
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                end_states=sorted(TERMINAL_STATES),
                last_seen=looked_at,
            ),
            method_name="execute_complete",
        )
        return None  # not reached: defer() raises

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        from airflow.providers.common.compat.sdk import AirflowSensorTimeout

        event = read_event(event)
        status = event["status"]
        if status == "timeout":
            # Raised as the sensor's own timeout, so that soft_fail turns it into a skip.
            raise AirflowSensorTimeout(event["message"])
        if status in self.success_states:
            order = self.hook.get_order(self.order_id)
            self._check(order)
            return summarize_order(order)
        if status in TERMINAL_STATES:
            raise PlanetOrderFailedError(event["message"], order_id=self.order_id, state=status)
        raise AirflowException(event["message"])
