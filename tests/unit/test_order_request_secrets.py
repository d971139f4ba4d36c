"""Delivery secrets: finding, redacting and masking them; credentials read from Airflow connections."""

from __future__ import annotations

import base64
import json
import sys
import types
from collections import namedtuple
from typing import Any

import pytest

from airflow_provider_planet_orders.exceptions import PlanetInvalidOrderRequestError
from airflow_provider_planet_orders.order_request import (
    SECRET_FIELDS,
    _connections,
    amazon_s3,
    azure_blob_storage,
    build_order_request,
    delivery,
    google_cloud_storage,
    google_earth_engine,
    iter_secret_values,
    mask_order_request_secrets,
    oracle_cloud_storage,
    redact_order_request,
    resolve_connection_credentials,
    s3_compatible,
    scene_product,
    validate_order_request,
)

SCENE = scene_product(["20240601_101010_00_2461"], "PSScene", "analytic_udm2")
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "imagery",
    "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    "client_email": "planet@imagery.iam.gserviceaccount.com",
}
SERVICE_ACCOUNT_B64 = base64.b64encode(json.dumps(SERVICE_ACCOUNT).encode()).decode()


def order(target: dict) -> dict:
    return build_order_request("secrets", [SCENE], delivery=delivery(target))


def every_secret_target() -> dict[str, dict]:
    return {
        "amazon_s3": order(
            amazon_s3(
                "b", "us-east-1", aws_access_key_id="AKIA-s3-key-id", aws_secret_access_key="s3-secret-value"
            )
        ),
        "azure": order(azure_blob_storage("acct", "cont", "sv=2024&sig=azure-sas-token")),
        "gcs": order(google_cloud_storage("b", SERVICE_ACCOUNT_B64)),
        "gee": order(google_earth_engine("p", "c", credentials="gee-credentials-value")),
        "oracle": order(oracle_cloud_storage("b", "r", "ns", "oracle-key-id", "oracle-secret-value")),
        "s3_compatible": order(
            s3_compatible(
                "b", "https://minio", "r", access_key_id="minio-key-id", secret_access_key="minio-secret"
            )
        ),
    }


# --- finding, redacting, masking --------------------------------------------------------------


def test_secret_fields_cover_every_credential_of_the_reference() -> None:
    assert {
        "aws_secret_access_key",
        "sas_token",
        "credentials",
        "customer_secret_key",
        "secret_access_key",
        "aws_access_key_id",
        "customer_access_key_id",
        "access_key_id",
    } == SECRET_FIELDS


@pytest.mark.parametrize(
    ("target", "secrets"),
    [
        ("amazon_s3", {"AKIA-s3-key-id", "s3-secret-value"}),
        ("azure", {"sv=2024&sig=azure-sas-token"}),
        ("gcs", {SERVICE_ACCOUNT_B64}),
        ("gee", {"gee-credentials-value"}),
        ("oracle", {"oracle-key-id", "oracle-secret-value"}),
        ("s3_compatible", {"minio-key-id", "minio-secret"}),
    ],
)
def test_iter_secret_values_finds_each_target_s_secrets(target: str, secrets: set[str]) -> None:
    request = every_secret_target()[target]
    assert set(iter_secret_values(request)) == secrets
    redacted = redact_order_request(request)
    text = json.dumps(redacted)
    assert not any(secret in text for secret in secrets)
    assert "***" in text
    assert redacted["products"] == request["products"]
    assert set(iter_secret_values(request)) == secrets, "the request itself is left alone"


def test_secrets_are_found_anywhere_and_in_any_shape() -> None:
    request = {
        "name": "odd",
        "products": [],
        "delivery": {"google_cloud_storage": {"bucket": "b", "credentials": SERVICE_ACCOUNT}},
        "tools": [{"custom": {"secret_access_key": "nested-secret", "other": ["sas_token"]}}],
        "x": ({"sas_token": ["token-one", "token-one", {"deeper": "token-two"}]},),
    }
    found = list(iter_secret_values(request))
    assert set(found) == {*(v for v in SERVICE_ACCOUNT.values()), "nested-secret", "token-one", "token-two"}
    assert len(found) == len(set(found))
    redacted = redact_order_request(request)
    assert redacted["delivery"]["google_cloud_storage"] == {"bucket": "b", "credentials": "***"}
    assert redacted["tools"][0]["custom"] == {"secret_access_key": "***", "other": ["sas_token"]}
    assert redacted["x"] == [{"sas_token": "***"}]


def test_nothing_secret_nothing_found_and_none_is_left_as_none() -> None:
    assert list(iter_secret_values(build_order_request("plain", [SCENE]))) == []
    assert list(iter_secret_values(None)) == []
    assert list(iter_secret_values("credentials")) == []
    assert redact_order_request({"credentials": None, "name": "n"}) == {"credentials": None, "name": "n"}
    with pytest.raises(TypeError):
        redact_order_request(["not", "a", "request"])  # type: ignore[arg-type]


