"""
No secret leaks: run orders whose delivery carries secrets through ``airflow dags test``, then
look for the API key (raw and as the Basic auth header) and every delivery secret in every log,
in the whole metadata database (XComs, rendered fields, trigger rows, serialized DAGs); and read the
emulator's copy of the orders, to prove the secrets were really in play.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.conftest import set_planet_connection
from tests.e2e.harness import AirflowSandbox

pytestmark = pytest.mark.e2e

AWS_KEY_ID = "AKIAPLANETTEST0KEYID"
AWS_SECRET = "planet-test-aws-secret-6b1d2e9f"
CONN_KEY_ID = "AKIAPLANETCONN0KEYID"
CONN_SECRET = "planet-test-conn-secret-0c4e7a12"
GCS_KEY = json.dumps({"type": "service_account", "private_key": "planet-test-gcs-private-key-93af"})
GCS_CREDENTIALS = base64.b64encode(GCS_KEY.encode()).decode()


def test_no_secret_reaches_a_log_the_database_or_xcom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_emulator(queued_seconds=1, running_seconds=1, file_size=1024, seed=9) as emulator:
        sandbox = AirflowSandbox(
            tmp_path,
            emulator_url=emulator.url,
            api_key=emulator.api_key,
            dags_folder=Path(__file__).parent / "dags",
            env={
                "AIRFLOW_VAR_PLANET_TEST_AWS_KEY_ID": AWS_KEY_ID,
                "AIRFLOW_VAR_PLANET_TEST_AWS_SECRET": AWS_SECRET,
                "AIRFLOW_VAR_PLANET_TEST_GCS_CREDENTIALS": GCS_CREDENTIALS,
                "AIRFLOW_CONN_PLANET_TEST_AWS": json.dumps(
                    {
                        "conn_type": "aws",
                        "login": CONN_KEY_ID,
                        "password": CONN_SECRET,
                        "extra": {"region_name": "us-east-1"},
                    }
                ),
            },
        )
        sandbox.migrate()
        result = sandbox.dags_test("planet_delivery_secrets")
        assert result.returncode == 0, result.output[-5000:]
        # The secrets did reach Planet (the emulator echoes each order's request back)...
        set_planet_connection(monkeypatch, host=emulator.url, password=emulator.api_key)
        sent = {
            o["name"].split(" [")[0]: o["delivery"] for o in PlanetOrdersHook().list_orders(source_type="all")
        }
        assert emulator.stats()["orders_created"]["total"] == 3
    assert sent["secret s3"]["amazon_s3"]["aws_secret_access_key"] == AWS_SECRET
    assert sent["secret gcs"]["google_cloud_storage"]["credentials"] == GCS_CREDENTIALS
    assert sent["secret from connection"]["amazon_s3"]["aws_secret_access_key"] == CONN_SECRET
    assert sent["secret from connection"]["amazon_s3"]["aws_access_key_id"] == CONN_KEY_ID

    # ...and nowhere else.

    secrets = {
        "API key": emulator.api_key,
        "Basic auth header": base64.b64encode(f"{emulator.api_key}:".encode()).decode(),
        "AWS secret from a Variable": AWS_SECRET,
        "AWS secret from a connection": CONN_SECRET,
        "GCS credentials": GCS_CREDENTIALS,
        "GCS private key": "planet-test-gcs-private-key-93af",
    }
    places = {str(p): p.read_bytes() for p in sandbox.logs.rglob("*") if p.is_file()}
    places.update({str(p): p.read_bytes() for p in sandbox.home.rglob("*.db")})
    assert any(name.endswith("airflow.db") for name in places)
    assert any(b"s3_keys_from_a_connection" in content for content in places.values())
    for name, secret in secrets.items():
        for place, content in places.items():
            assert secret.encode() not in content, f"{name} found in {place}"
