"""Rate limits per key and endpoint at Planet's numbers: 429 with ``Retry-After``, and a way off."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from airflow_provider_planet_orders.emulator import DEMO_API_KEY, run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from tests.emulator.conftest import ORDERS, OTHER_KEY, make_hook, scene_order

STATS = "/compute/ops/stats/orders/v2"


@pytest.fixture(scope="module")
def limited_session() -> Iterator[EmulatorHandle]:
    with run_emulator(api_keys=(DEMO_API_KEY, OTHER_KEY), queued_seconds=0, running_seconds=0) as handle:
        yield handle


@pytest.fixture
def limited(limited_session: EmulatorHandle) -> EmulatorHandle:
    limited_session.reset()
    return limited_session


def client_for(emulator: EmulatorHandle, key: str = DEMO_API_KEY) -> httpx.Client:
    return httpx.Client(base_url=emulator.url, auth=(key, ""))


def test_a_burst_beyond_the_limit_gets_429_with_retry_after(limited: EmulatorHandle) -> None:
    with client_for(limited) as client:
        order_id = client.post(ORDERS, json=scene_order()).json()["id"]
        statuses = [client.get(f"{ORDERS}/{order_id}").status_code for _ in range(5)]
        refused = client.get(f"{ORDERS}/{order_id}")

    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "3 per second" in refused.json()["message"]
    assert limited.stats()["requests"]["get"]["429"] >= 2


def test_limits_are_per_key_and_per_endpoint(limited: EmulatorHandle) -> None:
    with client_for(limited) as mine, client_for(limited, OTHER_KEY) as theirs:
        for _ in range(3):
            assert mine.get(ORDERS).status_code == 200
        assert mine.get(ORDERS).status_code == 429
        assert theirs.get(ORDERS).status_code == 200  # another key
        stats = [mine.get(STATS).status_code for _ in range(8)]
        assert stats[:5] == [200] * 5  # 5 per second
        assert 429 in stats[5:]


def test_tokens_come_back_at_the_documented_rate(limited: EmulatorHandle) -> None:
    with client_for(limited) as client:
        assert [client.get(ORDERS).status_code for _ in range(4)] == [200, 200, 200, 429]
        time.sleep(0.4)  # one token every 1/3 s
        assert client.get(ORDERS).status_code == 200
        assert client.get(ORDERS).status_code == 429


def test_downloads_count_against_the_owners_key(limited: EmulatorHandle) -> None:
    limited.configure(file_size=1000)
    with client_for(limited) as client:
        order_id = client.post(ORDERS, json=scene_order()).json()["id"]
        time.sleep(0.05)
        location = client.get(f"{ORDERS}/{order_id}").json()["_links"]["results"][0]["location"]
    with httpx.Client() as anonymous:
        statuses = [anonymous.get(location).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    assert limited.stats()["requests"]["download"]["429"] >= 1


def test_a_client_pacing_at_the_documented_rates_never_sees_429(
    limited: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = make_hook(monkeypatch, limited, rate_limit=True)
    hook.sleep = time.sleep  # pacing must really wait
    order = hook.create_order(scene_order())
    for _ in range(6):
        hook.get_order(order["id"])
    for _ in range(4):
        hook.get_order_stats()
    hook.close()
    requests = limited.stats()["requests"]
    assert all("429" not in counts for counts in requests.values()), requests
    assert requests["get"] == {"200": 6}


def test_the_hook_honours_retry_after(limited: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    hook = make_hook(monkeypatch, limited, rate_limit=False, backoff_initial=0.01)
    hook.sleep = sleep
    order = hook.create_order(scene_order())
    for _ in range(4):
        assert hook.get_order(order["id"])["id"] == order["id"]
    hook.close()
    assert limited.stats()["requests"]["get"] == {"200": 4, "429": 1}
    assert waits
    assert waits[0] >= 1.0


def test_rate_limits_can_be_switched_off_or_changed(limited: EmulatorHandle) -> None:
    limited.configure(rate_limits=False)
    with client_for(limited) as client:
        assert {client.get(ORDERS).status_code for _ in range(20)} == {200}
        limited.configure(rate_limits=True, rate_limit_per_second={"list": 10})
        statuses = [client.get(ORDERS).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
