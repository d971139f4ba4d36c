"""The hook property every operator and sensor of the provider shares."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook


class PlanetHookMixin:
    """
    ``self.hook``: a :class:`PlanetOrdersHook` on ``self.planet_conn_id``, built when the task runs.

    The hook module is imported here, not at module level, so that parsing a DAG file never loads
    the HTTP stack.
    """

    planet_conn_id: str

    @cached_property
    def hook(self) -> PlanetOrdersHook:
        from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook

        return PlanetOrdersHook(planet_conn_id=self.planet_conn_id)
