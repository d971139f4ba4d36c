"""
The client's defaults, in one place: the connection id, and every connection extra with its value.

Imports nothing, so that ``get_provider_info`` (called in every Airflow process that lists
providers) can describe the connection form from the same numbers the hooks use.
"""

from __future__ import annotations

from typing import Any

#: The connection every operator, sensor, trigger and hook uses unless told otherwise.
DEFAULT_CONN_ID = "planet_default"

#: Connection extras understood by the hooks, with their defaults.
EXTRA_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 10.0,
    "read_timeout": 60.0,
    "max_retries": 5,
    "backoff_initial": 1.0,
    "backoff_max": 60.0,
    "max_retry_after": 300.0,
    "rate_limit": True,
    "rate_limits": None,
}
