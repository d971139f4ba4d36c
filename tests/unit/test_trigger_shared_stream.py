"""One poll for many waits: the shared change stream, late joiners, the safety poll, restarts."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook
from airflow_provider_planet_orders.triggers.orders import (
    LAG_MARGIN,
    SKEW_MARGIN,
    PlanetOrdersChangedTrigger,
    PlanetOrderTrigger,
    poll_order_changes,
)
from tests.unit.test_hook_endpoints import ORDERS, order


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def fast_hooks(planet_connection, monkeypatch):
    def make(conn_id: str = "planet_default"):
        hook = PlanetOrdersAsyncHook(planet_conn_id=conn_id)
        hook.sleep = _no_sleep
        hook.limiter = RateLimiter()
        return hook

    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders._hook", make)
    return make


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def changes(orders, window_start: float, polled_at: float | None = None) -> dict:
    """A raw event as poll_order_changes yields it."""
    return {
        "kind": "changes",
        "window_start": window_start,
        "covers_since": window_start + SKEW_MARGIN,
        "polled_at": polled_at or time.time(),
        "orders": orders,
        "by_id": {o["id"]: o for o in orders},
    }


async def stream_of(*raws, then_wait: bool = False):
    for raw in raws:
        yield raw
    if then_wait:
        await asyncio.sleep(3600)


async def first_event(trigger, raws) -> dict | None:
    async for event in trigger.filter_shared_stream(stream_of(*raws)):
        return event.payload
    return None


def test_triggers_of_one_connection_and_interval_share_a_key() -> None:
    a = PlanetOrderTrigger(order_id=str(uuid.uuid4()), poll_interval=30)
    b = PlanetOrderTrigger(order_id=str(uuid.uuid4()), poll_interval=30)
    watcher = PlanetOrdersChangedTrigger(poll_interval=30)
    assert a.shared_stream_key() == b.shared_stream_key() == watcher.shared_stream_key()
    assert (
        PlanetOrderTrigger(order_id=str(uuid.uuid4()), poll_interval=60).shared_stream_key()
        != a.shared_stream_key()
    )
    other_conn = PlanetOrderTrigger(order_id=str(uuid.uuid4()), planet_conn_id="other", poll_interval=30)
    assert other_conn.shared_stream_key() != a.shared_stream_key()
    assert PlanetOrderTrigger(order_id=str(uuid.uuid4()), share_polls=False).shared_stream_key() is None


async def test_a_wait_picks_its_order_out_of_the_shared_changes(fast_hooks, api) -> None:
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    now = time.time()
    trigger = PlanetOrderTrigger(order_id=mine, last_seen=now)
    event = await first_event(
        trigger,
        [
            changes([], now - SKEW_MARGIN - 10),
            changes([order(other, state="success"), order(mine, state="running")], now),
            changes([order(mine, state="success", last_message="done")], now),
        ],
    )
    assert event["status"] == "success"
    assert event["order_id"] == mine
    assert len(api.calls) == 0  # the stream covered the order: no request of its own


async def test_shared_and_fallback_paths_fire_identical_events(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    full = order(
        oid, state="failed", last_message="boom", error_hints=["a", "b"], last_modified="2026-11-28T10:00:00Z"
    )
    full["_links"]["results"] = [{"name": "x", "location": "https://l?token=t"}]
    api.get(f"{ORDERS}/{oid}").respond(json=full)
    fallback = [e.payload async for e in PlanetOrderTrigger(order_id=oid, poll_interval=0.01).run()]
    from airflow_provider_planet_orders.core.orders import compact_order

    now = time.time()
    shared = await first_event(
        PlanetOrderTrigger(order_id=oid, last_seen=now), [changes([compact_order(full)], now)]
    )
    assert fallback == [shared]


async def test_a_late_joiner_looks_at_its_order_directly_first(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    route = api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="success"))
    now = time.time()
    # It last saw the order an hour ago; the stream's window starts now: the change may predate it.
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now - 3600)
    event = await first_event(trigger, [changes([], now - SKEW_MARGIN)])
    assert event["status"] == "success"
    assert route.call_count == 1


async def test_a_covered_joiner_makes_no_direct_request(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    route = api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="running"))
    now = time.time()
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now, deadline=now + 0.05)
    raws = [changes([], now - SKEW_MARGIN)]
    await asyncio.sleep(0.06)
    raws.append(changes([], now))
    assert (await first_event(trigger, raws))["status"] == "timeout"
    assert route.call_count == 0


async def test_the_safety_poll_catches_a_change_the_window_missed(fast_hooks, api, monkeypatch) -> None:
    oid = str(uuid.uuid4())
    route = api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="success"))
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.random.uniform", lambda a, b: 0.0)
    now = time.time()
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now, safety_poll_interval=0.0)
    # The order finished, but the listing never showed it (e.g. a window lost to clock skew).
    event = await first_event(trigger, [changes([], now - 1), changes([], now)])
    assert event["status"] == "success"
    assert route.call_count == 1


async def test_a_fatal_listing_error_ends_every_wait_with_error(fast_hooks) -> None:
    oid = str(uuid.uuid4())
    raw = {
        "kind": "error",
        "transient": False,
        "message": "list_orders GET ... 401 Unauthorized",
        "http_status": 401,
    }
    event = await first_event(PlanetOrderTrigger(order_id=oid, last_seen=time.time()), [raw])
    assert event["status"] == "error"
    assert event["http_status"] == 401


async def test_transient_listing_errors_do_not_end_the_wait(fast_hooks) -> None:
    oid = str(uuid.uuid4())
    now = time.time()
    raws = [{"kind": "error", "transient": True, "message": "503"}] * 3 + [
        changes([order(oid, state="success")], now)
    ]
    assert (await first_event(PlanetOrderTrigger(order_id=oid, last_seen=now), raws))["status"] == "success"


async def test_the_poll_lists_changes_since_the_last_poll_minus_the_margin(
    fast_hooks, api, monkeypatch
) -> None:
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.asyncio.sleep", _no_sleep)
    first_page = {"_links": {"next": f"{ORDERS}?page_marker=2"}, "orders": [order(str(uuid.uuid4()))]}
    route = api.get(ORDERS).mock(
        side_effect=[
            httpx.Response(200, json=first_page),
            httpx.Response(200, json={"orders": [order(str(uuid.uuid4()))]}),
            httpx.Response(503),
            *[httpx.Response(503)] * 5,
            httpx.Response(200, json={"orders": []}),
        ]
    )
    since = time.time() - 1000
    raws = []
    async for raw in poll_order_changes("planet_default", 30, since):
        raws.append(raw)
        if len(raws) == 3:
            break
    assert [r["kind"] for r in raws] == ["changes", "error", "changes"]
    assert len(raws[0]["orders"]) == 2  # both pages of the first poll
    assert raws[1]["transient"] is True
    query = parse_qs(str(route.calls[0].request.url.query, "ascii"))
    assert query["source_type"] == ["all"]
    assert query["sort_by"] == ["created_on ASC"]  # a key that does not move while paging
    assert query["page_size"] == ["100"]
    start = datetime.fromisoformat(query["last_modified"][0].split("/")[0].replace("Z", "+00:00"))
    assert abs(start.timestamp() - (since - SKEW_MARGIN)) < 1
    assert raws[2]["window_start"] == pytest.approx(raws[0]["polled_at"] - SKEW_MARGIN)


async def test_later_windows_follow_planets_clock_and_read_only_the_lag_again(
    fast_hooks, api, monkeypatch
) -> None:
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.asyncio.sleep", _no_sleep)
    a = str(uuid.uuid4())
    now = int(time.time())

    def rfc3339(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    stale = order(a, state="running", last_modified=rfc3339(now - 60))
    fresh = order(a, state="success", last_modified=rfc3339(now - 55))
    other = order(str(uuid.uuid4()), last_modified=rfc3339(now - 100))
    route = api.get(ORDERS).mock(
        side_effect=[
            httpx.Response(200, json={"orders": [stale, other, fresh]}),
            httpx.Response(200, json={"orders": []}),
            httpx.Response(200, json={"orders": []}),
        ]
    )
    raws = []
    async for raw in poll_order_changes("planet_default", 30, now):
        raws.append(raw)
        if len(raws) == 3:
            break
    assert raws[0]["by_id"][a]["state"] == "success"  # the fresher copy of a repeated order wins
    assert len(raws[0]["orders"]) == 2
    newest = now - 55
    assert raws[0]["window_start"] == now - SKEW_MARGIN
    assert raws[1]["window_start"] == newest - LAG_MARGIN
    assert raws[1]["covers_since"] == newest - LAG_MARGIN + SKEW_MARGIN
    assert raws[2]["window_start"] == raws[1]["window_start"]  # nothing new: the window stays
    second = parse_qs(str(route.calls[1].request.url.query, "ascii"))["last_modified"][0]
    assert second == f"{rfc3339(newest - int(LAG_MARGIN))}/.."


async def test_watcher_fires_once_per_order_matching_name_and_state(fast_hooks) -> None:
    trigger = PlanetOrdersChangedTrigger(states=["success"], name_pattern="daily-*")
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    now = time.time()
    raws = [
        changes([order(a, name="daily-1", state="running", last_modified="t1")], now),
        changes(
            [
                order(a, name="daily-1", state="success", last_modified="t2"),
                order(b, name="adhoc", state="success", last_modified="t2"),
                order(c, name="daily-2", state="failed", last_modified="t2"),
            ],
            now,
        ),
        # Windows overlap by the margin: the same change is listed again.
        changes([order(a, name="daily-1", state="success", last_modified="t2")], now),
    ]
    events = [e.payload async for e in trigger.filter_shared_stream(stream_of(*raws))]
    assert [(e["order_id"], e["status"], e["name"]) for e in events] == [(a, "success", "daily-1")]


async def test_many_waits_share_one_poll_through_airflows_shared_streams(
    fast_hooks, api, monkeypatch
) -> None:
    shared_stream = pytest.importorskip(
        "airflow.triggers.shared_stream", reason="shared streams: Airflow 3.3+"
    )
    ids = [str(uuid.uuid4()) for _ in range(50)]
    polls = {"count": 0}

    def listing(request: httpx.Request) -> httpx.Response:
        polls["count"] += 1
        state = "running" if polls["count"] == 1 else "success"
        return httpx.Response(200, json={"orders": [order(i, state=state) for i in ids]})

    api.get(ORDERS).mock(side_effect=listing)
    direct = api.get(url__regex=rf"{ORDERS}/.+").respond(json=order(ids[0], state="running"))
    manager = shared_stream.SharedStreamManager()
    now = time.time()
    triggers = [PlanetOrderTrigger(order_id=i, poll_interval=0.05, last_seen=now) for i in ids]

    async def wait(number: int, trigger: PlanetOrderTrigger) -> dict:
        stream = manager.subscribe(trigger_id=number, trigger=trigger, key=trigger.shared_stream_key())
        try:
            async for event in trigger.filter_shared_stream(stream):
                return event.payload
        finally:
            await manager.unsubscribe(number, trigger.shared_stream_key())
        raise AssertionError("no event")

    events = await asyncio.wait_for(asyncio.gather(*(wait(n, t) for n, t in enumerate(triggers))), 30)
    assert sorted(e["order_id"] for e in events) == sorted(ids)
    assert {e["status"] for e in events} == {"success"}
    assert polls["count"] <= 3  # one listing per poll for all fifty waits
    assert direct.call_count == 0
    await manager.stop_all()


async def test_a_restarted_wait_fires_exactly_once(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="success"))
    original = PlanetOrderTrigger(order_id=oid, last_seen=time.time() - 7200, poll_interval=30)
    # The triggerer died before the event was stored; a new one rebuilds the trigger from its kwargs.
    _, kwargs = original.serialize()
    restarted = PlanetOrderTrigger(**kwargs)
    events = [
        e.payload
        async for e in restarted.filter_shared_stream(stream_of(changes([], time.time()), then_wait=True))
    ]
    assert [e["status"] for e in events] == ["success"]
