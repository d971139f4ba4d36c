"""
``make airflow``: a real local Airflow wired to the emulator and the example DAGs, to watch in the UI.

It starts the emulator and Airflow's api-server, scheduler, dag-processor and triggerer
(LocalExecutor, SQLite, a throwaway AIRFLOW_HOME), prints the URL and the login, and stops
everything on Ctrl-C. Orders take about a minute, so that the deferred wait can be watched.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

from airflow_provider_planet_orders.emulator import run_emulator
from tests.e2e.harness import AirflowSandbox

USER, PASSWORD = "admin", "admin"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _interrupt(*_: object) -> None:
    """SIGTERM ends the session through the same clean shutdown as Ctrl-C."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local Airflow with the example DAGs and the emulator")
    parser.add_argument("--port", type=int, default=8080, help="the UI's port (another if taken)")
    parser.add_argument("--queued-seconds", type=float, default=20)
    parser.add_argument("--running-seconds", type=float, default=40)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="planet-orders-airflow-"))
    passwords = root / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    signal.signal(signal.SIGTERM, _interrupt)
    with run_emulator(
        port=0, queued_seconds=args.queued_seconds, running_seconds=args.running_seconds, file_size=4 << 20
    ) as emulator:
        sandbox = AirflowSandbox(
            root,
            emulator_url=emulator.url,
            api_key=emulator.api_key,
            env={
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "PLANET_ORDERS_POLL_INTERVAL": "5",
            },
        )
        if _port_free(args.port):
            sandbox.api_port = args.port
        url = f"http://127.0.0.1:{sandbox.api_port}"
        print(f"Preparing Airflow in {sandbox.home} ...", flush=True)
        sandbox.migrate()
        sandbox.start()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(1)
            else:
                print(f"Airflow did not start; see the logs in {sandbox.logs}", file=sys.stderr)
                return 1
            print(
                f"\nAirflow is up:   {url}   (login {USER} / {PASSWORD})\n"
                f"Planet emulator: {emulator.url}   (key {emulator.api_key}; {emulator.url}/_emulator/docs)\n"
                "Example DAGs:    trigger example_planet_recurring_pull to watch an order:\n"
                "                 one click, one run, one order. The DAGs start paused; with the\n"
                "                 dialog's 'Unpause on trigger' ticked (Airflow 3.3's default) it also\n"
                "                 runs daily from the next midnight UTC, never for a day already begun.\n"
                "                 Untick it to run only once.\n"
                f"Logs:            {sandbox.logs}\n"
                f"Downloads:       {sandbox.data}\n"
                "Press Ctrl-C to stop everything.",
                flush=True,
            )
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nStopping Airflow and the emulator...", flush=True)
        finally:
            sandbox.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
