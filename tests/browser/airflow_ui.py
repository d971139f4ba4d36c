"""
What a person does in Airflow 3's UI, as Playwright steps: small, named, reused by the browser tests.

Selectors are the ones a person reads (labels, button names, row text), so that a test breaks
when the UI a user sees changes, not when its markup does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class ConnectionTest:
    """What pressing a connection's Test button did: the API's answer and what the UI showed."""

    status: int
    body: Any
    icon_color: str | None
    toasts: list[str]

    @property
    def succeeded(self) -> bool:
        return self.status == 200 and isinstance(self.body, dict) and self.body.get("status") is True


def add_connection(page: Any, base_url: str, conn_id: str, conn_type: str, fields: Mapping[str, str]) -> None:
    """
    Admin -> Connections -> Add Connection, filled in by label, then Save.

    :param conn_type: The type as the form lists it (the hook's name, e.g. "Planet Orders").
    :param fields: Label -> value, for the fields the form shows once the type is chosen.
    """
    page.goto(f"{base_url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Connection ID").fill(conn_id)
    dialog.get_by_role("combobox").fill(conn_type)
    page.get_by_role("option", name=conn_type, exact=True).click()
    for label, value in fields.items():
        dialog.get_by_label(label, exact=True).fill(value)
    with page.expect_response(
        lambda r: r.url.endswith("/api/v2/connections") and r.request.method == "POST"
    ) as saved:
        dialog.get_by_role("button", name="Save").click()
    response = saved.value
    assert response.status in (200, 201), (
        f"saving the connection answered {response.status}: {response.text()}"
    )
    connection_row(page, conn_id).wait_for()


def connection_row(page: Any, conn_id: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=conn_id, exact=True))


def press_test_in_the_list(page: Any, conn_id: str) -> ConnectionTest:
    """Press the Test Connection button of ``conn_id``'s row in the connections list."""
    button = connection_row(page, conn_id).get_by_role("button", name="Test Connection")
    with page.expect_response(lambda r: r.url.endswith("/api/v2/connections/test")) as answered:
        button.click()
    response = answered.value
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text()
    # The button's icon turns green or red once the UI has the answer.
    icon = button.locator("svg")
    page.wait_for_function(
        "icon => ['green', 'red'].includes(icon.getAttribute('color'))", arg=icon.element_handle()
    )
    toasts = [t.inner_text() for t in page.locator("[data-part=title], [data-part=description]").all()]
    return ConnectionTest(response.status, body, icon.get_attribute("color"), toasts)
