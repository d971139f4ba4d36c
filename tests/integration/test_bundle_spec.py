"""Planet's live bundle spec from the emulator: fetched when a check needs it, cached for a day."""

from __future__ import annotations

import pytest

from airflow_provider_planet_orders._compat import TaskDeferred
from airflow_provider_planet_orders.core.bundles import BundleSpec
from airflow_provider_planet_orders.hooks import bundle_spec
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from airflow_provider_planet_orders.operators.orders import PlanetCreateOrderOperator
from tests.integration.conftest import scene_request
from tests.unit.fakes import make_context


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(bundle_spec.CACHE_DIR_ENV, str(tmp_path / "cache"))
    bundle_spec.forget()
    yield tmp_path / "cache"
    bundle_spec.forget()


def spec_requests(emulator) -> int:
    return sum(emulator.stats()["requests"].get("bundles_spec", {}).values())


def test_the_live_spec_is_fetched_once_then_served_from_memory_and_disk(emulator, hook, fresh_cache) -> None:
    spec = hook.get_bundle_spec()
    assert "PSScene" in spec.item_types()
    assert spec.bundles_for("PSScene") == BundleSpec.vendored().bundles_for("PSScene")
    assert hook.get_bundle_spec() is spec
    assert spec_requests(emulator) == 1
    assert list(fresh_cache.glob("bundles-spec-*.json"))  # the file other processes read
    bundle_spec.forget()  # as a new task process on the same host
    assert PlanetOrdersHook().get_bundle_spec().bundles() == spec.bundles()
    assert spec_requests(emulator) == 1


def test_an_unreachable_api_falls_back_to_the_shipped_copy(monkeypatch, caplog) -> None:
    from tests.conftest import set_planet_connection

    set_planet_connection(monkeypatch, host="http://127.0.0.1:9")  # nothing listens there
    hook = PlanetOrdersHook()
    hook.sleep = lambda s: None
    assert hook.get_bundle_spec() is BundleSpec.vendored()
    assert hook.get_bundle_spec() is BundleSpec.vendored()  # no second attempt right away


def test_the_operator_asks_for_the_live_spec_only_when_the_shipped_one_does_not_know_a_name(emulator) -> None:
    known = PlanetCreateOrderOperator(task_id="known", order_request=scene_request("known"), deferrable=True)
    with pytest.raises(TaskDeferred):
        known.execute(make_context())
    assert spec_requests(emulator) == 0

    request = scene_request("newer")
    request["products"][0]["product_bundle"] = "analytic_udm2,analytic_16b_udm3"  # newer than the copy
    newer = PlanetCreateOrderOperator(task_id="newer", order_request=request, deferrable=True)
    with pytest.raises(TaskDeferred):
        newer.execute(make_context())
    assert spec_requests(emulator) == 1
