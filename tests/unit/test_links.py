"""The "Planet order" link points where a person can read the order."""

from __future__ import annotations

import pytest

from airflow_provider_planet_orders.links import order_link

OID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"


@pytest.mark.parametrize(
    ("order_url", "link"),
    [
        (
            f"https://api.planet.com/compute/ops/orders/v2/{OID}",
            f"https://www.planet.com/account/#/orders/{OID}",
        ),
        (
            f"http://127.0.0.1:8765/compute/ops/orders/v2/{OID}",
            f"http://127.0.0.1:8765/_emulator/orders/{OID}",
        ),
        (
            f"http://localhost:8765/compute/ops/orders/v2/{OID}",
            f"http://localhost:8765/_emulator/orders/{OID}",
        ),
        # A proxy in front of Planet: its API URL is all we know.
        (
            f"https://planet-proxy.corp/compute/ops/orders/v2/{OID}",
            f"https://planet-proxy.corp/compute/ops/orders/v2/{OID}",
        ),
        (None, ""),
    ],
)
def test_order_link(order_url, link) -> None:
    assert order_link(order_url) == link
