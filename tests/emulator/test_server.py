"""
The emulator as a program: in-process servers (many, at once), the control routes, the command
line, and the rule that it imports neither Airflow nor the hooks.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import get_args

import httpx
import pytest
from pydantic import ValidationError

import airflow_provider_planet_orders.emulator as emulator_package
from airflow_provider_planet_orders.core.api import ORDER_STATES, Endpoint
from airflow_provider_planet_orders.emulator import DEMO_API_KEY, EmulatorConfig, create_app, run_emulator
from airflow_provider_planet_orders.emulator.app import FaultUpdate, StateFilter
from airflow_provider_planet_orders.emulator.cli import build_parser, config_from
from airflow_provider_planet_orders.emulator.config import parse_size
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import ORDERS, QUEUED, scene_order

PACKAGE = Path(emulator_package.__file__).parent


def emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("planet-orders-emulator")]


# -- in-process servers ------------------------------------------------------------------------


def test_servers_start_many_times_and_at_once_and_leave_no_thread() -> None:
    before = emulator_threads()
    every_thread_before = set(threading.enumerate())
    with run_emulator() as first, run_emulator(api_keys=("PLAK-other",)) as second:
        assert first.url != second.url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first.url)
        assert (first.api_key, second.api_key) == (DEMO_API_KEY, "PLAK-other")
        created = httpx.post(first.url + ORDERS, json=scene_order(), auth=(first.api_key, ""))
        assert created.status_code == 202
        assert first.stats()["orders_created"]["total"] == 1
        assert second.stats()["orders_created"]["total"] == 0  # separate state
        assert httpx.get(second.url + ORDERS, auth=(DEMO_API_KEY, "")).status_code == 401
        assert len(emulator_threads()) == len(before) + 2
        # A manifest is hashed on a worker thread: that one must go too.
        first.force_state(created.json()["id"], "success")
        results = httpx.get(first.order_url(created.json()["id"]), auth=(first.api_key, "")).json()["_links"]
        assert httpx.get(results["results"][-1]["location"]).status_code == 200
    assert emulator_threads() == before
    assert set(threading.enumerate()) == every_thread_before
    for _ in range(3):
        with run_emulator() as again:
            assert httpx.get(again.url + "/_emulator/stats").status_code == 200
    assert emulator_threads() == before


def test_options_are_validated() -> None:
    with pytest.raises(ValidationError, match="error_rate"), run_emulator(error_rate=1.5):
        pass
    with pytest.raises(ValidationError, match="unknown endpoint"):
        EmulatorConfig(rate_limit_per_second={"delete": 1})
    with pytest.raises(ValidationError, match="API key"):
        EmulatorConfig(api_keys=())
    with pytest.raises(ValidationError, match="Extra inputs"):
        EmulatorConfig(queued_secs=1)  # type: ignore[call-arg]


async def test_create_app_is_a_plain_asgi_app() -> None:
    transport = httpx.ASGITransport(app=create_app(EmulatorConfig(rate_limits=False)))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(ORDERS, json=scene_order(), auth=(DEMO_API_KEY, ""))
        assert response.status_code == 202
        assert response.json()["_links"]["_self"].startswith("http://testserver/")


def test_the_literal_types_match_the_api_facts() -> None:
    assert set(get_args(StateFilter)) == set(ORDER_STATES)
    endpoint = FaultUpdate.model_fields["endpoint"].annotation
    # Every endpoint but the bundle spec, which is public and unpaced (no faults), as Planet's.
    served = {e.value for e in Endpoint if e is not Endpoint.SPEC}
    assert {a for arg in get_args(endpoint) for a in get_args(arg)} == served


# -- control routes ------------------------------------------------------------------------------


def test_stats_shape(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    hook.create_order(scene_order())
    hook.get_order_stats()
    stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
    assert stats == emulator.stats()
    assert set(stats) == {
        "requests",
        "orders_created",
        "bytes_served",
        "bytes_served_by_key",
        "downloads_completed",
        "faults",
        "webhooks",
        "orders",
        "tokens_issued",
    }
    assert stats["requests"] == {"create": {"202": 1}, "stats": {"200": 1}}
    fingerprint = hashlib.sha256(DEMO_API_KEY.encode()).hexdigest()[:16]
    assert stats["orders_created"] == {"total": 1, "by_key": {fingerprint: 1}}
    assert set(stats["faults"]) == {
        "error",
        "latency",
        "drop",
        "create_commit_drop",
        "download_drop",
        "download_corrupt",
        "outage_drop",
    }
    assert stats["webhooks"] == {"delivered": 0, "failed": 0}
    assert stats["orders"] == {"total": 1, "queued_orders": 1, "running_orders": 0}


def test_clock_advance_and_reset_routes(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order())
    clock = httpx.get(f"{emulator.url}/_emulator/clock").json()
    assert clock["offset_seconds"] == 0
    advanced = httpx.post(f"{emulator.url}/_emulator/clock/advance", json={"seconds": QUEUED}).json()
    assert advanced["offset_seconds"] == QUEUED
    assert advanced["now"] > clock["now"]
    assert hook.get_order(order["id"])["state"] == "running"
    assert httpx.post(f"{emulator.url}/_emulator/clock/advance", json={"seconds": -1}).status_code == 400

    reset = httpx.post(f"{emulator.url}/_emulator/reset")
    assert reset.json()["reset"] is True
    assert reset.json()["offset_seconds"] == 0
    assert list(hook.list_orders()) == []
    assert emulator.stats()["requests"] == {"list": {"200": 1}}


def test_config_routes_never_show_keys(emulator: EmulatorHandle) -> None:
    url = f"{emulator.url}/_emulator/config"
    shown = httpx.get(url).json()
    assert DEMO_API_KEY not in json.dumps(shown)
    assert shown["api_key_fingerprints"] == sorted(
        hashlib.sha256(k.encode()).hexdigest()[:16] for k in emulator.api_keys
    )
    changed = httpx.patch(url, json={"queued_seconds": 0.5, "file_size": 10})
    assert changed.status_code == 200
    assert (changed.json()["queued_seconds"], changed.json()["file_size"]) == (0.5, 10)
    assert emulator.config.queued_seconds == 0.5
    assert httpx.patch(url, json={"queued_seconds": -1}).status_code == 400
    assert httpx.patch(url, json={"colour": "blue"}).status_code == 400
    emulator.reset()
    assert emulator.config.queued_seconds == QUEUED  # back to the start


def test_every_control_route_is_documented_and_apart_from_planets_paths(emulator: EmulatorHandle) -> None:
    schema = httpx.get(f"{emulator.url}/_emulator/openapi.json").json()
    paths = set(schema["paths"])
    planet = {p for p in paths if p.startswith("/compute/ops/")}
    auth = {p for p in paths if p.startswith("/auth/")}
    assert auth == {"/auth/realms/main/protocol/openid-connect/token"}  # Planet's OAuth2 token endpoint
    control = paths - planet - auth
    assert planet == {
        "/compute/ops/orders/v2",
        "/compute/ops/orders/v2/{order_id}",
        "/compute/ops/bulk/orders/v2/cancel",
        "/compute/ops/stats/orders/v2",
        "/compute/ops/download/",
        "/compute/ops/bundles/spec",
    }
    assert all(p.startswith("/_emulator/") for p in control)
    documented = Path(__file__).parents[2].joinpath("docs", "emulator.md").read_text()
    for path in control:
        assert path in documented, f"{path} is not in docs/emulator.md"
        for method, operation in schema["paths"][path].items():
            assert operation["summary"], (method, path)
    assert httpx.get(f"{emulator.url}/_emulator/docs").status_code == 200


def test_unknown_paths_get_a_json_404(emulator: EmulatorHandle, client: httpx.Client) -> None:
    response = client.get("/compute/ops/orders/v3")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
    assert client.delete(f"{ORDERS}/00000000-0000-0000-0000-000000000000").status_code == 405
    assert emulator.stats()["requests"]["other"] == {"404": 1, "405": 1}


# -- command line ----------------------------------------------------------------------------------


def test_every_documented_option_reaches_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--host=0.0.0.0",
            "--port=0",
            "--api-key=PLAK-a",
            "--api-key=PLAK-b",
            "--queued-seconds=1.5",
            "--running-seconds=2.5",
            "--duration-jitter=0.2",
            "--file-size=50MB",
            "--link-ttl=60",
            "--no-rate-limits",
            "--rate-limit=get=10",
            "--error-rate=0.1",
            "--error-statuses=500,503",
            "--latency-ms=25",
            "--drop-rate=0.2",
            "--create-commit-drop-rate=0.3",
            "--download-drop-rate=0.4",
            "--download-corrupt-rate=0.5",
            "--seed=42",
        ]
    )
    config = config_from(args)
    assert config.model_dump() == {
        **EmulatorConfig().model_dump(),
        "host": "0.0.0.0",  # noqa: S104
        "port": 0,
        "api_keys": ("PLAK-a", "PLAK-b"),
        "queued_seconds": 1.5,
        "running_seconds": 2.5,
        "duration_jitter": 0.2,
        "file_size": 50 * 1024 * 1024,
        "link_ttl": 60.0,
        "rate_limits": False,
        "rate_limit_per_second": {**EmulatorConfig().rate_limit_per_second, "get": 10.0},
        "error_rate": 0.1,
        "error_statuses": (500, 503),
        "latency_ms": 25.0,
        "drop_rate": 0.2,
        "create_commit_drop_rate": 0.3,
        "download_drop_rate": 0.4,
        "download_corrupt_rate": 0.5,
        "seed": 42,
    }
    defaults = config_from(build_parser().parse_args([]))
    assert defaults.api_keys == (DEMO_API_KEY,)
    assert defaults.rate_limits is True
    assert defaults.port == 8765


@pytest.mark.parametrize(
    ("text", "size"), [("1048576", 1048576), ("512KiB", 524288), ("2G", 2 << 30), ("1.5k", 1536)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_options_are_refused_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    from airflow_provider_planet_orders.emulator.cli import main

    for argv in (["--error-rate=2"], ["--file-size=lots"], ["--rate-limit=delete=3"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    assert "error_rate" in capsys.readouterr().err


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    script = Path(sys.executable).with_name("planet-orders-emulator")
    process = subprocess.Popen(
        [str(script), "--port=0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "controls:" in line:
            break
    output = "".join(lines)
    url = re.search(r"listening on (http://\S+)", output)
    assert url, output
    return process, output


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_console_script_serves_and_stops_cleanly(stop: signal.Signals) -> None:
    process, output = _start_cli("--queued-seconds=0", "--log-level=warning")
    try:
        url = re.search(r"listening on (http://\S+)", output).group(1)  # type: ignore[union-attr]
        assert f"API key: {DEMO_API_KEY}" in output
        created = httpx.post(url + ORDERS, json=scene_order(), auth=(DEMO_API_KEY, ""))
        assert created.status_code == 202
        started = time.monotonic()
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_console_script_reports_a_port_in_use() -> None:
    with run_emulator() as running:
        port = running.url.rsplit(":", 1)[1]
        script = Path(sys.executable).with_name("planet-orders-emulator")
        done = subprocess.run([str(script), f"--port={port}"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "cannot listen" in done.stderr


# -- import rule ---------------------------------------------------------------------------------------

FORBIDDEN = ("airflow", "airflow_provider_planet_orders.hooks", "airflow_provider_planet_orders.operators")
FORBIDDEN += ("airflow_provider_planet_orders.sensors", "airflow_provider_planet_orders.triggers")


def test_no_emulator_module_imports_airflow_or_the_hooks() -> None:
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(), str(module))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), (module.name, name)


def test_importing_and_starting_the_emulator_loads_no_airflow() -> None:
    code = (
        "import sys\n"
        "from airflow_provider_planet_orders.emulator import run_emulator\n"
        "import airflow_provider_planet_orders.emulator.cli\n"
        "import airflow_provider_planet_orders.emulator.pytest_plugin\n"
        "with run_emulator() as e: pass\n"
        "bad = sorted(m for m in sys.modules if m == 'airflow' or m.startswith(('airflow.',"
        " 'airflow_provider_planet_orders.hooks', 'airflow_provider_planet_orders.operators',"
        " 'airflow_provider_planet_orders.sensors', 'airflow_provider_planet_orders.triggers')))\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
