"""Webhooks: the order's JSON is POSTed to ``notifications.webhook.url`` when it finishes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, finish, scene_order


def eventually(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


class Receiver:
    """A webhook endpoint of our own: a plain HTTP server recording what it is sent."""

    def __init__(self) -> None:
        received: list[tuple[str, dict[str, str], Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/planet"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_the_order_is_posted_on_completion_without_anyone_reading_it(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, receiver: Receiver
) -> None:
    order = hook.create_order(
        scene_order(notifications={"webhook": {"url": receiver.url, "per_order": True}})
    )
    time.sleep(0.1)
    assert receiver.received == []  # not before it finishes
    finish(emulator)

    path, headers, payload = eventually(lambda: receiver.received)[0]
    assert path == "/hooks/planet"
    assert headers["Content-Type"] == "application/json"
    assert payload["id"] == order["id"]
    assert payload["state"] == "success"
    assert payload["_links"]["results"]
    assert emulator.stats()["requests"].get("get") is None  # nobody polled
    eventually(lambda: emulator.stats()["webhooks"]["delivered"] == 1)
    time.sleep(0.1)
    assert len(receiver.received) == 1  # once


def test_failed_and_cancelled_orders_are_notified_too(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    sink = f"{emulator.url}/_emulator/webhooks/sink"
    cancelled = hook.create_order(scene_order("c", notifications={"webhook": {"url": sink}}))
    failed = hook.create_order(
        scene_order("f", items=("unavailable",), notifications={"webhook": {"url": sink}})
    )
    hook.cancel_order(cancelled["id"])
    eventually(lambda: len(emulator.webhooks_received()) == 1)
    finish(emulator)
    received = eventually(lambda: len(emulator.webhooks_received()) == 2 and emulator.webhooks_received())
    assert [(p["id"], p["state"]) for p in received] == [
        (cancelled["id"], "cancelled"),
        (failed["id"], "failed"),
    ]
    assert httpx.get(sink).json()["received"] == received


def test_webhooks_fire_on_the_real_clock() -> None:
    with run_emulator(queued_seconds=0.1, running_seconds=0.1, rate_limits=False) as emulator:
        sink = f"{emulator.url}/_emulator/webhooks/sink"
        body = scene_order(notifications={"webhook": {"url": sink}})
        order_id = httpx.post(emulator.url + ORDERS, json=body, auth=(emulator.api_key, "")).json()["id"]
        received = eventually(lambda: emulator.webhooks_received(), timeout=3)
    assert received[0]["id"] == order_id
    assert received[0]["state"] == "success"


def test_an_unreachable_webhook_is_counted_as_failed(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    hook.create_order(scene_order(notifications={"webhook": {"url": f"http://127.0.0.1:{closed_port}/"}}))
    finish(emulator)
    eventually(lambda: emulator.stats()["webhooks"]["failed"] == 1)
    assert emulator.stats()["webhooks"]["delivered"] == 0
