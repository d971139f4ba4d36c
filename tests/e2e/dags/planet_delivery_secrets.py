"""
Test DAG: orders whose delivery carries secrets, from Variables and from an Airflow connection.

The end-to-end secret scan runs it and looks for the secrets in every log, XCom, rendered field
and trigger row. No secret is written here: Variables and the connection come from the test's
environment, so the serialized DAG and its code in the database hold none.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_provider_planet_orders.operators.orders import PlanetCreateOrderOperator

PRODUCTS = [
    {"item_ids": ["20260101_181512_38_24b0"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}
]

with DAG(
    dag_id="planet_delivery_secrets",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    tags=["planet", "test"],
):
    PlanetCreateOrderOperator(
        task_id="s3_keys_from_variables",
        deferrable=True,
        poll_interval=1,
        order_request={
            "name": "secret s3",
            "products": PRODUCTS,
            "delivery": {
                "amazon_s3": {
                    "bucket": "planet-test-bucket",
                    "aws_region": "us-east-1",
                    "aws_access_key_id": "{{ var.value.planet_test_aws_key_id }}",
                    "aws_secret_access_key": "{{ var.value.planet_test_aws_secret }}",
                }
            },
        },
    )
    PlanetCreateOrderOperator(
        task_id="gcs_credentials_from_a_variable",
        deferrable=True,
        poll_interval=1,
        order_request={
            "name": "secret gcs",
            "products": PRODUCTS,
            "delivery": {
                "google_cloud_storage": {
                    "bucket": "planet-test-bucket",
                    "credentials": "{{ var.value.planet_test_gcs_credentials }}",
                }
            },
        },
    )
    PlanetCreateOrderOperator(
        task_id="s3_keys_from_a_connection",
        deferrable=True,
        poll_interval=1,
        order_request={
            "name": "secret from connection",
            "products": PRODUCTS,
            "delivery": {
                "amazon_s3": {
                    "bucket": "planet-test-bucket",
                    "aws_region": "us-east-1",
                    "airflow_conn_id": "planet_test_aws",
                }
            },
        },
    )
