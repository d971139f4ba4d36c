"""
Cloud credentials from Airflow connections, so that no secret sits in a DAG file.

A cloud-target block may hold ``"airflow_conn_id": "<conn id>"`` instead of its credential
fields. :func:`resolve_connection_credentials` swaps the marker for the credentials when the task
runs. Amazon S3 and S3-compatible targets read an ``aws`` connection, through the Amazon
provider's ``AwsBaseHook`` when it is installed (so that its profiles, role assumption and secrets
backends apply) and from the connection's login and password otherwise. Google Cloud Storage reads
the service-account key of a ``google_cloud_platform`` connection (``keyfile_dict`` or
``key_path``), which needs no provider code.

Messages name the field and the connection id, never a secret.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_planet_orders._compat import AirflowNotFoundException, BaseHook, mask_secret
from airflow_provider_planet_orders.core.api import CLOUD_TARGETS
from airflow_provider_planet_orders.exceptions import PlanetInvalidOrderRequestError
from airflow_provider_planet_orders.order_request._common import (
    CONNECTION_MARKER,
    CONNECTION_TARGETS,
    join_path,
)
from airflow_provider_planet_orders.order_request._secrets import mask_order_request_secrets

_GCP_PREFIX = "extra__google_cloud_platform__"


class _Unresolved(Exception):
    """One field the connection could not fill; collected, then raised together."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class _AwsKeys:
    access_key_id: str
    secret_access_key: str
    region: str | None
    endpoint_url: str | None


def resolve_connection_credentials(request: Mapping[str, Any]) -> dict[str, Any]:
    """
    A copy of ``request`` whose ``airflow_conn_id`` markers are replaced by the credentials.

    The credentials read are registered with Airflow's secrets masker. ``request`` itself is not
    changed. Raises :class:`~airflow_provider_planet_orders.exceptions.PlanetInvalidOrderRequestError`
    when a connection is missing or lacks a credential, naming the field and the connection.
    """
    resolved: dict[str, Any] = _copy(request)
    targets = resolved.get("delivery")
    if not isinstance(targets, dict):
        return resolved
    problems: list[tuple[str, str]] = []
    for target in CLOUD_TARGETS:
        block = targets.get(target)
        if not isinstance(block, dict) or CONNECTION_MARKER not in block:
            continue
        path = join_path("delivery", target)
        conn_id = block.pop(CONNECTION_MARKER)
        try:
            if not isinstance(conn_id, str) or not conn_id.strip():
                raise _Unresolved(CONNECTION_MARKER, "must be the id of an Airflow connection")
            if target not in CONNECTION_TARGETS:
                raise _Unresolved(
                    CONNECTION_MARKER,
                    f"is not supported for {target}: only {', '.join(CONNECTION_TARGETS)} read connections",
                )
            if target == "google_cloud_storage":
                block["credentials"] = _gcp_key(conn_id)
            else:
                problems.extend(
                    (join_path(path, e.field), e.message) for e in _fill_s3(target, block, conn_id)
                )
        except _Unresolved as exc:
            problems.append((join_path(path, exc.field), exc.message))
    if problems:
        raise PlanetInvalidOrderRequestError(problems)
    mask_order_request_secrets(resolved)
    return resolved


