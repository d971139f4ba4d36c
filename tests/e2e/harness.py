"""
A real, throwaway Airflow for end-to-end runs: its own AIRFLOW_HOME and SQLite database, the
example DAGs, and a ``planet_default`` connection pointing at an emulator.

Used by the end-to-end tests and by ``make demo``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
AIRFLOW = Path(sys.executable).parent / "airflow"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DagTestResult:
    returncode: int
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


class AirflowSandbox:
    """
    One throwaway Airflow installation under ``root``.

    :param emulator_url: Base URL the ``planet_default`` connection points at.
    :param api_key: The key the connection holds.
    :param dags_folder: DAG files to load (the example DAGs by default).
    :param env: More environment variables for every Airflow command.
    """

    def __init__(
        self,
        root: Path,
        *,
        emulator_url: str,
        api_key: str,
        dags_folder: Path = EXAMPLE_DAGS,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root
        self.home = root / "airflow-home"
        self.data = root / "data"
        self.logs = root / "logs"
        for path in (self.home, self.data, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        self.emulator_url = emulator_url
        self.api_key = api_key
        self.dags_folder = dags_folder
        self.extra_env = dict(env or {})
        self.api_port = free_port()
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PL_API_KEY"))}
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.api_port}",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs),
                "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
                "AIRFLOW_CONN_PLANET_DEFAULT": json.dumps(
                    {"conn_type": "planet", "host": self.emulator_url, "password": self.api_key}
                ),
                "PLANET_ORDERS_POLL_INTERVAL": "1",
                "PLANET_ORDERS_DESTINATION": str(self.data),
                "PYTHONWARNINGS": "ignore",
            }
        )
        env.update(self.extra_env)
        return env

    def airflow(self, *args: str, timeout: float = 300, log: IO[bytes] | None = None) -> int:
        """Run ``airflow <args>``; its output goes to ``log`` (or is discarded)."""
        done = subprocess.run(
            [str(AIRFLOW), *args],
            env=self.env,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )
        return done.returncode

    def migrate(self) -> None:
        with (self.logs / "db-migrate.log").open("wb") as log:
            if self.airflow("db", "migrate", log=log, timeout=300) != 0:
                raise RuntimeError(f"airflow db migrate failed; see {self.logs / 'db-migrate.log'}")

    def dags_test(
        self, dag_id: str, conf: Mapping[str, Any] | None = None, timeout: float = 300
    ) -> DagTestResult:
        log_path = self.logs / f"dags-test-{dag_id}-{int(time.time() * 1000)}.log"
        args = ["dags", "test", dag_id]
        if conf is not None:
            args += ["--conf", json.dumps(conf)]
        with log_path.open("wb") as log:
            code = self.airflow(*args, log=log, timeout=timeout)
        return DagTestResult(code, log_path)

    # -- long-running components -----------------------------------------------------------------

    def start(
        self, components: Sequence[str] = ("api-server", "scheduler", "dag-processor", "triggerer")
    ) -> None:
        """Start Airflow's components, each in its own process group, logging to ``logs/``."""
        for component in components:
            log = (self.logs / f"{component}.log").open("ab")
            self._processes.append(
                subprocess.Popen(
                    [str(AIRFLOW), component],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.root,
                    start_new_session=True,
                )
            )

    def kill(self, component: str, sig: int = signal.SIGKILL) -> None:
        """Kill one running component (and its children) without letting it clean up."""
        for process in self._processes:
            if process.args[1] == component and process.poll() is None:  # type: ignore[index]
                os.killpg(process.pid, sig)
                process.wait()

    def stop(self, timeout: float = 20) -> None:
        """Stop every component started, and everything they started."""
        for process in self._processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self._processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._processes.clear()

    def __enter__(self) -> AirflowSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