def test_the_connection_marker_is_not_a_secret() -> None:
    request = order(amazon_s3("b", "r", aws_conn_id="aws_prod"))
    assert list(iter_secret_values(request)) == []
    assert redact_order_request(request) == request


def test_mask_order_request_secrets_registers_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    masked: list[str] = []
    monkeypatch.setattr("airflow_provider_planet_orders.order_request._secrets.mask_secret", masked.append)
    for request in every_secret_target().values():
        mask_order_request_secrets(request)
    assert set(masked) == {
        "AKIA-s3-key-id",
        "s3-secret-value",
        "sv=2024&sig=azure-sas-token",
        SERVICE_ACCOUNT_B64,
        "gee-credentials-value",
        "oracle-key-id",
        "oracle-secret-value",
        "minio-key-id",
        "minio-secret",
    }


def test_masked_secrets_are_hidden_by_airflows_own_masker() -> None:
    from airflow.providers.common.compat.sdk import redact

    request = order(
        amazon_s3("b", "r", aws_access_key_id="AKIAMASKEDKEYID", aws_secret_access_key="masked-s3-secret")
    )
    mask_order_request_secrets(request)
    logged = redact(f"creating {json.dumps(request)}")
    assert "masked-s3-secret" not in logged
    assert "AKIAMASKEDKEYID" not in logged
    assert "***" in logged


# --- credentials from Airflow connections: without the providers -----------------------------


