"""One poll for many waits: the shared change stream, its routing, late joiners, sweeps, restarts."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from airflow_provider_planet_orders.core.policy import RateLimiter
from airflow_provider_planet_orders.exceptions import PlanetServerError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook
from airflow_provider_planet_orders.triggers import shared_poll as changes
from airflow_provider_planet_orders.triggers.orders import PlanetOrdersChangedTrigger, PlanetOrderTrigger
from airflow_provider_planet_orders.triggers.shared_poll import (
    LAG_MARGIN,
    SKEW_MARGIN,
    ChangeHub,
    Subscription,
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

    monkeypatch.setattr("airflow_provider_planet_orders.triggers.shared_poll.hook_for", make)
    return make


@pytest.fixture
def api():
    with respx.mock() as mock:
        yield mock


@pytest.fixture
def api_with_unused_routes():
    """For tests whose point is that a route is *not* called: they assert its call count."""
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def listing(orders, window_start: float, polled_at: float | None = None) -> dict:
    """A raw event as poll_order_changes yields it."""
    return {
        "kind": "changes",
        "window_start": window_start,
        "covers_since": window_start + SKEW_MARGIN,
        "polled_at": polled_at or time.time(),
        "orders": orders,
        "by_id": {o["id"]: o for o in orders},
    }


async def no_sweep() -> list[dict]:
    raise AssertionError("no sweep expected")


async def drive(
    triggers: Sequence[Any],
    raws: Sequence[dict],
    *,
    sweep: Any = no_sweep,
    pause: float = 0.01,
    wait: float = 5.0,
) -> list[list[dict]]:
    """
    Run ``triggers`` on one shared poll fed with ``raws``, as the triggerer does on Airflow 3.3+.

    The poll is ``run_shared_poll`` (the stream's producer); what it yields is broadcast to every
    trigger's stream, as Airflow's SharedStreamManager does. Returns each trigger's events.
    """
    streams: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in triggers]
    fired: list[list[dict]] = [[] for _ in triggers]

    async def stream(queue: asyncio.Queue[Any]) -> AsyncIterator[Any]:
        while True:
            yield await queue.get()

    async def run(number: int) -> None:
        async for event in triggers[number].filter_shared_stream(stream(streams[number])):
            fired[number].append(event.payload)

    tasks = [asyncio.ensure_future(run(n)) for n in range(len(triggers))]
    await asyncio.sleep(0)  # every trigger joins the hub

    async def feed() -> AsyncIterator[dict]:
        for raw in raws:
            yield raw
            await asyncio.sleep(pause)

    async for broadcast in changes.run_shared_poll(triggers[0].shared_stream_key(), feed(), sweep):
        for queue in streams:
            queue.put_nowait(broadcast)
    _, pending = await asyncio.wait(tasks, timeout=wait)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return fired


async def first_event(trigger, raws, **options) -> dict | None:
    [events] = await drive([trigger], raws, **options)
    return events[0] if events else None


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
            listing([], now - SKEW_MARGIN - 10),
            listing([order(other, state="success"), order(mine, state="running")], now),
            listing([order(mine, state="success", last_message="done")], now),
        ],
    )
    assert event["status"] == "success"
    assert event["order_id"] == mine
    assert len(api.calls) == 0  # the stream covered the order: no request of its own


async def test_a_listing_wakes_only_the_waits_of_the_orders_in_it() -> None:
    hub = ChangeHub()
    waits = [hub.join(Subscription(order_id=str(uuid.uuid4()), last_seen=time.time())) for _ in range(1000)]
    twin = hub.join(Subscription(order_id=waits[7].order_id, last_seen=time.time()))
    watcher = hub.join(Subscription())
    changed = [order(waits[n].order_id, state="running") for n in (3, 7)] + [order(str(uuid.uuid4()))]
    raw = listing(changed, time.time())
    hub.route(raw)
    woken = [sub for sub in [*waits, twin] if not sub.inbox.empty()]
    assert sorted(id(s) for s in woken) == sorted(id(s) for s in (waits[3], waits[7], twin))
    assert twin.inbox.get_nowait() == ("order", changed[1])
    assert watcher.inbox.get_nowait() == ("changes", raw)  # a watcher gets every listing


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
    by_listing = await first_event(
        PlanetOrderTrigger(order_id=oid, last_seen=now), [listing([compact_order(full)], now)]
    )
    # And through a direct look (a late joiner): the same event again.
    by_look = await first_event(
        PlanetOrderTrigger(order_id=oid, last_seen=now - 3600), [listing([], now - SKEW_MARGIN)]
    )
    assert fallback == [by_listing] == [by_look]


async def test_a_late_joiner_looks_at_its_order_directly_first(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    route = api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="success"))
    now = time.time()
    # It last saw the order an hour ago; the stream's window starts now: the change may predate it.
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now - 3600)
    event = await first_event(trigger, [listing([], now - SKEW_MARGIN)])
    assert event["status"] == "success"
    assert route.call_count == 1


async def test_a_covered_joiner_makes_no_direct_request(fast_hooks, api_with_unused_routes) -> None:
    oid = str(uuid.uuid4())
    route = api_with_unused_routes.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="running"))
    now = time.time()
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now, deadline=now + 0.1)
    event = await first_event(trigger, [listing([], now - SKEW_MARGIN), listing([], now)])
    assert event["status"] == "timeout"
    assert route.call_count == 0


async def test_the_safety_check_catches_a_change_the_window_missed(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    route = api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="success"))
    now = time.time()
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now, safety_poll_interval=0.0)
    # The order finished, but the listing never showed it (e.g. a window lost to clock skew).
    event = await first_event(trigger, [listing([], now - 1), listing([], now)])
    assert event["status"] == "success"
    assert route.call_count == 1


async def test_a_look_that_failed_is_made_again_at_the_next_poll(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    route = api.get(f"{ORDERS}/{oid}").mock(
        side_effect=[httpx.Response(503)] * 4 + [httpx.Response(200, json=order(oid, state="success"))]
    )
    now = time.time()
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now - 3600)
    event = await first_event(trigger, [listing([], now - SKEW_MARGIN)] * 3, pause=0.2)
    assert event["status"] == "success"
    assert route.call_count == 5  # the first look's retries, then the next poll's look


async def test_a_restart_checks_a_crowd_of_late_joiners_with_one_sweep(fast_hooks, api) -> None:
    ids = [str(uuid.uuid4()) for _ in range(250)]
    finished = set(ids[:10])
    # Since the triggerer went down, ten orders finished: the sweep lists the others as running.
    unfinished = [order(i, state="running") for i in ids if i not in finished]
    unfinished += [order(str(uuid.uuid4()), state="queued") for _ in range(20)]  # not waited for

    def pages(request: httpx.Request) -> httpx.Response:
        query = parse_qs(str(request.url.query, "ascii"))
        page = int(query.get("page_marker", ["0"])[0])
        if page == 0:
            assert query["state"] == ["queued", "running"]
            assert query["source_type"] == ["all"]
        body: dict[str, Any] = {"orders": unfinished[page * 100 : page * 100 + 100]}
        if page * 100 + 100 < len(unfinished):
            body["_links"] = {"next": f"{ORDERS}?page_marker={page + 1}"}
        return httpx.Response(200, json=body)

    sweep_route = api.get(ORDERS).mock(side_effect=pages)
    looks = api.get(url__regex=rf"{ORDERS}/.+").mock(
        side_effect=lambda request: httpx.Response(
            200, json=order(request.url.path.rsplit("/", 1)[-1], state="success")
        )
    )
    now = time.time()
    # Rebuilt from their kwargs after a restart: each last saw its order an hour ago.
    triggers = [PlanetOrderTrigger(order_id=i, last_seen=now - 3600, deadline=now + 1.5) for i in ids]
    events = await drive(
        triggers,
        [listing([], now - SKEW_MARGIN)],
        sweep=lambda: changes.list_unfinished_orders(fast_hooks()),
        wait=3.0,
    )
    statuses = {ids[n]: [e["status"] for e in fired] for n, fired in enumerate(events)}
    assert {i: statuses[i] for i in finished} == {i: ["success"] for i in finished}
    assert all(statuses[i] == ["timeout"] for i in ids if i not in finished)
    assert sweep_route.call_count == 3  # 260 unfinished orders: 3 pages instead of 250 gets
    assert sorted(str(c.request.url).rsplit("/", 1)[-1] for c in looks.calls) == sorted(finished)


async def test_a_sweep_is_made_only_when_it_takes_fewer_requests_than_looks() -> None:
    hub = ChangeHub()
    waits = [hub.join(Subscription(order_id=str(uuid.uuid4()))) for _ in range(3)]
    now = time.time()
    check = hub.to_check(covers_since=now, now=now)
    assert sorted(map(id, check)) == sorted(map(id, waits))
    assert not hub.sweep_pays(1)  # one look is one request: so is the smallest sweep
    assert hub.sweep_pays(3)  # three waits, as far as the hub knows a one-page sweep
    hub.swept(waits, [order(str(uuid.uuid4()), state="running") for _ in range(950)], now)
    # Now the hub knows the key has 950 unfinished orders: a sweep is 10 pages.
    assert not hub.sweep_pays(10)
    assert hub.sweep_pays(11)


async def test_a_sweep_that_failed_checks_the_waits_again_next_poll(fast_hooks, api) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    calls = {"sweeps": 0}

    async def sweep() -> list[dict]:
        calls["sweeps"] += 1
        if calls["sweeps"] == 1:
            raise PlanetServerError("list_orders: 503 Service Unavailable", status=503)
        return [order(i, state="success") for i in ids]  # end_states include them: handed over

    now = time.time()
    triggers = [
        PlanetOrderTrigger(order_id=i, last_seen=now - 3600, end_states=["success", "running"]) for i in ids
    ]
    events = await drive(triggers, [listing([], now - SKEW_MARGIN)] * 2, sweep=sweep)
    assert [[e["status"] for e in fired] for fired in events] == [["success"]] * 5
    assert calls["sweeps"] == 2


async def test_after_a_sweep_every_wait_is_due_one_safety_interval_later() -> None:
    hub = ChangeHub()
    waits = [hub.join(Subscription(order_id=str(uuid.uuid4()), safety_interval=100.0)) for _ in range(4)]
    now = time.time()
    assert len(hub.to_check(covers_since=now + 1, now=now)) == 4  # joiners who saw nothing
    hub.swept(waits, [order(w.order_id, state="running") for w in waits], now)
    assert all(w.inbox.empty() for w in waits)  # still running, nothing to say
    assert hub.to_check(covers_since=0, now=now + 99) == []
    hub.leave(waits[0])
    assert sorted(map(id, hub.to_check(covers_since=0, now=now + 101))) == sorted(map(id, waits[1:]))


async def test_a_fatal_listing_error_ends_every_wait_with_error(fast_hooks) -> None:
    raw = {
        "kind": "error",
        "transient": False,
        "message": "list_orders GET ... 401 Unauthorized",
        "http_status": 401,
    }
    now = time.time()
    triggers = [PlanetOrderTrigger(order_id=str(uuid.uuid4()), last_seen=now) for _ in range(3)]
    events = await drive(triggers, [raw])
    assert [[(e["status"], e["message"]) for e in fired] for fired in events] == [
        [("error", "list_orders GET ... 401 Unauthorized")]
    ] * 3


async def test_transient_listing_errors_do_not_end_the_wait(fast_hooks) -> None:
    oid = str(uuid.uuid4())
    now = time.time()
    raws = [{"kind": "error", "transient": True, "message": "503"}] * 3 + [
        listing([order(oid, state="success")], now)
    ]
    assert (await first_event(PlanetOrderTrigger(order_id=oid, last_seen=now), raws))["status"] == "success"


async def test_the_poll_ending_fails_its_waits(fast_hooks) -> None:
    trigger = PlanetOrderTrigger(order_id=str(uuid.uuid4()), last_seen=time.time())

    async def broken() -> AsyncIterator[Any]:
        raise RuntimeError("poll died")
        yield  # pragma: no cover

    with pytest.raises(RuntimeError, match="poll died"):
        async for _ in trigger.filter_shared_stream(broken()):
            pass


async def test_a_hub_is_forgotten_when_its_last_trigger_leaves(fast_hooks) -> None:
    now = time.time()
    oid = str(uuid.uuid4())
    trigger = PlanetOrderTrigger(order_id=oid, last_seen=now)
    await drive([trigger], [listing([order(oid, state="success")], now)])
    assert trigger.shared_stream_key() not in changes._HUBS.get(asyncio.get_running_loop(), {})


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
        listing([order(a, name="daily-1", state="running", last_modified="t1")], now),
        listing(
            [
                order(a, name="daily-1", state="success", last_modified="t2"),
                order(b, name="adhoc", state="success", last_modified="t2"),
                order(c, name="daily-2", state="failed", last_modified="t2"),
            ],
            now,
        ),
        # Windows overlap by the margin: the same change is listed again.
        listing([order(a, name="daily-1", state="success", last_modified="t2")], now),
    ]
    [events] = await drive([trigger], raws, wait=0.2)
    assert [(e["order_id"], e["status"], e["name"]) for e in events] == [(a, "success", "daily-1")]


async def test_a_restarted_wait_fires_exactly_once(fast_hooks, api) -> None:
    oid = str(uuid.uuid4())
    api.get(f"{ORDERS}/{oid}").respond(json=order(oid, state="success"))
    original = PlanetOrderTrigger(order_id=oid, last_seen=time.time() - 7200, poll_interval=30)
    # The triggerer died before the event was stored; a new one rebuilds the trigger from its kwargs.
    _, kwargs = original.serialize()
    restarted = PlanetOrderTrigger(**kwargs)
    now = time.time()
    [events] = await drive(
        [restarted], [listing([], now - SKEW_MARGIN), listing([order(oid, state="success")], now)]
    )
    assert [e["status"] for e in events] == ["success"]


async def test_many_waits_share_one_poll_through_airflows_shared_streams(
    fast_hooks, api_with_unused_routes, monkeypatch
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

    api_with_unused_routes.get(ORDERS).mock(side_effect=listing)
    direct = api_with_unused_routes.get(url__regex=rf"{ORDERS}/.+").respond(
        json=order(ids[0], state="running")
    )
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


def _wait_lines(text: str, oid: str) -> list[str]:
    """The trigger's lines about ``oid``, durations blanked, each once in order of first appearance."""
    import re

    lines = [line for line in text.splitlines() if oid in line and "Planet order" in line]
    shapes = [re.sub(r"\d+ (s|min|h)\b", "<t>", line[line.index("Planet order") :]) for line in lines]
    shapes = [re.sub(r"\s*\[airflow_provider.*$", "", s) for s in shapes]
    return list(dict.fromkeys(shapes))


async def test_progress_lines_are_the_same_for_shared_and_per_order_waits(
    fast_hooks, api, monkeypatch, capfd, caplog
) -> None:
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.PROGRESS_INTERVAL", 0.02)
    monkeypatch.setattr("airflow_provider_planet_orders.triggers.orders.asyncio.sleep", asyncio.sleep)
    shared_id, direct_id = str(uuid.uuid4()), str(uuid.uuid4())
    running = {"state": "running", "last_message": "Preparing order"}

    now = time.time()
    shared = PlanetOrderTrigger(order_id=shared_id, last_seen=now)
    raws = [listing([], now - SKEW_MARGIN)]
    raws += [listing([order(shared_id, **running)], now)] * 3
    raws += [listing([order(shared_id, state="success", last_message="Manifest delivery completed")], now)]
    assert (await first_event(shared, raws, pause=0.05))["status"] == "success"

    api.get(f"{ORDERS}/{direct_id}").mock(
        side_effect=[httpx.Response(200, json=order(direct_id, **running))] * 4
        + [
            httpx.Response(
                200, json=order(direct_id, state="success", last_message="Manifest delivery completed")
            )
        ]
    )
    direct = PlanetOrderTrigger(order_id=direct_id, poll_interval=0.05, share_polls=False)
    assert [e.payload["status"] async for e in direct.run()] == ["success"]

    text = caplog.text + "".join(capfd.readouterr())
    seen_shared = [line.replace(shared_id, "<id>") for line in _wait_lines(text, shared_id)]
    seen_direct = [line.replace(direct_id, "<id>") for line in _wait_lines(text, direct_id)]
    expected = [
        "Planet order <id> is running; Planet says: Preparing order",
        "Planet order <id> is still running, for <t> (waiting <t>); Planet says: Preparing order",
        "Planet order <id> is success; Planet says: Manifest delivery completed",
    ]
    assert [line for line in seen_shared if line in expected] == expected
    assert [line for line in seen_direct if line in expected] == expected
