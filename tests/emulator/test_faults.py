"""
Fault injection, each kind seen by a real client: error statuses, latency, connections dropped
before a response, "commit then drop" on create, downloads cut or corrupted mid-file, outages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.exceptions import (
    PlanetConnectionError,
    PlanetOrderMaybeCreatedError,
    PlanetServerError,
)
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, finish, make_hook, scene_order

#: How a client sees a connection the server aborted: end of stream or, when the kernel answers
#: the unread request with a reset, a read error. Which one is a matter of timing.
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def raw_get(url: str, key: str) -> bytes:
    """Send one GET on a plain socket and return every byte the server sent before closing."""
    parts = urlsplit(url)
    auth = base64.b64encode(f"{key}:".encode()).decode()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Basic {auth}\r\n\r\n".encode()
        )
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


@pytest.fixture
def order(hook: PlanetOrdersHook) -> dict[str, Any]:
    return hook.create_order(scene_order(items=("a", "b")))


def test_error_rate_answers_an_error_status_instead(
    emulator: EmulatorHandle, client: httpx.Client, order: dict[str, Any]
) -> None:
    emulator.set_faults("get", error_rate=1.0)
    responses = [client.get(f"{ORDERS}/{order['id']}") for _ in range(12)]
    assert {r.status_code for r in responses} <= {429, 500, 502, 503}
    assert len({r.status_code for r in responses}) > 1
    for response in responses:
        assert "Injected fault" in response.json()["message"]
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "1"
    assert client.get(ORDERS).status_code == 200  # other endpoints are not affected
    assert emulator.stats()["faults"]["error"] == 12


def test_error_statuses_can_be_chosen(
    emulator: EmulatorHandle, client: httpx.Client, order: dict[str, Any]
) -> None:
    emulator.set_faults(error_rate=1.0, error_statuses=[503])
    assert {client.get(f"{ORDERS}/{order['id']}").status_code for _ in range(5)} == {503}
    assert client.get(ORDERS).status_code == 503


def test_faults_are_reproducible_with_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with (
            run_emulator(seed=seed, error_rate=0.5, rate_limits=False) as emulator,
            httpx.Client(base_url=emulator.url, auth=(emulator.api_key, "")) as client,
        ):
            return [client.get(ORDERS).status_code for _ in range(30)]

    first = statuses(11)
    assert first == statuses(11)
    assert first != statuses(12)
    assert 200 in first
    assert set(first) - {200}


def test_the_hook_retries_through_injected_errors(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, order: dict[str, Any]
) -> None:
    emulator.set_faults("get", error_rate=0.5)
    for _ in range(10):
        assert hook.get_order(order["id"])["id"] == order["id"]
    counts = emulator.stats()["requests"]["get"]
    assert counts["200"] == 10
    assert (
        sum(n for status, n in counts.items() if status != "200") == emulator.stats()["faults"]["error"] > 0
    )


def test_latency_is_added(emulator: EmulatorHandle, client: httpx.Client, order: dict[str, Any]) -> None:
    emulator.set_faults("get", latency_ms=150)
    start = time.perf_counter()
    assert client.get(f"{ORDERS}/{order['id']}").status_code == 200
    assert time.perf_counter() - start >= 0.15
    start = time.perf_counter()
    assert client.get(ORDERS).status_code == 200
    assert time.perf_counter() - start < 0.15
    assert emulator.stats()["faults"]["latency"] == 1


def test_a_dropped_connection_gives_no_response_at_all(
    emulator: EmulatorHandle, client: httpx.Client, order: dict[str, Any]
) -> None:
    emulator.set_faults("get", drop_rate=1.0)
    assert raw_get(f"{emulator.url}{ORDERS}/{order['id']}", emulator.api_key) == b""  # not a 500
    with pytest.raises(DROPPED):
        client.get(f"{ORDERS}/{order['id']}")
    assert emulator.stats()["requests"]["get"] == {"dropped": 2}
    assert emulator.stats()["faults"]["drop"] == 2


def test_the_hook_reports_drops_as_connection_errors_after_retries(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, order: dict[str, Any]
) -> None:
    hook = make_hook(monkeypatch, emulator, max_retries=2)
    emulator.set_faults("get", drop_rate=1.0)
    with pytest.raises(PlanetConnectionError) as caught:
        hook.get_order(order["id"])
    assert caught.value.request_sent
    assert emulator.stats()["requests"]["get"] == {"dropped": 3}  # three attempts
    hook.close()

    patient = make_hook(monkeypatch, emulator, max_retries=8)
    emulator.set_faults("get", drop_rate=0.5)
    for _ in range(5):
        assert patient.get_order(order["id"])["id"] == order["id"]
    patient.close()
    assert emulator.stats()["requests"]["get"]["200"] == 5


def test_commit_then_drop_creates_the_order_without_answering(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    emulator.set_faults("create", create_commit_drop_rate=1.0)
    with pytest.raises(PlanetOrderMaybeCreatedError):
        hook.create_order(scene_order("committed"))
    emulator.clear_faults()

    assert [o["name"] for o in hook.list_orders(name="committed")] == ["committed"]  # it exists
    stats = emulator.stats()
    assert stats["orders_created"]["total"] == 1  # once: creates are not retried blindly
    assert stats["requests"]["create"] == {"dropped": 1}
    assert stats["faults"]["create_commit_drop"] == 1


def test_drop_rate_on_create_drops_before_creating(emulator: EmulatorHandle, client: httpx.Client) -> None:
    emulator.set_faults("create", drop_rate=1.0)
    with pytest.raises(DROPPED):
        client.post(ORDERS, json=scene_order())
    assert emulator.stats()["orders_created"]["total"] == 0


def _download_link(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, order: dict[str, Any]
) -> tuple[str, str]:
    finish(emulator)
    results = {
        r["name"].rsplit("/", 1)[-1]: r["location"] for r in hook.get_order(order["id"])["_links"]["results"]
    }
    return results["a_analytic_udm2.tif"], results["manifest.json"]


def test_a_download_dropped_mid_file_ends_early(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    emulator.configure(file_size=3 * 1024 * 1024)
    location, _ = _download_link(emulator, hook, hook.create_order(scene_order(items=("a",))))
    emulator.set_faults("download", download_drop_rate=1.0)

    raw = raw_get(location, emulator.api_key)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-length: 3145728" in head.lower()
    assert len(body) < 3 * 1024 * 1024

    with (
        pytest.raises(DROPPED),
        httpx.stream("GET", location) as response,
    ):
        for _ in response.iter_bytes():
            pass
    with pytest.raises(PlanetConnectionError):
        hook.open_result(location).read()
    stats = emulator.stats()
    assert stats["faults"]["download_drop"] == 3
    assert stats["requests"]["download"] == {"dropped": 3}
    assert stats["downloads_completed"] == 0


def test_a_corrupted_download_fails_its_checksum(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, order: dict[str, Any]
) -> None:
    location, manifest_location = _download_link(emulator, hook, order)
    manifest = json.loads(httpx.get(manifest_location).content)
    expected = manifest["files"][0]["digests"]["md5"]
    assert hashlib.md5(httpx.get(location).content, usedforsecurity=False).hexdigest() == expected

    emulator.set_faults("download", download_corrupt_rate=1.0)
    corrupted = httpx.get(location)
    assert corrupted.status_code == 200
    assert len(corrupted.content) == emulator.config.file_size
    assert hashlib.md5(corrupted.content, usedforsecurity=False).hexdigest() != expected
    assert emulator.stats()["faults"]["download_corrupt"] == 1


def test_an_outage_drops_planet_paths_but_not_the_controls(
    emulator: EmulatorHandle, client: httpx.Client, order: dict[str, Any]
) -> None:
    emulator.outage(0.6)
    with pytest.raises(DROPPED):
        client.get(f"{ORDERS}/{order['id']}")
    assert raw_get(f"{emulator.url}/compute/ops/stats/orders/v2", emulator.api_key) == b""
    control = httpx.get(f"{emulator.url}/_emulator/outage")
    assert control.status_code == 200
    assert 0 < control.json()["remaining_seconds"] <= 0.6
    time.sleep(0.7)
    assert client.get(f"{ORDERS}/{order['id']}").json()["id"] == order["id"]  # state was kept
    assert emulator.stats()["faults"]["outage_drop"] == 2


def test_an_outage_can_be_ended_early_over_http(emulator: EmulatorHandle, client: httpx.Client) -> None:
    assert (
        httpx.post(f"{emulator.url}/_emulator/outage", json={"seconds": 60}).json()["remaining_seconds"] > 59
    )
    with pytest.raises(DROPPED):
        client.get(ORDERS)
    assert httpx.post(f"{emulator.url}/_emulator/outage", json={"seconds": 0}).json() == {
        "remaining_seconds": 0.0
    }
    assert client.get(ORDERS).status_code == 200


def test_the_hook_rides_out_a_short_outage(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, order: dict[str, Any]
) -> None:
    hook = make_hook(monkeypatch, emulator, backoff_initial=0.2, max_retries=5)
    hook.sleep = time.sleep
    emulator.outage(0.3)
    assert hook.get_order(order["id"])["id"] == order["id"]
    hook.close()
    assert emulator.stats()["requests"]["get"]["dropped"] >= 1


def test_fault_settings_per_endpoint_and_for_all(emulator: EmulatorHandle) -> None:
    emulator.set_faults(error_rate=0.25)
    emulator.set_faults("download", download_corrupt_rate=0.5)
    settings = emulator.faults()
    assert {s["error_rate"] for s in settings.values()} == {0.25}
    assert settings["download"]["download_corrupt_rate"] == 0.5
    assert settings["get"]["download_corrupt_rate"] == 0.0
    with pytest.raises(ValueError, match="less than or equal to 1"):
        emulator.set_faults("get", drop_rate=2)
    with pytest.raises(ValueError, match="unknown endpoint"):
        emulator.set_faults("delete", drop_rate=0.1)
    assert emulator.clear_faults()["get"]["error_rate"] == 0.0


def test_fault_routes(emulator: EmulatorHandle) -> None:
    url = f"{emulator.url}/_emulator/faults"
    updated = httpx.put(url, json={"endpoint": "stats", "error_rate": 1, "error_statuses": [502]}).json()
    assert updated["stats"]["error_rate"] == 1.0
    assert updated["stats"]["error_statuses"] == [502]
    assert updated["get"]["error_rate"] == 0.0
    assert httpx.get(url).json() == updated
    with httpx.Client(base_url=emulator.url, auth=(emulator.api_key, "")) as client:
        assert client.get("/compute/ops/stats/orders/v2").status_code == 502
    assert httpx.put(url, json={"endpoint": "nope", "error_rate": 1}).status_code == 400
    assert httpx.put(url, json={"drop_rate": -1}).status_code == 400
    assert httpx.put(url, json={"error_statuses": [200]}).status_code == 400
    cleared = httpx.delete(url).json()
    assert cleared["stats"]["error_rate"] == 0.0


def test_configured_faults_apply_from_the_start_and_come_back_on_reset() -> None:
    with run_emulator(drop_rate=1.0, seed=1) as emulator:
        with pytest.raises(DROPPED):
            httpx.get(emulator.url + ORDERS, auth=(emulator.api_key, ""))
        emulator.set_faults(drop_rate=0)
        assert httpx.get(emulator.url + ORDERS, auth=(emulator.api_key, "")).status_code == 200
        emulator.reset()
        assert emulator.faults()["list"]["drop_rate"] == 1.0


def test_retried_errors_with_a_server_error_end_as_server_error(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, order: dict[str, Any]
) -> None:
    hook = make_hook(monkeypatch, emulator, max_retries=1)
    emulator.set_faults("get", error_rate=1.0, error_statuses=[500])
    with pytest.raises(PlanetServerError, match="500"):
        hook.get_order(order["id"])
    hook.close()
    assert emulator.stats()["requests"]["get"] == {"500": 2}


def test_configure_reseeds_the_dice(emulator: EmulatorHandle, client: httpx.Client) -> None:
    def run() -> list[int]:
        emulator.configure(seed=99, error_rate=0.5)
        return [client.get(ORDERS).status_code for _ in range(20)]

    assert run() == run()
