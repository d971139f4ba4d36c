"""The order operators, sensor, trigger and async hook against the emulator over real HTTP."""

from __future__ import annotations

import time

import pytest

from airflow_provider_planet_orders._compat import AirflowException, AirflowFailException, TaskDeferred
from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook
from airflow_provider_planet_orders.operators.orders import (
    STATE_STORE_KEY,
    PlanetBulkCancelOrdersOperator,
    PlanetCancelOrderOperator,
    PlanetCreateOrderOperator,
    PlanetListOrdersOperator,
    PlanetOrderStatsOperator,
)
from airflow_provider_planet_orders.sensors.orders import PlanetOrderSensor
from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger
from tests.integration.conftest import scene_request
from tests.unit.fakes import FakeTI, make_context


@pytest.fixture(autouse=True)
def _no_operator_sleeps(monkeypatch):
    monkeypatch.setattr("airflow_provider_planet_orders.operators.orders.time.sleep", lambda s: None)


def fast(op):
    op.hook.sleep = lambda s: None
    op.hook.limiter = RateLimiter()
    return op


def create(**kwargs) -> PlanetCreateOrderOperator:
    kwargs.setdefault("order_request", scene_request("flow"))
    kwargs.setdefault("deferrable", True)
    return fast(PlanetCreateOrderOperator(task_id="create", poll_interval=0.05, **kwargs))


def created(emulator) -> int:
    return emulator.stats()["orders_created"]["total"]


def test_commit_then_drop_makes_no_duplicate(emulator) -> None:
    emulator.set_faults("create", create_commit_drop_rate=1.0)
    context = make_context()
    with pytest.raises(TaskDeferred) as info:
        create().execute(context)
    assert emulator.stats()["faults"]["create_commit_drop"] == 1
    assert created(emulator) == 1  # the response was lost; the order was found, not ordered again
    assert info.value.trigger.order_id == context["ti"].xcom["order_id"]


def test_a_retry_after_a_worker_crash_reattaches_instead_of_ordering_again(emulator) -> None:
    first = make_context(FakeTI(try_number=1), state_store=False)
    with pytest.raises(TaskDeferred) as info:
        create().execute(first)
    order_id = info.value.trigger.order_id
    # The worker died; the retry has no local record (no state store on this Airflow).
    retry = make_context(FakeTI(try_number=2), state_store=False)
    with pytest.raises(TaskDeferred) as again:
        create().execute(retry)
    assert again.value.trigger.order_id == order_id
    assert created(emulator) == 1
    # Planet finished it meanwhile: the next retry returns it without ordering or waiting.
    emulator.advance(1000)
    assert create().execute(make_context(FakeTI(try_number=3)))["state"] == "success"
    assert created(emulator) == 1


def test_a_failed_order_is_replaced_on_retry(emulator) -> None:
    context = make_context()
    with pytest.raises(TaskDeferred) as info:
        create().execute(context)
    emulator.force_state(info.value.trigger.order_id, "failed", message="no luck")
    with pytest.raises(TaskDeferred) as again:
        create().execute(context)
    assert again.value.trigger.order_id != info.value.trigger.order_id
    assert context["task_state_store"].values[STATE_STORE_KEY] == again.value.trigger.order_id
    assert created(emulator) == 2


def test_a_request_planet_refuses_fails_without_retry(emulator) -> None:
    with pytest.raises(AirflowFailException):
        create(order_request={"name": "x", "products": []}, validate=False).execute(make_context())
    assert created(emulator) == 0


def test_the_worker_side_wait_follows_the_lifecycle(emulator) -> None:
    emulator.configure(queued_seconds=0.1, running_seconds=0.2)
    result = create(deferrable=False).execute(make_context())
    assert result["state"] == "success"
    assert len(result["results"]) == 4  # three files and the manifest


