"""Planet's ``{{name}}`` / ``{{order_id}}`` placeholders survive Airflow's template rendering."""

from __future__ import annotations

import datetime
from typing import Any

import jinja2
import pytest

from airflow_provider_planet_orders._compat import BaseOperator
from airflow_provider_planet_orders.order_request import (
    build_order_request,
    delivery,
    protect_planet_placeholders,
    scene_product,
    validate_order_request,
)


class _Templated(BaseOperator):
    template_fields = ("order_request",)

    def __init__(self, order_request: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.order_request = order_request


def render(order_request: Any) -> Any:
    """Render ``order_request`` the way Airflow renders any templated operator field."""
    from airflow.sdk import DAG

    with DAG("templating", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
        task = _Templated(task_id="t", order_request=order_request)
    task.render_template_fields({"ds": "2024-06-01", "params": {"bucket": "imagery"}})
    return task.order_request


REQUEST = build_order_request(
    "order {{ ds }}",
    [scene_product(["20240601_101010_00_2461"], "PSScene", "analytic_udm2")],
    delivery=delivery(archive_type="zip", archive_filename="{{name}}_{{order_id}}.zip"),
)


def test_unprotected_planet_placeholders_break_rendering() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render(REQUEST)


def test_protected_placeholders_render_to_themselves_and_airflow_templates_still_render() -> None:
    rendered = render(protect_planet_placeholders(REQUEST))
    assert rendered["name"] == "order 2024-06-01"
    assert rendered["delivery"]["archive_filename"] == "{{name}}_{{order_id}}.zip"
    validate_order_request(rendered)
    assert REQUEST["delivery"]["archive_filename"] == "{{name}}_{{order_id}}.zip", "the input is not changed"


@pytest.mark.parametrize(
    ("written", "rendered"),
    [
        ("{{ ds }}_{{ order_id }}.zip", "2024-06-01_{{ order_id }}.zip"),
        ("{% raw %}{{name}}_{{order_id}}{% endraw %}.zip", "{{name}}_{{order_id}}.zip"),
        ("{{ '{{name}}' }}.zip", "{{name}}.zip"),
        ("{{ params.bucket }}/{{name}}", "imagery/{{name}}"),
        ("plain.zip", "plain.zip"),
    ],
)
def test_placeholders_next_to_airflow_templates(written: str, rendered: str) -> None:
    assert render(protect_planet_placeholders({"archive_filename": written})) == {
        "archive_filename": rendered
    }


def test_protection_is_idempotent_and_leaves_other_values_alone() -> None:
    once = protect_planet_placeholders(REQUEST)
    assert protect_planet_placeholders(once) == once
    assert protect_planet_placeholders("{{ ti.xcom_pull('build') }}") == "{{ ti.xcom_pull('build') }}"
    assert protect_planet_placeholders(None) is None
    assert protect_planet_placeholders({"n": 1, "t": ("{{name}}",)}) == {
        "n": 1,
        "t": ["{% raw %}{{name}}{% endraw %}"],
    }
