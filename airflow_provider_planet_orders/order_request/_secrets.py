"""
Delivery secrets: find them, hide them, and register them with Airflow's secrets masker.

Airflow masks values under keys that *look* secret (``secret``, ``token``, ...), which misses
``credentials`` and the access key ids. These helpers know the request's own credential fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_planet_orders._compat import mask_secret

#: Every field of an order request that holds a credential, wherever it appears.
SECRET_FIELDS: frozenset[str] = frozenset(
    {
        # Amazon S3
        "aws_access_key_id",
        "aws_secret_access_key",
        # Azure Blob Storage
        "sas_token",
        # Google Cloud Storage and Google Earth Engine (a base64-encoded service-account key)
        "credentials",
        # Oracle Cloud Storage
        "customer_access_key_id",
        "customer_secret_key",
        # S3-compatible
        "access_key_id",
        "secret_access_key",
    }
)

#: What a secret value becomes in :func:`redact_order_request`.
REDACTED = "***"
_MAX_DEPTH = 64


def iter_secret_values(request: object) -> Iterator[str]:
    """
    Every secret value of ``request``, each once, for Airflow's masker.

    A secret field holding a structure (a service-account key given as a dict by mistake) yields
    every string inside it.
    """
    seen: set[str] = set()
    for value in _secrets(request, 0):
        if value not in seen:
            seen.add(value)
            yield value


def _secrets(node: object, depth: int) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in SECRET_FIELDS:
                yield from _strings(value, depth + 1)
            else:
                yield from _secrets(value, depth + 1)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _secrets(value, depth + 1)


def _strings(node: object, depth: int) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, str):
        if node:
            yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value, depth + 1)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _strings(value, depth + 1)


def redact_order_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``request`` with every secret value replaced by ``"***"``: for logs and XCom."""
    if not isinstance(request, Mapping):
        raise TypeError(f"redact_order_request takes a dict, got {type(request).__name__}")
    redacted: dict[str, Any] = _redact(request, 0)
    return redacted


def _redact(node: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return REDACTED
    if isinstance(node, Mapping):
        return {
            key: (REDACTED if key in SECRET_FIELDS and value is not None else _redact(value, depth + 1))
            for key, value in node.items()
        }
    if isinstance(node, (list, tuple)):
        return [_redact(value, depth + 1) for value in node]
    return node


def mask_order_request_secrets(request: object) -> None:
    """
    Register every secret of ``request`` with Airflow's secrets masker.

    Call it before the request can reach a log or the rendered-template view: in an operator,
    right after the templates are rendered.
    """
    for value in iter_secret_values(request):
        mask_secret(value)
