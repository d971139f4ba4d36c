"""Registration with Airflow: entry point, provider info and the connection form."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import jsonschema
import pytest

import airflow_provider_planet_orders
from airflow_provider_planet_orders.get_provider_info import get_provider_info
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook


def test_entry_point_resolves_to_get_provider_info() -> None:
    (ep,) = [
        e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("airflow_provider_")
    ]
    assert ep.load() is get_provider_info


def test_provider_info_validates_against_airflows_schema() -> None:
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "airflow-provider-planet-orders"
    assert info["versions"] == [airflow_provider_planet_orders.__version__]
    assert {"name", "description", "integrations", "hooks", "connection-types"} <= set(info)


def test_every_module_and_class_named_in_provider_info_imports() -> None:
    import importlib

    info = get_provider_info()
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info.get(section, []):
            for module in entry["python-modules"]:
                importlib.import_module(module)
    dotted = [c["hook-class-name"] for c in info["connection-types"]] + info.get("extra-links", [])
    for path in dotted:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path


def test_connection_type_matches_the_hook() -> None:
    (conn,) = get_provider_info()["connection-types"]
    assert conn["connection-type"] == PlanetOrdersHook.conn_type == "planet"
    assert PlanetOrdersHook.default_conn_name == "planet_default"
    assert PlanetOrdersHook.conn_name_attr == "planet_conn_id"


def test_connection_form_shows_only_what_matters() -> None:
    behaviour = PlanetOrdersHook.get_ui_field_behaviour()
    assert set(behaviour["hidden_fields"]) == {"schema", "extra"}
    assert behaviour["relabeling"]["password"] == "API key"
    assert behaviour["relabeling"]["login"] == "OAuth2 client id"
    assert behaviour["relabeling"]["host"] == "Base URL"
    assert "PL_API_KEY" in behaviour["placeholders"]["password"]


def test_providers_manager_loads_the_form_and_hook() -> None:
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    assert "airflow-provider-planet-orders" in pm.providers
    hook_info = pm.hooks["planet"]
    assert hook_info is not None
    assert hook_info.connection_type == "planet"
    assert hook_info.hook_class_name.endswith("PlanetOrdersHook")
    declarative = hasattr(pm, "_load_ui_metadata")  # Airflow 3.2+ reads the form from provider info
    if not declarative and importlib.util.find_spec("wtforms") is None:
        # Airflow 3.0/3.1 load connection forms only where the FAB UI (wtforms) is installed.
        assert "planet" not in pm.field_behaviours
        return
    behaviour = pm.field_behaviours["planet"]
    assert behaviour["relabeling"]["password"].startswith("API key")
    if declarative:
        widgets = {name for name in pm.connection_form_widgets if name.startswith("extra__planet__")}
        assert {"extra__planet__read_timeout", "extra__planet__rate_limits", "extra__planet__auth"} <= widgets


@pytest.mark.parametrize(
    ("command", "expected"), [("list", "airflow-provider-planet-orders"), ("hooks", "planet")]
)
def test_airflow_cli_lists_the_provider(command: str, expected: str) -> None:
    airflow = Path(sys.executable).parent / "airflow"
    out = subprocess.run(
        [str(airflow), "providers", command, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # Airflow may log a line before the JSON document.
    rows = json.loads(next(line for line in out.splitlines() if line.startswith("[{")))
    names = {row.get("package_name") for row in rows} | {row.get("connection_type") for row in rows}
    assert expected in names
