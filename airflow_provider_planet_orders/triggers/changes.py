"""
The shared poll's former name, kept so that existing imports keep working: see
:mod:`airflow_provider_planet_orders.triggers.shared_poll`.
"""

from __future__ import annotations

from airflow_provider_planet_orders.triggers.shared_poll import (
    ChangeHub,
    Subscription,
    list_unfinished_orders,
    poll_order_changes,
    run_shared_poll,
)

__all__ = ["ChangeHub", "Subscription", "list_unfinished_orders", "poll_order_changes", "run_shared_poll"]
