"""PlanetOrderTrigger: serialization, one event per wait, transient errors, deadline, on_kill."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import respx

from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook
from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger
from tests.conftest import API_KEY
from tests.unit.test_hook_endpoints import OID, ORDERS, order

ORDER_URL = f"{ORDERS}/{OID}"


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def fast_hooks(planet_connection, monkeypatch):
    """Hooks built by triggers retry without waiting."""

    def make(self):
        hook = PlanetOrdersAsyncHook(planet_conn_id=self.planet_conn_id)
        hook.sleep = _no_sleep
        hook.limiter = RateLimiter()
        return hook

    monkeypatch.setattr(PlanetOrderTrigger, "_hook", make)


@pytest.fixture
def api():
    with respx.mock() as mock:
        yield mock


async def collect(trigger: PlanetOrderTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]


def test_serialization_round_trip_is_json_safe_and_secret_free() -> None:
    trigger = PlanetOrderTrigger(
        order_id=OID.upper(),
        planet_conn_id="planet_eu",
        poll_interval=15,
        deadline=1_900_000_000.5,
        end_states=["success", "failed"],
        cancel_on_kill=True,
    )
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_planet_orders.triggers.orders.PlanetOrderTrigger"
    assert kwargs == {
        "order_id": OID,
        "planet_conn_id": "planet_eu",
        "poll_interval": 15.0,
        "deadline": 1_900_000_000.5,
        "end_states": ["success", "failed"],
        "cancel_on_kill": True,
        "last_seen": None,
        "share_polls": True,
        "safety_poll_interval": 1800.0,
    }
    text = json.dumps(kwargs)
    assert API_KEY not in text
    assert PlanetOrderTrigger(**json.loads(text)).serialize() == (path, kwargs)


@pytest.mark.parametrize("bad", [{"order_id": "x"}, {"order_id": OID, "end_states": ["done"]}])
def test_bad_arguments_are_refused(bad) -> None:
    with pytest.raises(ValueError, match=r"order_id|end_states"):
        PlanetOrderTrigger(**bad)


async def test_waits_through_states_and_fires_exactly_one_event(fast_hooks, api, capfd, caplog) -> None:
    done = order(state="success", last_message="Manifest delivery completed")
    done["_links"]["results"] = [{"name": "x", "location": "https://secret-link?token=abc"}] * 500
    api.get(ORDER_URL).mock(
        side_effect=[
            httpx.Response(200, json=order(state=s)) for s in ("queued", "queued", "running", "running")
        ]
        + [httpx.Response(200, json=done)]
    )
    events = await collect(PlanetOrderTrigger(order_id=OID, poll_interval=0.001))
    assert len(events) == 1
    event = events[0]
    assert set(event) == {"status", "order_id", "message"}
    assert event["status"] == "success"
    assert event["order_id"] == OID
    assert "Manifest delivery completed" in event["message"]
    assert len(json.dumps(event)) < 1000  # small: no result links
    # Airflow 3.3 logs through structlog to the console; 3.0 through logging (and its handlers).
    console = "".join(capfd.readouterr())
    for state in ("queued", "running", "success"):
        line = f"Planet order {OID} is {state}"
        assert max(caplog.text.count(line), console.count(line)) == 1


async def test_failed_order_event_carries_planets_reasons(fast_hooks, api) -> None:
    failed = order(state="failed", last_message="Order failed", error_hints=["item a unavailable"] * 30)
    api.get(ORDER_URL).respond(json=failed)
    (event,) = await collect(PlanetOrderTrigger(order_id=OID, poll_interval=0.001))
    assert event["status"] == "failed"
    assert "Order failed" in event["message"]
    assert "item a unavailable" in event["message"]
    assert event["message"].count("item a unavailable") == 10  # cut short: the event stays small


async def test_custom_end_states(fast_hooks, api) -> None:
    api.get(ORDER_URL).respond(json=order(state="running"))
    (event,) = await collect(PlanetOrderTrigger(order_id=OID, poll_interval=0.001, end_states=["running"]))
    assert event["status"] == "running"


async def test_transient_errors_do_not_end_the_wait(fast_hooks, api, monkeypatch) -> None:
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.asyncio.sleep", _no_sleep)
    failures = [httpx.Response(503)] * 6 + [httpx.ConnectError("refused")] * 6 + [httpx.Response(429)] * 6
    api.get(ORDER_URL).mock(side_effect=[*failures, httpx.Response(200, json=order(state="success"))])
    (event,) = await collect(PlanetOrderTrigger(order_id=OID, poll_interval=1))
    assert event["status"] == "success"
    assert len(api.calls) == 19  # three exhausted retry rounds, then the answer


@pytest.mark.parametrize(
    ("status", "text"), [(401, "401 Unauthorized"), (403, "403"), (404, "404 Not Found")]
)
async def test_auth_errors_and_404_end_the_wait_with_error(fast_hooks, api, status, text) -> None:
    api.get(ORDER_URL).respond(status, json={"message": "no"})
    (event,) = await collect(PlanetOrderTrigger(order_id=OID, poll_interval=0.001))
    assert event["status"] == "error"
    assert text in event["message"]
    assert len(api.calls) == 1


async def test_deadline_ends_the_wait_with_timeout(fast_hooks, api) -> None:
    api.get(ORDER_URL).respond(json=order(state="running"))
    started = time.monotonic()
    (event,) = await collect(PlanetOrderTrigger(order_id=OID, poll_interval=30, deadline=time.time() + 0.3))
    assert event["status"] == "timeout"
    assert "before the deadline (last seen running)" in event["message"]
    assert time.monotonic() - started < 5  # the poll interval was cut short by the deadline


async def test_on_kill_cancels_when_asked(fast_hooks, api) -> None:
    route = api.put(ORDER_URL).respond(json=order(state="cancelled"))
    await PlanetOrderTrigger(order_id=OID).on_kill()
    assert route.call_count == 0
    await PlanetOrderTrigger(order_id=OID, cancel_on_kill=True).on_kill()
    assert route.call_count == 1


async def test_on_kill_tolerates_an_order_that_is_already_running(fast_hooks, api) -> None:
    route = api.put(ORDER_URL).respond(409, json={"message": "Order not in a cancellable state"})
    await PlanetOrderTrigger(order_id=OID, cancel_on_kill=True).on_kill()  # does not raise
    assert route.call_count == 1  # the cancel was sent, and Planet's 409 was tolerated