async def test_the_trigger_waits_for_the_emulators_order(emulator) -> None:
    emulator.configure(queued_seconds=0.1, running_seconds=0.2)
    op = create()
    with pytest.raises(TaskDeferred) as info:
        op.execute(make_context())
    trigger = info.value.trigger
    events = [e.payload async for e in trigger.run()]
    assert [e["status"] for e in events] == ["success"]
    result = op.execute_complete(make_context(), events[0])
    assert result["state"] == "success"


async def test_the_trigger_reports_a_failed_order_with_its_reasons(emulator, hook) -> None:
    emulator.configure(queued_seconds=0.1, running_seconds=0.1)
    order = hook.create_order(scene_request("full", items=("ok", "x-unavailable-1")))
    events = [e.payload async for e in PlanetOrderTrigger(order_id=order["id"], poll_interval=0.05).run()]
    assert events[0]["status"] == "failed"
    assert "x-unavailable-1" in events[0]["message"]  # Planet's hint names the item


async def test_the_async_hook_lists_and_reads_orders(emulator, hook) -> None:
    ids = {hook.create_order(scene_request(f"a{i}"))["id"] for i in range(3)}
    async with PlanetOrdersAsyncHook() as ahook:
        ahook.limiter = RateLimiter()
        listed = {o["id"] async for o in ahook.list_orders(state="queued", page_size=2)}
        assert listed == ids
        assert (await ahook.get_order(next(iter(ids))))["state"] == "queued"
        stats = await ahook.get_order_stats()
        assert stats["user"]["queued_orders"] == 3
        cancelled = await ahook.cancel_order(next(iter(ids)))
        assert cancelled["state"] == "cancelled"


def test_sensor_in_poke_mode(emulator, hook) -> None:
    emulator.configure(queued_seconds=0.1, running_seconds=0.1)
    order = hook.create_order(scene_request())
    sensor = PlanetOrderSensor(
        task_id="wait", order_id=order["id"], poke_interval=0.05, timeout=30, deferrable=False
    )
    assert sensor.execute(make_context())["state"] == "success"


def test_cancel_list_bulk_cancel_and_stats(emulator, hook) -> None:
    ids = [hook.create_order(scene_request(f"house {i}"))["id"] for i in range(4)]
    assert (
        fast(PlanetCancelOrderOperator(task_id="c", order_id=ids[0])).execute(make_context())["state"]
        == "cancelled"
    )
    listed = fast(
        PlanetListOrdersOperator(task_id="l", filters={"state": "queued", "name_contains": "house"})
    ).execute(make_context())
    assert sorted(o["id"] for o in listed) == sorted(ids[1:])
    emulator.force_state(ids[1], "running", hold=True)
    bulk = fast(PlanetBulkCancelOrdersOperator(task_id="b", order_ids=ids[1:], fail_on_error=False))
    summary = bulk.execute(make_context())
    assert (summary["succeeded"], summary["failed"]) == (2, 1)
    assert summary["failures"][0]["order_id"] == ids[1]
    stats = fast(PlanetOrderStatsOperator(task_id="s")).execute(make_context())
    assert stats["user"] == {"queued_orders": 0, "running_orders": 1}


def test_deadline_is_respected_against_a_slow_order(emulator, hook) -> None:
    emulator.configure(queued_seconds=3600)  # the order stays queued past the deadline
    op = create(deferrable=False, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(AirflowException, match=r"before the deadline \(last seen queued\)") as info:
        op.execute(make_context())
    assert not isinstance(info.value, AirflowFailException)  # a retry re-attaches to the order
    assert time.monotonic() - started < 5


def test_a_lost_create_after_a_failed_order_adopts_the_new_order_not_the_old(emulator) -> None:
    context = make_context()
    with pytest.raises(TaskDeferred) as info:
        create().execute(context)
    failed_id = info.value.trigger.order_id
    emulator.force_state(failed_id, "failed", message="no luck")
    emulator.set_faults("create", create_commit_drop_rate=1.0)  # the retry's create answer is lost
    with pytest.raises(TaskDeferred) as again:
        create().execute(context)
    assert again.value.trigger.order_id != failed_id
    assert created(emulator) == 2
