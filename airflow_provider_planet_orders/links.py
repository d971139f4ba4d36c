"""The "Planet order" extra link shown on tasks that create or wait for an order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_planet_orders._compat import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk.types import TaskInstanceKey

#: XCom keys pushed as soon as an order exists.
ORDER_ID_KEY = "order_id"
ORDER_URL_KEY = "order_url"

PLANET_API_HOST = "api.planet.com"
PLANET_ORDER_PAGE = "https://www.planet.com/account/#/orders/{order_id}"
#: The local emulator's read-only order page (the API's own URL answers 401 in a browser).
EMULATOR_ORDER_PAGE = "{origin}/_emulator/orders/{order_id}"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def order_link(order_url: str | None) -> str:
    """
    Where a person should look at an order.

    For Planet's API that is the order's page in Planet's web app; on a loopback host (the local
    emulator, as ``make airflow`` and the tests run it) the emulator's read-only order page; for any
    other host (a proxy) the order's URL on that API.
    """
    if not order_url:
        return ""
    parts = urlsplit(order_url)
    order_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if parts.hostname == PLANET_API_HOST:
        return PLANET_ORDER_PAGE.format(order_id=order_id)
    if parts.hostname in LOOPBACK_HOSTS:
        return EMULATOR_ORDER_PAGE.format(origin=f"{parts.scheme}://{parts.netloc}", order_id=order_id)
    return order_url


class PlanetOrderLink(BaseOperatorLink):
    """Link to the order a task created or waited for (read from its ``order_url`` XCom)."""

    name = "Planet order"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        from airflow.providers.common.compat.sdk import XCom

        return order_link(XCom.get_value(key=ORDER_URL_KEY, ti_key=ti_key))