def set_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: Any) -> None:
    """Define a connection the way deployments do: an AIRFLOW_CONN_<ID> variable in JSON form."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))


@pytest.fixture
def masked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    recorded: list[str] = []
    monkeypatch.setattr("airflow_provider_planet_orders.order_request._secrets.mask_secret", recorded.append)
    monkeypatch.setattr(
        "airflow_provider_planet_orders.order_request._connections.mask_secret", recorded.append
    )
    return recorded


def test_the_amazon_provider_is_not_installed_here() -> None:
    assert _connections._aws_hook_class() is None


def test_amazon_s3_credentials_from_an_aws_connection(
    monkeypatch: pytest.MonkeyPatch, masked: list[str]
) -> None:
    set_connection(
        monkeypatch,
        "aws_planet",
        conn_type="aws",
        login="AKIACONNECTIONKEY",
        password="connection-secret-key",
        extra={"region_name": "eu-west-1"},
    )
    request = order(amazon_s3(bucket="imagery", aws_conn_id="aws_planet", path_prefix="planet/"))
    validate_order_request(request)
    resolved = resolve_connection_credentials(request)
    assert resolved["delivery"]["amazon_s3"] == {
        "bucket": "imagery",
        "aws_access_key_id": "AKIACONNECTIONKEY",
        "aws_secret_access_key": "connection-secret-key",
        "aws_region": "eu-west-1",
        "path_prefix": "planet/",
    }
    assert request["delivery"]["amazon_s3"]["airflow_conn_id"] == "aws_planet", "the input is not changed"
    validate_order_request(resolved)
    assert {"AKIACONNECTIONKEY", "connection-secret-key"} <= set(masked)


def test_the_request_s_region_wins_and_extras_can_hold_the_keys(
    monkeypatch: pytest.MonkeyPatch, masked
) -> None:
    set_connection(
        monkeypatch,
        "aws_extras",
        conn_type="aws",
        extra={
            "aws_access_key_id": "AKIAFROMEXTRA",
            "aws_secret_access_key": "extra-secret",
            "region_name": "eu-west-1",
        },
    )
    resolved = resolve_connection_credentials(order(amazon_s3("b", "us-west-2", aws_conn_id="aws_extras")))
    s3 = resolved["delivery"]["amazon_s3"]
    assert (s3["aws_region"], s3["aws_access_key_id"], s3["aws_secret_access_key"]) == (
        "us-west-2",
        "AKIAFROMEXTRA",
        "extra-secret",
    )


def test_s3_compatible_credentials_endpoint_and_region_from_a_connection(monkeypatch, masked) -> None:
    set_connection(
        monkeypatch,
        "minio",
        conn_type="aws",
        login="minio-access",
        password="minio-secret-key",
        extra={"endpoint_url": "https://minio.example.com", "region_name": "us-east-1"},
    )
    resolved = resolve_connection_credentials(
        order(s3_compatible("b", aws_conn_id="minio", use_path_style=True))
    )
    assert resolved["delivery"]["s3_compatible"] == {
        "bucket": "b",
        "use_path_style": True,
        "access_key_id": "minio-access",
        "secret_access_key": "minio-secret-key",
        "region": "us-east-1",
        "endpoint": "https://minio.example.com",
    }
    validate_order_request(resolved)


def resolution_problems(request: dict) -> list[tuple[str, str]]:
    with pytest.raises(PlanetInvalidOrderRequestError) as info:
        resolve_connection_credentials(request)
    return info.value.problems


def test_a_missing_connection_names_the_field_and_the_connection() -> None:
    assert resolution_problems(order(amazon_s3("b", "r", aws_conn_id="no_such_conn"))) == [
        ("delivery.amazon_s3.airflow_conn_id", "Airflow connection 'no_such_conn' does not exist")
    ]


def test_a_connection_without_keys_or_region_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, masked
) -> None:
    set_connection(monkeypatch, "half", conn_type="aws", login="AKIAHALFKEY")
    problems = resolution_problems(order(amazon_s3("b", "r", aws_conn_id="half")))
    assert problems == [
        (
            "delivery.amazon_s3.airflow_conn_id",
            "Airflow connection 'half' has no secret access key (its password)",
        )
    ]
    assert "AKIAHALFKEY" not in str(problems)
    set_connection(monkeypatch, "noregion", conn_type="aws", login="AKIA", password="secret-secret")
    assert resolution_problems(order(s3_compatible("b", aws_conn_id="noregion"))) == [
        (
            "delivery.s3_compatible.region",
            "is not in the request, and Airflow connection 'noregion' sets no region_name",
        ),
        (
            "delivery.s3_compatible.endpoint",
            "is not in the request, and Airflow connection 'noregion' sets no endpoint_url",
        ),
    ]


def test_temporary_aws_credentials_are_refused(monkeypatch: pytest.MonkeyPatch, masked) -> None:
    set_connection(
        monkeypatch,
        "sts",
        conn_type="aws",
        login="ASIA",
        password="tmp-secret",
        extra={"aws_session_token": "t"},
    )
    ((path, message),) = resolution_problems(order(amazon_s3("b", "r", aws_conn_id="sts")))
    assert path == "delivery.amazon_s3.airflow_conn_id"
    assert "temporary AWS credentials" in message
    assert "tmp-secret" not in message


@pytest.mark.parametrize("prefix", ["", "extra__google_cloud_platform__"])
@pytest.mark.parametrize("as_text", [True, False])
def test_gcs_key_from_a_google_connection_keyfile_dict(
    monkeypatch, masked, prefix: str, as_text: bool
) -> None:
    keyfile = json.dumps(SERVICE_ACCOUNT) if as_text else SERVICE_ACCOUNT
    set_connection(
        monkeypatch, "gcp_planet", conn_type="google_cloud_platform", extra={f"{prefix}keyfile_dict": keyfile}
    )
    request = order(google_cloud_storage(bucket="imagery", gcp_conn_id="gcp_planet"))
    validate_order_request(request)
    resolved = resolve_connection_credentials(request)
    gcs = resolved["delivery"]["google_cloud_storage"]
    assert set(gcs) == {"bucket", "credentials"}
    assert json.loads(base64.b64decode(gcs["credentials"])) == SERVICE_ACCOUNT
    validate_order_request(resolved)
    assert gcs["credentials"] in masked
    assert SERVICE_ACCOUNT["private_key"] in masked


def test_gcs_key_from_a_key_path(monkeypatch, masked, tmp_path) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(SERVICE_ACCOUNT))
    set_connection(
        monkeypatch, "gcp_file", conn_type="google_cloud_platform", extra={"key_path": str(key_file)}
    )
    resolved = resolve_connection_credentials(order(google_cloud_storage("b", gcp_conn_id="gcp_file")))
    assert (
        json.loads(base64.b64decode(resolved["delivery"]["google_cloud_storage"]["credentials"]))
        == SERVICE_ACCOUNT
    )


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({}, "has no service-account key (keyfile_dict or key_path)"),
        ({"key_secret_name": "projects/p/secrets/s"}, "keeps its key in Secret Manager"),
        ({"keyfile_dict": "{not json"}, "is not JSON"),
        (
            {"keyfile_dict": json.dumps({"type": "authorized_user", "refresh_token": "r"})},
            "is not a service-account key",
        ),
        ({"key_path": "/nonexistent/key.json"}, "could not be read as JSON (FileNotFoundError)"),
    ],
)
def test_gcs_connections_without_a_usable_key(monkeypatch, masked, extra: dict, fragment: str) -> None:
    set_connection(monkeypatch, "gcp_bad", conn_type="google_cloud_platform", extra=extra)
    ((path, message),) = resolution_problems(order(google_cloud_storage("b", gcp_conn_id="gcp_bad")))
    assert path == "delivery.google_cloud_storage.airflow_conn_id"
    assert "'gcp_bad'" in message
    assert fragment in message


def test_the_marker_where_connections_are_not_supported() -> None:
    request = order(azure_blob_storage("a", "c", "sv=1&sig=2"))
    del request["delivery"]["azure_blob_storage"]["sas_token"]
    request["delivery"]["azure_blob_storage"]["airflow_conn_id"] = "azure"
    ((path, message),) = resolution_problems(request)
    assert path == "delivery.azure_blob_storage.airflow_conn_id"
    assert "is not supported for azure_blob_storage" in message
    bad_marker = order(amazon_s3("b", "r", aws_conn_id="x"))
    bad_marker["delivery"]["amazon_s3"]["airflow_conn_id"] = 5
    assert resolution_problems(bad_marker) == [
        ("delivery.amazon_s3.airflow_conn_id", "must be the id of an Airflow connection")
    ]


def test_requests_without_markers_come_back_as_copies() -> None:
    for request in [
        build_order_request("plain", [SCENE]),
        *every_secret_target().values(),
        {"delivery": None},
    ]:
        resolved = resolve_connection_credentials(request)
        assert resolved == request
        assert resolved is not request


# --- credentials from Airflow connections: with the Amazon provider ----------------------------

Credentials = namedtuple("Credentials", "access_key secret_key token")


class FakeAwsBaseHook:
    """Stands in for the Amazon provider's AwsBaseHook: what it was asked, and canned answers."""

    created: list[dict[str, Any]] = []
    credentials = Credentials("AKIAFROMHOOK", "hook-secret-key", None)
    region_name: str | None = "ap-southeast-2"
    error: Exception | None = None

    def __init__(self, **kwargs: Any) -> None:
        FakeAwsBaseHook.created.append(kwargs)
        self.conn_config = types.SimpleNamespace(endpoint_url="https://s3.hook.example.com")

    def get_credentials(self) -> Credentials:
        if self.error is not None:
            raise self.error
        return self.credentials


