"""PlanetOrderSensor: poke results, failures, deferral, timeouts and soft_fail."""

from __future__ import annotations

import time

import pytest
import responses

from airflow_provider_planet_orders._compat import (
    AirflowFailException,
    AirflowSkipException,
    TaskDeferred,
)
from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.sensors.orders import PlanetOrderSensor
from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger
from tests.unit.fakes import make_context
from tests.unit.test_hook_endpoints import OID, ORDERS, order

ORDER_URL = f"{ORDERS}/{OID}"


def sensor(**kwargs) -> PlanetOrderSensor:
    kwargs.setdefault("deferrable", False)
    s = PlanetOrderSensor(task_id="wait", order_id=OID, poke_interval=5, timeout=600, **kwargs)
    s.hook.sleep = lambda seconds: None
    s.hook.limiter = RateLimiter()
    return s


@pytest.fixture
def api(planet_connection):
    with responses.RequestsMock() as mock:
        yield mock


@pytest.mark.parametrize("state", ["queued", "running"])
def test_poke_is_false_while_the_order_is_active(api, state) -> None:
    api.get(ORDER_URL, json=order(state=state))
    assert not sensor().poke(make_context())


def test_poke_on_success_returns_the_trimmed_order(api) -> None:
    done = order(state="success")
    done["_links"]["results"] = [{"name": f"{OID}/PSScene/a.tif", "location": "https://x?token=t"}]
    api.get(ORDER_URL, json=done)
    result = sensor().poke(make_context())
    assert result.is_done
    assert result.xcom_value["state"] == "success"
    assert result.xcom_value["results"] == [f"{OID}/PSScene/a.tif"]
    assert "token" not in str(result.xcom_value)


@pytest.mark.parametrize("state", ["failed", "cancelled", "partial"])
def test_unsuccessful_end_states_fail_without_retry_with_planets_reasons(api, state) -> None:
    api.get(ORDER_URL, json=order(state=state, last_message="boom", error_hints=["item x unavailable"]))
    with pytest.raises(AirflowFailException, match=rf"is {state}: boom \(error hints: item x unavailable\)"):
        sensor().poke(make_context())


def test_partial_is_accepted_with_a_warning_when_asked(api, caplog, capfd) -> None:
    api.get(ORDER_URL, json=order(state="partial", last_message="some unavailable"))
    assert sensor(accept_partial=True).poke(make_context())
    assert "some products were unavailable" in caplog.text + "".join(capfd.readouterr())


def test_custom_success_states(api) -> None:
    api.get(ORDER_URL, json=order(state="cancelled"))
    assert sensor(success_states=["success", "cancelled"]).poke(make_context())


def test_transient_api_errors_mean_look_again(api) -> None:
    for _ in range(6):
        api.get(ORDER_URL, status=503)
    assert not sensor().poke(make_context())


def test_bad_success_states_are_refused() -> None:
    with pytest.raises(ValueError, match="success_states"):
        PlanetOrderSensor(task_id="t", order_id=OID, success_states=["running"])


def test_poke_mode_execute_returns_the_order_and_pushes_the_link(api) -> None:
    api.get(ORDER_URL, json=order(state="success"))
    context = make_context()
    assert sensor().execute(context)["id"] == OID
    assert context["ti"].xcom == {"order_id": OID, "order_url": ORDER_URL}


def test_deferrable_defers_with_a_trigger_when_the_order_is_active(api) -> None:
    api.get(ORDER_URL, json=order(state="running"))
    before = time.time()
    with pytest.raises(TaskDeferred) as info:
        sensor(deferrable=True).execute(make_context())
    trigger = info.value.trigger
    assert isinstance(trigger, PlanetOrderTrigger)
    assert trigger.order_id == OID
    assert trigger.poll_interval == 5
    assert before + 600 <= trigger.deadline <= time.time() + 600
    assert info.value.method_name == "execute_complete"


def test_deferrable_does_not_defer_a_finished_order(api) -> None:
    api.get(ORDER_URL, json=order(state="success"))
    assert sensor(deferrable=True).execute(make_context())["state"] == "success"


def test_deferrable_default_comes_from_config(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert PlanetOrderSensor(task_id="t", order_id=OID).deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert PlanetOrderSensor(task_id="t", order_id=OID).deferrable is False


def test_execute_complete_success_reads_the_final_order(api) -> None:
    api.get(ORDER_URL, json=order(state="success"))
    event = {"status": "success", "order_id": OID, "state": "success", "message": "done"}
    assert sensor().execute_complete(make_context(), event)["id"] == OID


def test_execute_complete_failed(api) -> None:
    event = {
        "status": "failed",
        "order_id": OID,
        "state": "failed",
        "message": "Planet order x is failed: boom",
    }
    with pytest.raises(AirflowFailException, match="boom"):
        sensor().execute_complete(make_context(), event)


def test_timeout_event_follows_sensor_timeout_semantics_and_soft_fail(api) -> None:
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout

    event = {"status": "timeout", "order_id": OID, "state": "running", "message": "still running"}
    with pytest.raises(AirflowSensorTimeout, match="still running"):
        sensor().resume_execution("execute_complete", {"event": event}, make_context())
    with pytest.raises(AirflowSkipException):
        sensor(soft_fail=True).resume_execution("execute_complete", {"event": event}, make_context())
