"""
Reading an order: its state, why it failed, and the small summaries that go to XCom and events.

An order with all its result links can run to hundreds of kilobytes and its links carry signed
download tokens; XCom values and trigger events get these summaries instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_planet_orders.exceptions import PlanetOrdersError

#: Error hints kept in an event or a message; Planet can send one per item.
MAX_HINTS = 10


def order_state(order: Mapping[str, Any]) -> str:
    return str(order.get("state", ""))


def error_hints(order: Mapping[str, Any]) -> list[str]:
    hints = order.get("error_hints") or []
    return [str(h) for h in hints][:MAX_HINTS] if isinstance(hints, list) else [str(hints)]


def result_names(order: Mapping[str, Any]) -> list[str]:
    links = order.get("_links") or {}
    results = links.get("results") or [] if isinstance(links, Mapping) else []
    return [str(r["name"]) for r in results if isinstance(r, Mapping) and "name" in r]


def describe_outcome(order: Mapping[str, Any]) -> str:
    """One line for a log or an exception: state, Planet's last message and its error hints."""
    text = f"Planet order {order.get('id')} is {order_state(order) or 'in an unknown state'}"
    if order.get("last_message"):
        text += f": {order['last_message']}"
    hints = error_hints(order)
    if hints:
        text += f" (error hints: {'; '.join(hints)})"
    return text


def summarize_order(order: Mapping[str, Any]) -> dict[str, Any]:
    """What downstream tasks need of an order, without its signed download links."""
    return {
        "id": order.get("id"),
        "name": order.get("name"),
        "state": order.get("state"),
        "source_type": order.get("source_type", "scenes"),
        "created_on": order.get("created_on"),
        "last_modified": order.get("last_modified"),
        "last_message": order.get("last_message"),
        "error_hints": error_hints(order),
        "results": result_names(order),
    }


def compact_order(order: Mapping[str, Any]) -> dict[str, Any]:
    """
    The fields of an order that waits and watchers need, as the shared change stream carries them.

    :func:`order_event` gives the same event for an order and for its compact form.
    """
    return {
        "id": order.get("id"),
        "name": order.get("name"),
        "state": order.get("state"),
        "last_modified": order.get("last_modified"),
        "last_message": order.get("last_message"),
        "error_hints": error_hints(order),
    }


def order_event(order: Mapping[str, Any]) -> dict[str, Any]:
    """
    The event of a wait whose order reached a state it waited for: what ``execute_complete`` reads.

    ``status`` is the order's state; ``message`` says how it ended, Planet's reasons included.
    """
    return {"status": order_state(order), "order_id": order.get("id"), "message": describe_outcome(order)}


def watch_event(order: Mapping[str, Any]) -> dict[str, Any]:
    """
    The event of a watcher (``AssetWatcher``): DAGs read it from their asset events, so it carries
    the order (compact, no links) besides what a wait's event says.
    """
    return {**order_event(order), **compact_order(order), "order_id": order.get("id")}


def read_event(event: Any) -> dict[str, Any]:
    """
    The event a deferred task resumed with, checked before anything reads it.

    A missing or malformed event (a trigger of another version, a hand-made call) raises a
    :class:`~airflow_provider_planet_orders.exceptions.PlanetOrdersError` that says so, rather
    than a ``KeyError`` deep in the task; the task's retry re-attaches to its order.
    """
    if (
        not isinstance(event, Mapping)
        or not isinstance(event.get("status"), str)
        or not event.get("order_id")
    ):
        got = "no event" if event is None else f"a {type(event).__name__} without a status and an order id"
        raise PlanetOrdersError(f"The wait for the Planet order resumed with {got}; a retry looks again")
    status = event["status"]
    return {**event, "message": event.get("message") or f"Planet order {event['order_id']} ended {status}"}