@pytest.fixture
def amazon_provider(monkeypatch: pytest.MonkeyPatch) -> type[FakeAwsBaseHook]:
    names = ["airflow.providers.amazon", "airflow.providers.amazon.aws", "airflow.providers.amazon.aws.hooks"]
    for name in names:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    base_aws = types.ModuleType("airflow.providers.amazon.aws.hooks.base_aws")
    base_aws.AwsBaseHook = FakeAwsBaseHook  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "airflow.providers.amazon.aws.hooks.base_aws", base_aws)
    monkeypatch.setattr(FakeAwsBaseHook, "created", [])
    return FakeAwsBaseHook


def test_with_the_amazon_provider_the_hook_supplies_the_keys(amazon_provider, masked) -> None:
    resolved = resolve_connection_credentials(order(amazon_s3("b", aws_conn_id="aws_role")))
    assert amazon_provider.created == [{"aws_conn_id": "aws_role", "client_type": "s3"}]
    assert resolved["delivery"]["amazon_s3"] == {
        "bucket": "b",
        "aws_access_key_id": "AKIAFROMHOOK",
        "aws_secret_access_key": "hook-secret-key",
        "aws_region": "ap-southeast-2",
    }
    compatible = resolve_connection_credentials(order(s3_compatible("b", aws_conn_id="aws_role")))
    assert compatible["delivery"]["s3_compatible"]["endpoint"] == "https://s3.hook.example.com"
    assert {"AKIAFROMHOOK", "hook-secret-key"} <= set(masked)


def test_with_the_amazon_provider_temporary_keys_are_refused(amazon_provider, monkeypatch) -> None:
    monkeypatch.setattr(amazon_provider, "credentials", Credentials("ASIA", "tmp-secret", "session-token"))
    ((path, message),) = resolution_problems(order(amazon_s3("b", "r", aws_conn_id="aws_sso")))
    assert path == "delivery.amazon_s3.airflow_conn_id"
    assert "'aws_sso'" in message
    assert "temporary AWS credentials" in message


def test_with_the_amazon_provider_hook_failures_name_the_connection(amazon_provider, monkeypatch) -> None:
    monkeypatch.setattr(amazon_provider, "error", RuntimeError("Unable to locate credentials"))
    assert resolution_problems(order(amazon_s3("b", "r", aws_conn_id="aws_broken"))) == [
        (
            "delivery.amazon_s3.airflow_conn_id",
            "could not get AWS credentials from Airflow connection 'aws_broken' (RuntimeError)",
        )
    ]
    from airflow_provider_planet_orders._compat import AirflowNotFoundException

    monkeypatch.setattr(amazon_provider, "error", AirflowNotFoundException("aws_gone"))
    assert resolution_problems(order(amazon_s3("b", "r", aws_conn_id="aws_gone"))) == [
        ("delivery.amazon_s3.airflow_conn_id", "Airflow connection 'aws_gone' does not exist")
    ]