def _copy(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {key: _copy(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_copy(value) for value in node]
    return node


def _connection(conn_id: str) -> Any:
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise _Unresolved(CONNECTION_MARKER, f"Airflow connection {conn_id!r} does not exist") from None


def _extras(conn: Any) -> dict[str, Any]:
    extras = getattr(conn, "extra_dejson", None)
    return extras if isinstance(extras, dict) else {}


# --- Amazon S3 and S3-compatible ----------------------------------------------------------------


def _fill_s3(target: str, block: dict[str, Any], conn_id: str) -> list[_Unresolved]:
    keys = _aws_keys(conn_id)
    if target == "amazon_s3":
        block["aws_access_key_id"] = keys.access_key_id
        block["aws_secret_access_key"] = keys.secret_access_key
        fill = {"aws_region": (keys.region, "region_name")}
    else:
        block["access_key_id"] = keys.access_key_id
        block["secret_access_key"] = keys.secret_access_key
        fill = {"region": (keys.region, "region_name"), "endpoint": (keys.endpoint_url, "endpoint_url")}
    missing: list[_Unresolved] = []
    for field, (value, extra) in fill.items():
        if block.get(field):
            continue
        if value:
            block[field] = value
        else:
            missing.append(
                _Unresolved(
                    field, f"is not in the request, and Airflow connection {conn_id!r} sets no {extra}"
                )
            )
    return missing


def _aws_hook_class() -> Any:
    """The Amazon provider's hook, when that provider is installed."""
    try:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
    except ImportError:
        return None
    return AwsBaseHook


def _aws_keys(conn_id: str) -> _AwsKeys:
    hook_class = _aws_hook_class()
    if hook_class is None:
        return _aws_keys_from_connection(conn_id)
    try:
        hook = hook_class(aws_conn_id=conn_id, client_type="s3")
        credentials = hook.get_credentials()
        region = getattr(hook, "region_name", None)
        endpoint = getattr(getattr(hook, "conn_config", None), "endpoint_url", None)
    except AirflowNotFoundException:
        raise _Unresolved(CONNECTION_MARKER, f"Airflow connection {conn_id!r} does not exist") from None
    except Exception as exc:
        raise _Unresolved(
            CONNECTION_MARKER,
            f"could not get AWS credentials from Airflow connection {conn_id!r} ({type(exc).__name__})",
        ) from exc
    if getattr(credentials, "token", None):
        raise _Unresolved(CONNECTION_MARKER, _temporary(conn_id))
    access_key = getattr(credentials, "access_key", None)
    secret_key = getattr(credentials, "secret_key", None)
    if not access_key or not secret_key:
        raise _Unresolved(CONNECTION_MARKER, f"Airflow connection {conn_id!r} gives no AWS access key")
    return _AwsKeys(access_key, secret_key, region or None, endpoint or None)


def _aws_keys_from_connection(conn_id: str) -> _AwsKeys:
    conn = _connection(conn_id)
    extras = _extras(conn)
    access_key = conn.login or extras.get("aws_access_key_id")
    secret_key = conn.password or extras.get("aws_secret_access_key")
    if extras.get("aws_session_token"):
        raise _Unresolved(CONNECTION_MARKER, _temporary(conn_id))
    if not access_key:
        raise _Unresolved(
            CONNECTION_MARKER, f"Airflow connection {conn_id!r} has no access key id (its login)"
        )
    if not secret_key:
        raise _Unresolved(
            CONNECTION_MARKER, f"Airflow connection {conn_id!r} has no secret access key (its password)"
        )
    mask_secret(str(secret_key))
    region = extras.get("region_name")
    endpoint = extras.get("endpoint_url")
    return _AwsKeys(
        str(access_key),
        str(secret_key),
        region if isinstance(region, str) and region else None,
        endpoint if isinstance(endpoint, str) and endpoint else None,
    )


def _temporary(conn_id: str) -> str:
    return (
        f"Airflow connection {conn_id!r} gives temporary AWS credentials (with a session token), which "
        "Planet cannot use for delivery: give it a long-lived access key"
    )


# --- Google Cloud Storage -----------------------------------------------------------------------


def _gcp_key(conn_id: str) -> str:
    """The connection's service-account key, base64-encoded as Planet wants it."""
    extras = _extras(_connection(conn_id))

    def field(name: str) -> Any:
        return extras.get(name) or extras.get(f"{_GCP_PREFIX}{name}")

    keyfile = field("keyfile_dict")
    key_path = field("key_path")
    if keyfile:
        if isinstance(keyfile, str):
            try:
                info = json.loads(keyfile)
            except ValueError:
                raise _Unresolved(
                    CONNECTION_MARKER, f"the keyfile_dict of Airflow connection {conn_id!r} is not JSON"
                ) from None
        else:
            info = keyfile
    elif key_path:
        try:
            info = json.loads(Path(str(key_path)).read_text())
        except (OSError, ValueError) as exc:
            raise _Unresolved(
                CONNECTION_MARKER,
                f"the key_path {str(key_path)!r} of Airflow connection {conn_id!r} could not be read as JSON "
                f"({type(exc).__name__})",
            ) from None
    elif field("key_secret_name"):
        raise _Unresolved(
            CONNECTION_MARKER,
            f"Airflow connection {conn_id!r} keeps its key in Secret Manager (key_secret_name), which this "
            "provider does not read: give it keyfile_dict or key_path",
        )
    else:
        raise _Unresolved(
            CONNECTION_MARKER,
            f"Airflow connection {conn_id!r} has no service-account key (keyfile_dict or key_path); Planet "
            "needs a key, Application Default Credentials cannot be sent to it",
        )
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise _Unresolved(
            CONNECTION_MARKER, f"the key of Airflow connection {conn_id!r} is not a service-account key"
        )
    private_key = info.get("private_key")
    if isinstance(private_key, str):
        mask_secret(private_key)
    encoded = base64.b64encode(json.dumps(info).encode()).decode()
    mask_secret(encoded)
    return encoded
