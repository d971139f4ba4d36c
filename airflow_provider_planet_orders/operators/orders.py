"""
Operators for Planet orders: create (and wait), cancel, bulk cancel, list, stats.

Airflow glue only: HTTP, retries and paging live in the hook, waiting in the trigger. The hook
module is imported when a task runs, not when a DAG file is parsed.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_planet_orders._compat import (
    AirflowException,
    BaseOperator,
    conf,
    mask_secret,
)
from airflow_provider_planet_orders.core.api import MAX_BULK_CANCEL_IDS, TERMINAL_STATES, UNFINISHED_STATES
from airflow_provider_planet_orders.core.defaults import DEFAULT_CONN_ID
from airflow_provider_planet_orders.core.orders import (
    describe_outcome,
    order_state,
    read_event,
    summarize_order,
)
from airflow_provider_planet_orders.exceptions import (
    PlanetConflictError,
    PlanetInvalidInputError,
    PlanetOrderFailedError,
    PlanetOrderMaybeCreatedError,
    PlanetOrdersError,
)
from airflow_provider_planet_orders.links import ORDER_ID_KEY, ORDER_URL_KEY, PlanetOrderLink
from airflow_provider_planet_orders.operators._hook import PlanetHookMixin

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_planet_orders.core.build import ListFilters
    from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger

#: Task state store key (Airflow 3.3+) holding the id of the order a task instance created.
STATE_STORE_KEY = "planet_order_id"


def _default_deferrable() -> bool:
    return conf.getboolean("operators", "default_deferrable", fallback=False)


def _seconds(value: float | timedelta | None) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else value


def task_instance_marker(dag_id: str, run_id: str, task_id: str, map_index: int | None) -> str:
    """
    The tag that ties an order to one task instance: ``airflow-<12 hex>``.

    It goes into the order's name, so that a retry can find the order with the list endpoint's
    ``name__contains`` filter even when nothing was recorded locally (the worker died, or the
    create call's response was lost).
    """
    ident = "\x1f".join([dag_id, run_id, task_id, str(-1 if map_index is None else map_index)])
    return "airflow-" + hashlib.sha256(ident.encode()).hexdigest()[:12]


class _PlanetOperator(PlanetHookMixin, BaseOperator):
    """Holds the connection id and builds the hook when the task runs."""

    def __init__(self, *, planet_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planet_conn_id = planet_conn_id


class PlanetCreateOrderOperator(_PlanetOperator):
    """
    Submit an order to Planet and, by default, wait until Planet finishes it.

    The order id (XCom key ``order_id``) and the order's URL (``order_url``) are pushed as soon
    as the order exists. The task returns the final order, trimmed to what downstream tasks need
    (no signed download links); without waiting it returns the created order, trimmed the same way.

    **Retry-safe.** A retry of the same task instance never orders the same imagery twice while
    the first order is queued, running or succeeded: the order's name carries a marker of the task
    instance (:func:`task_instance_marker`), and every try first looks for an order with that
    marker (and, on Airflow 3.3+, for the id kept in the task state store). It re-attaches to an
    active order, returns a finished one, and submits again only after ``resubmit_states``.

    :param order_request: The order request, as the API takes it (templated). Built with
        :mod:`airflow_provider_planet_orders.order_request` or Planet's SDK, or written by hand.
    :param planet_conn_id: The ``planet`` connection.
    :param wait_for_completion: Wait until the order reaches a terminal state.
    :param deferrable: Wait in the triggerer instead of a worker slot. Defaults to
        ``[operators] default_deferrable``.
    :param poll_interval: Seconds between two looks at the order while waiting.
    :param timeout: How long to wait for the order (seconds or timedelta). On timeout the task
        fails and a retry re-attaches to the same order.
    :param cancel_on_kill: Cancel the order (if still queued) when the task is killed.
    :param accept_partial: Treat ``partial`` as success (some products were unavailable).
    :param reattach: Tag the order with the task instance and re-attach on retries (see above).
    :param resubmit_states: States of an earlier order of this task instance after which a retry
        submits a new order.
    :param validate: Check the request client-side before sending it.
    """

    template_fields: Sequence[str] = ("order_request",)
    template_fields_renderers = {"order_request": "json"}
    operator_extra_links = (PlanetOrderLink(),)
    ui_color = "#c5e3f6"

    def __init__(
        self,
        *,
        order_request: Mapping[str, Any] | str,
        planet_conn_id: str = DEFAULT_CONN_ID,
        wait_for_completion: bool = True,
        deferrable: bool | None = None,
        poll_interval: float = 30.0,
        timeout: float | timedelta | None = timedelta(hours=24),
        cancel_on_kill: bool = False,
        accept_partial: bool = False,
        reattach: bool = True,
        resubmit_states: Iterable[str] = ("failed", "cancelled"),
        validate: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(planet_conn_id=planet_conn_id, **kwargs)
        self.order_request = order_request
        self.wait_for_completion = wait_for_completion
        self.deferrable = _default_deferrable() if deferrable is None else deferrable
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0, got {poll_interval}")
        self.poll_interval = poll_interval
        self.timeout = _seconds(timeout)
        self.cancel_on_kill = cancel_on_kill
        self.accept_partial = accept_partial
        self.reattach = reattach
        self.resubmit_states = sorted(set(resubmit_states))
        if not set(self.resubmit_states) <= TERMINAL_STATES - {"success"}:
            raise ValueError(
                f"resubmit_states must be among failed, cancelled, partial: {self.resubmit_states}"
            )
        self.validate = validate
        self._order_id: str | None = None
        self._known_order_ids: set[str] = set()

    # -- templating and secrets -----------------------------------------------------------------

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        if isinstance(self.order_request, Mapping):
            from airflow_provider_planet_orders.order_request import protect_planet_placeholders

            # Planet's own {{name}} / {{order_id}} archive-name placeholders are not Jinja's.
            self.order_request = protect_planet_placeholders(self.order_request)
        super().render_template_fields(context, jinja_env)
        # Register delivery secrets before Airflow stores the rendered fields, so that the
        # rendered-template view and the logs show *** instead.
        self._mask_secrets(self.order_request)

    @staticmethod
    def _mask_secrets(request: Any) -> None:
        if isinstance(request, Mapping):
            from airflow_provider_planet_orders.order_request import iter_secret_values

            for secret in iter_secret_values(request):
                mask_secret(secret)

    def _prepared_request(self) -> dict[str, Any]:
        from airflow_provider_planet_orders.core.bundles import BundleSpec
        from airflow_provider_planet_orders.order_request import (
            resolve_connection_credentials,
            validate_order_request,
        )

        request = self.order_request
        if not isinstance(request, Mapping):
            raise PlanetInvalidInputError(
                "order_request", f"must render to a dict (the order's JSON), got {type(request).__name__}"
            )
        if self.validate:
            # An invalid request raises PlanetInvalidOrderRequestError, an AirflowFailException.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                validate_order_request(request)  # offline, with the bundle spec shipped with us
                if not BundleSpec.vendored().knows_products(request):
                    # A bundle or item type newer than our copy: Planet's live spec decides.
                    caught.clear()
                    validate_order_request(request, bundle_spec=self.hook.get_bundle_spec())
            for warning in caught:
                self.log.warning("order_request: %s", warning.message)
        resolved = resolve_connection_credentials(request)
        self._mask_secrets(resolved)
        return dict(resolved)

    # -- execution ------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        started = time.time()  # every look at the order below happens after this
        request = self._prepared_request()
        marker = self._marker(context) if self.reattach else None
        order = self._existing_order(context, marker, request) if marker else None
        if order is None:
            if marker:
                request["name"] = f"{request.get('name', '')} [{marker}]".strip()
            order = self._create(request, marker)
        self._record(context, order)
        if not self.wait_for_completion:
            return summarize_order(order)
        if order_state(order) in TERMINAL_STATES:
            return self._finish(order)
        if self.deferrable:
            self.log.info("Waiting for order %s in the triggerer", order["id"])
            self.defer(trigger=self._trigger(order["id"], last_seen=started), method_name="execute_complete")
        # The same wait, run here: the trigger's own poll loop, on this worker.
        from airflow_provider_planet_orders.triggers.orders import wait_here

        self.log.info("Waiting for order %s on this worker", order["id"])
        return self.execute_complete(context, wait_here(self._trigger(order["id"], last_seen=started)))

    def _marker(self, context: Context) -> str:
        ti = context["ti"]
        return task_instance_marker(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1))

    def _existing_order(
        self, context: Context, marker: str, request: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The order an earlier try of this task instance created, if it is worth keeping."""
        store = context.get("task_state_store")
        stored_id = store.get(STATE_STORE_KEY) if store is not None else None
        if stored_id:
            try:
                order = self.hook.get_order(str(stored_id))
            except PlanetOrdersError as err:
                self.log.warning("Could not read order %s from the task state store: %s", stored_id, err)
            else:
                if self._keep(order):
                    self.log.info(
                        "Re-attaching to order %s (%s), recorded by an earlier try",
                        order["id"],
                        order_state(order),
                    )
                    return order
        candidates = self._orders_with_marker(marker)
        # Orders a lost create response must not be mistaken for (see _find_after_ambiguous_create).
        self._known_order_ids = {str(o.get("id")) for o in candidates}
        for wanted in (UNFINISHED_STATES, self._success_states()):
            for order in candidates:
                if order_state(order) in wanted:
                    self.log.info(
                        "Re-attaching to order %s (%s), created by an earlier try",
                        order["id"],
                        order_state(order),
                    )
                    return order
        for order in candidates:
            if order_state(order) not in self.resubmit_states:
                # Terminal and not to be resubmitted: report it instead of ordering again.
                return order
        if candidates:
            self.log.info(
                "Earlier orders of this task instance ended %s; submitting a new one",
                ", ".join(sorted({order_state(o) for o in candidates})),
            )
        return None

    def _orders_with_marker(self, marker: str) -> list[dict[str, Any]]:
        return list(
            self.hook.list_orders(
                name_contains=marker, source_type="all", sort_by="created_on DESC", limit=100
            )
        )

    def _keep(self, order: Mapping[str, Any]) -> bool:
        return order_state(order) in {*UNFINISHED_STATES, *self._success_states()}

    def _success_states(self) -> frozenset[str]:
        return frozenset({"success", "partial"} if self.accept_partial else {"success"})

    def _create(self, request: dict[str, Any], marker: str | None) -> dict[str, Any]:
        attempts = 3
        for attempt in range(1, attempts + 1):
            try:
                order = self.hook.create_order(request)
                self.log.info("Created Planet order %s (%s)", order["id"], order.get("name"))
                return order
            except PlanetOrderMaybeCreatedError as err:
                if marker is None:
                    raise AirflowException(
                        f"{err} With reattach=False the order cannot be looked up."
                    ) from err
                self.log.warning("%s Looking the order up by its marker %s.", err, marker)
                found = self._find_after_ambiguous_create(marker)
                if found is not None:
                    self.log.info(
                        "Created Planet order %s (its answer was lost; found by its marker)", found["id"]
                    )
                    return found
                if attempt < attempts:
                    self.log.warning(
                        "No order carries %s; submitting again (attempt %d of %d)",
                        marker,
                        attempt + 1,
                        attempts,
                    )
        raise AirflowException(
            f"Planet did not confirm the order after {attempts} attempts; a retry looks it up again"
        )

    def _find_after_ambiguous_create(self, marker: str) -> dict[str, Any] | None:
        """The order the lost request created: one with the marker that was not there before."""
        for pause in (0.0, 2.0, 5.0):
            time.sleep(pause)
            new = [o for o in self._orders_with_marker(marker) if o.get("id") not in self._known_order_ids]
            if new:
                return new[0]
        return None

    def _record(self, context: Context, order: Mapping[str, Any]) -> None:
        """Remember the order before waiting: XCom for users and links, the state store for retries."""
        self._order_id = str(order["id"])
        store = context.get("task_state_store")
        if store is not None and self.reattach:
            store.set(STATE_STORE_KEY, self._order_id)
        ti = context["ti"]
        ti.xcom_push(key=ORDER_ID_KEY, value=self._order_id)
        ti.xcom_push(key=ORDER_URL_KEY, value=self.hook.order_api_url(self._order_id))

    def _deadline(self) -> float | None:
        return None if self.timeout is None else time.time() + self.timeout

    def _trigger(self, order_id: str, last_seen: float) -> PlanetOrderTrigger:
        from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger

        return PlanetOrderTrigger(
            order_id=order_id,
            planet_conn_id=self.planet_conn_id,
            poll_interval=self.poll_interval,
            deadline=self._deadline(),
            cancel_on_kill=self.cancel_on_kill,
            last_seen=last_seen,
        )

    def _finish(self, order: dict[str, Any]) -> dict[str, Any]:
        state = order_state(order)
        if state in self._success_states():
            self.log.info("%s", describe_outcome(order))
            return summarize_order(order)
        raise PlanetOrderFailedError(describe_outcome(order), order_id=order.get("id"), state=state)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the wait: read the final order, or fail with the trigger's reason."""
        event = read_event(event)
        status = event["status"]
        self._order_id = event["order_id"]
        if status in self._success_states():
            return self._finish(self.hook.get_order(event["order_id"]))
        if status in TERMINAL_STATES:
            raise PlanetOrderFailedError(event["message"], order_id=event["order_id"], state=status)
        # "timeout" and "error": a retry re-attaches to the same order.
        raise AirflowException(event["message"])

    def on_kill(self) -> None:
        if not (self.cancel_on_kill and self._order_id):
            return
        try:
            self.hook.cancel_order(self._order_id)
            self.log.info("Cancelled Planet order %s", self._order_id)
        except PlanetConflictError:
            self.log.info("Planet order %s is no longer queued; not cancelled", self._order_id)


class PlanetCancelOrderOperator(_PlanetOperator):
    """
    Cancel one queued order and return it (trimmed).

    :param order_id: The order (templated).
    :param tolerate_not_queued: Succeed, logging why, when Planet refuses because the order is no
        longer queued (409); otherwise the task fails.
    """

    template_fields: Sequence[str] = ("order_id",)
    operator_extra_links = (PlanetOrderLink(),)

    def __init__(self, *, order_id: str, tolerate_not_queued: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.order_id = order_id
        self.tolerate_not_queued = tolerate_not_queued

    def execute(self, context: Context) -> dict[str, Any]:
        context["ti"].xcom_push(key=ORDER_URL_KEY, value=self.hook.order_api_url(self.order_id))
        try:
            order = self.hook.cancel_order(self.order_id)
        except PlanetConflictError:
            if not self.tolerate_not_queued:
                raise
            order = self.hook.get_order(self.order_id)
            self.log.info("Not cancelled, %s", describe_outcome(order))
            return summarize_order(order)
        self.log.info("Cancelled Planet order %s", self.order_id)
        return summarize_order(order)


class PlanetBulkCancelOrdersOperator(_PlanetOperator):
    """
    Cancel many orders at once, or every queued order of the key.

    Lists longer than the API's maximum (10,000 ids) are sent in chunks. Returns
    ``{"succeeded": n, "failed": n, "failures": [{"order_id", "message"}, ...]}``.

    :param order_ids: Order ids (templated, e.g. from an XCom), or ``None`` for every queued order.
    :param fail_on_error: Fail the task when any cancel failed (after logging each failure).
    """

    template_fields: Sequence[str] = ("order_ids",)

    def __init__(
        self, *, order_ids: Sequence[str] | str | None = None, fail_on_error: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.order_ids = order_ids
        self.fail_on_error = fail_on_error

    def execute(self, context: Context) -> dict[str, Any]:
        ids = self.order_ids
        if isinstance(ids, str):
            raise PlanetInvalidInputError(
                "order_ids", "must be a list of order ids (or None for every queued order)"
            )
        if ids is not None:
            ids = list(ids)
            if not ids:
                self.log.info("No order ids given; nothing to cancel")
                return {"succeeded": 0, "failed": 0, "failures": []}
        chunks: list[list[str] | None] = (
            [None]
            if ids is None
            else [ids[i : i + MAX_BULK_CANCEL_IDS] for i in range(0, len(ids), MAX_BULK_CANCEL_IDS)]
        )
        succeeded, failures = 0, []
        for chunk in chunks:
            result = self.hook.cancel_orders(chunk).get("result", {})
            succeeded += int(result.get("succeeded", {}).get("count", 0))
            failures += list(result.get("failed", {}).get("failures", []))
        for failure in failures:
            self.log.warning("Order %s not cancelled: %s", failure.get("order_id"), failure.get("message"))
        self.log.info("Bulk cancel: %d succeeded, %d failed", succeeded, len(failures))
        summary = {"succeeded": succeeded, "failed": len(failures), "failures": failures}
        if failures and self.fail_on_error:
            raise AirflowException(
                f"{len(failures)} of {succeeded + len(failures)} orders were not cancelled"
            )
        return summary


class PlanetListOrdersOperator(_PlanetOperator):
    """
    List orders with any of the API's filters; return a compact list that suits ``.expand()``.

    Each item is ``{"id", "name", "state", "created_on", "last_modified"}``.

    :param filters: The list endpoint's filters (templated), as
        :class:`~airflow_provider_planet_orders.core.build.ListFilters` names them:
        ``{"state": "queued", "name_contains": "daily", "created_on": (start, None)}``. ``page_size``
        is 100 unless given, to keep the requests few: Planet allows 3 list requests a second.
    :param limit: The most orders returned (default 1,000), so that an XCom stays small.
    """

    template_fields: Sequence[str] = ("filters",)

    def __init__(
        self, *, filters: ListFilters | None = None, limit: int | None = 1000, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.filters: ListFilters = {"page_size": 100, **(filters or {})}
        self.limit = limit

    def execute(self, context: Context) -> list[dict[str, Any]]:
        if not isinstance(self.filters, Mapping):
            raise PlanetInvalidInputError("filters", f"must be a dict of list filters, got {self.filters!r}")
        orders = self.hook.list_orders(limit=self.limit, **self.filters)
        keys = ("id", "name", "state", "created_on", "last_modified")
        result = [{k: order.get(k) for k in keys} for order in orders]
        self.log.info("Found %d order(s)", len(result))
        return result


class PlanetOrderStatsOperator(_PlanetOperator):
    """Return the queued and running order counts of the key's user and of its organization."""

    def execute(self, context: Context) -> dict[str, Any]:
        stats = self.hook.get_order_stats()
        for scope in ("user", "organization"):
            counts = stats.get(scope) or {}
            self.log.info(
                "%s: %s queued, %s running",
                scope,
                counts.get("queued_orders", "?"),
                counts.get("running_orders", "?"),
            )
        return stats
