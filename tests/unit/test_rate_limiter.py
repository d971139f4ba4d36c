"""The client-side rate limiter: pacing with a fake clock, buckets, threads, and the hook using it."""

from __future__ import annotations

import threading

import pytest
import responses

from airflow_provider_planet_orders.core.api import Endpoint
from airflow_provider_planet_orders.core.policy import RATE_LIMITER, ClientSettings, RateLimiter, rate_bucket
from airflow_provider_planet_orders.exceptions import PlanetConfigurationError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.conftest import set_planet_connection
from tests.unit.test_hook_endpoints import OID, ORDERS, order


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_slots_are_one_interval_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    waits = [limiter.reserve("k", rate=4) for _ in range(5)]
    assert waits == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])


def test_a_quiet_spell_resets_the_schedule() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    limiter.reserve("k", rate=2)
    limiter.reserve("k", rate=2)  # booked for t+0.5
    clock.now += 10
    assert limiter.reserve("k", rate=2) == 0


def test_waiting_callers_keep_their_slots() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    assert limiter.reserve("k", rate=1) == 0
    clock.now += 0.4
    assert limiter.reserve("k", rate=1) == pytest.approx(0.6)
    clock.now += 0.1
    assert limiter.reserve("k", rate=1) == pytest.approx(1.5)


def test_burst_allows_back_to_back_requests_after_idle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    waits = [limiter.reserve("k", rate=3, burst=3) for _ in range(6)]
    assert waits == pytest.approx([0, 0, 0, 1 / 3, 2 / 3, 1.0])


def test_buckets_are_independent() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    settings = ClientSettings()
    a_get = rate_bucket("key-a", settings, Endpoint.GET)
    b_get = rate_bucket("key-b", settings, Endpoint.GET)
    a_stats = rate_bucket("key-a", settings, Endpoint.STATS)
    assert limiter.reserve(a_get, 3) == 0
    assert limiter.reserve(b_get, 3) == 0
    assert limiter.reserve(a_stats, 5) == 0
    assert limiter.reserve(a_get, 3) == pytest.approx(1 / 3)
    assert "key-a" not in repr(a_get)  # buckets are named by a fingerprint, not the key


def test_threads_never_share_a_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            wait = limiter.reserve("shared", rate=10)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(i / 10, 6) for i in range(400)]


def test_defaults_follow_planets_documented_limits() -> None:
    settings = ClientSettings()
    assert {e.value: settings.rate_for(e) for e in Endpoint} == {
        "create": 3,
        "get": 3,
        "list": 3,
        "cancel": 3,
        "bulk_cancel": 5,
        "stats": 5,
        "download": 5,
        "spec": 1,  # no published limit; fetched about once a day
    }


def test_limits_are_configurable_and_can_be_disabled() -> None:
    custom = ClientSettings.from_connection(None, {"rate_limits": '{"get": 1.5, "list": 0}'})
    assert custom.rate_for(Endpoint.GET) == 1.5
    assert custom.rate_for(Endpoint.LIST) is None  # 0 disables one endpoint
    assert custom.rate_for(Endpoint.CREATE) == 3
    off = ClientSettings.from_connection(None, {"rate_limit": "false"})
    assert all(off.rate_for(e) is None for e in Endpoint)


def test_unknown_endpoint_in_rate_limits_is_named() -> None:
    with pytest.raises(PlanetConfigurationError, match=r"'rate_limits' has unknown endpoint 'gett'"):
        ClientSettings.from_connection(None, {"rate_limits": {"gett": 1}})


def test_hooks_share_the_process_limiter_and_pace_requests(monkeypatch, sleeps) -> None:
    set_planet_connection(monkeypatch)  # rate limiting on, Planet's numbers
    clock = FakeClock()
    limiter = RateLimiter(clock)
    hooks = [PlanetOrdersHook(), PlanetOrdersHook()]
    assert all(h.limiter is RATE_LIMITER for h in hooks)
    for h in hooks:
        h.limiter = limiter
        h.sleep = sleeps
    with responses.RequestsMock() as api:
        for _ in range(6):
            api.get(f"{ORDERS}/{OID}", json=order())
        for i in range(6):
            hooks[i % 2].get_order(OID)
    # Six get_order calls at 3/s from two hooks of one key: one schedule, slots 1/3 s apart.
    assert sleeps.calls == pytest.approx([1 / 3, 2 / 3, 1.0, 4 / 3, 5 / 3])


def test_rate_limit_false_means_no_pacing(monkeypatch, sleeps) -> None:
    set_planet_connection(monkeypatch, extra={"rate_limit": False})
    hook = PlanetOrdersHook()
    hook.sleep = sleeps
    hook.limiter = RateLimiter(FakeClock())
    with responses.RequestsMock() as api:
        for _ in range(5):
            api.get(f"{ORDERS}/{OID}", json=order())
        for _ in range(5):
            hook.get_order(OID)
    assert sleeps.calls == []
