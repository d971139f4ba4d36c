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
    "mask_secret",
]
