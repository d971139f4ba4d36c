"""
The Airflow names this provider uses, resolved once for every supported Airflow (3.0 to 3.3).

``airflow.providers.common.compat.sdk`` finds base classes and exceptions wherever the running
Airflow keeps them. The few helpers that older releases of that package lack are resolved here
with a working fallback, so that no other module needs a version check.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowNotFoundException,
    AirflowSkipException,
    BaseHook,
    BaseOperator,
    BaseOperatorLink,
    BaseSensorOperator,
    TaskDeferred,
    conf,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def _first_attr(name: str, *modules: str) -> Any:
    for module in modules:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    return None


_mask_secret: Callable[..., None] | None = _first_attr(
    "mask_secret",
    "airflow.sdk.log",
    "airflow.sdk.execution_time.secrets_masker",
    "airflow.utils.log.secrets_masker",
)


def mask_secret(secret: str | dict[str, Any] | None, name: str | None = None) -> None:
    """Register ``secret`` with Airflow's secrets masker so that logs show ``***`` instead."""
    if secret and _mask_secret is not None:
        _mask_secret(secret, name)


async def get_async_connection(conn_id: str) -> Any:
    """
    Look a connection up without blocking the event loop (triggers run on the triggerer's loop).

    ``common.compat`` picks the Task SDK's async lookup where it is safe, else runs the
    synchronous one in a worker thread.
    """
    from airflow.providers.common.compat.connection import get_async_connection as lookup

    return await lookup(conn_id)


async def get_async_extra(conn: Any) -> dict[str, Any]:
    """A connection's extras as a dict, without a blocking call to the secrets masker on the loop."""
    helper: Any = _first_attr("get_async_extra_dejson", "airflow.providers.common.compat.connection")
    if helper is not None:
        return dict(await helper(conn))
    # common.compat before 1.21: the synchronous property, off the loop.
    from asgiref.sync import sync_to_async

    return dict(await sync_to_async(lambda: conn.extra_dejson)())


__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowSkipException",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "TaskDeferred",
    "conf",
    "get_async_connection",
    "get_async_extra",
    "mask_secret",
]
