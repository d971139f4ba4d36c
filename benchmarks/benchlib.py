"""
What every benchmark shares: an emulator in its own process, a throwaway Airflow home, the
``planet_default`` connection, order seeding, percentiles, the machine, and the JSON handed to
``run.py``.

It imports neither Airflow nor an HTTP library, so that a benchmark decides what its measured
process loads (the standard library's ``http.client`` talks to the emulator's controls).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
EXAMPLE_DAGS = ROOT / "example_dags"
#: The emulator's public demo key (it works only against an emulator).
KEY = "PLAK-emulator-demo-key"
ORDERS_PATH = "/compute/ops/orders/v2"


# --------------------------------------------------------------------------------------------
# Airflow and the connection
# --------------------------------------------------------------------------------------------


def isolate_airflow() -> Path:
    """A temporary ``AIRFLOW_HOME``, set before anything imports Airflow (it reads it at import)."""
    home = Path(tempfile.mkdtemp(prefix="planet-orders-bench-airflow-"))
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    os.environ.pop("PL_API_KEY", None)
    return home


def set_planet_connection(url: str, key: str = KEY, extra: dict[str, Any] | None = None) -> None:
    """Point ``planet_default`` at ``url``, as users do: an ``AIRFLOW_CONN_`` variable (JSON)."""
    conn: dict[str, Any] = {"conn_type": "planet", "host": url, "password": key}
    if extra:
        conn["extra"] = extra
    os.environ["AIRFLOW_CONN_PLANET_DEFAULT"] = json.dumps(conn)


def quiet_logging() -> None:
    """Benchmarks print figures, not Airflow's or the provider's info logs."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("airflow", "airflow_provider_planet_orders", "httpx", "planet", "root"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    except ImportError:  # pragma: no cover - Airflow 3 always has it
        pass


# --------------------------------------------------------------------------------------------
# The emulator, in its own process
# --------------------------------------------------------------------------------------------


def order_request(name: str, items: int = 1) -> dict[str, Any]:
    ids = [f"20240101_000000_00_{n:04d}" for n in range(items)]
    return {
        "name": name,
        "products": [{"item_ids": ids, "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
    }


class EmulatorProcess:
    """
    ``planet-orders-emulator`` as a child process, and a small client for its API and controls.

    A separate process keeps the emulator's CPU and memory out of the measured client's figures.
    """

    def __init__(self, *options: str) -> None:
        script = Path(sys.executable).with_name("planet-orders-emulator")
        command = (
            [str(script)]
            if script.exists()
            else [sys.executable, "-m", "airflow_provider_planet_orders.emulator.cli"]
        )
        command += ["--port=0", "--log-level=warning", *options]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        self.url = ""
        for line in self.process.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                self.url = match.group(1)
                break
        if not self.url:
            self.process.kill()
            raise RuntimeError(f"the emulator did not start: {' '.join(command)}")
        # Keep reading its output so that a chatty emulator never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._local = threading.local()
        self.key = KEY

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return conn

    def call(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        """One request over this thread's keep-alive connection; the decoded JSON answer."""
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {payload[:300]!r}")
        return json.loads(payload) if payload else None

    def stats(self) -> dict[str, Any]:
        return self.call("GET", "/_emulator/stats", auth=False)

    def reset(self) -> None:
        self.call("POST", "/_emulator/reset", auth=False)

    def configure(self, **options: Any) -> dict[str, Any]:
        return self.call("PATCH", "/_emulator/config", options, auth=False)

    def create_orders(
        self, count: int, *, items: int = 1, prefix: str = "bench", threads: int = 8
    ) -> list[tuple[str, float]]:
        """Create ``count`` orders fast (rate limits must be off); ``(id, created_at)`` in order."""

        def create(number: int) -> tuple[str, float]:
            created = time.time()
            order = self.call("POST", ORDERS_PATH, order_request(f"{prefix}-{number:05d}", items))
            return str(order["id"]), created

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(create, range(count)))

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self.call("GET", f"{ORDERS_PATH}/{order_id}")

    def all_orders(self) -> Iterator[dict[str, Any]]:
        """Every order of the key (rate limits must be off), 500 a page."""
        path: str | None = f"{ORDERS_PATH}?page_size=500&source_type=all"
        while path:
            page = self.call("GET", path)
            yield from page["orders"]
            nxt = page.get("_links", {}).get("next")
            path = None if not nxt else urlsplit(nxt).path + "?" + urlsplit(nxt).query

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def emulator(*options: str) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(*options)
    try:
        yield process
    finally:
        process.stop()


def request_counts(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Requests per endpoint and status between two emulator statistics snapshots."""
    counts: dict[str, dict[str, int]] = {}
    for endpoint, statuses in after["requests"].items():
        old = before["requests"].get(endpoint, {})
        delta = {s: n - old.get(s, 0) for s, n in statuses.items() if n - old.get(s, 0)}
        if delta:
            counts[endpoint] = delta
    return counts


def total(counts: dict[str, dict[str, int]], endpoints: Iterable[str] | None = None) -> int:
    return sum(sum(v.values()) for k, v in counts.items() if endpoints is None or k in endpoints)


def status_count(counts: dict[str, dict[str, int]], status: str) -> int:
    return sum(v.get(status, 0) for v in counts.values())


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; ``nan`` for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (``ru_maxrss``), in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident memory now, in MB (from /proc, without psutil)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of another process so far (from /proc), e.g. the emulator's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far (``CLOCK_PROCESS_CPUTIME_ID``)."""
    return time.process_time()


# --------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        fields = dict(
            line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
        )
        os_name = f"{fields.get('PRETTY_NAME', '').strip(chr(34))} (Linux {platform.release()})"
    except OSError:
        pass
    curl = shutil.which("curl")
    curl_version = "not installed"
    if curl:
        first = subprocess.run([curl, "--version"], capture_output=True, text=True, check=False).stdout
        curl_version = " ".join(first.split()[:2])
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "OS": os_name,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Airflow": _version("apache-airflow") or "?",
        "Provider": _version("airflow-provider-planet-orders") or "?",
        "Planet SDK": _version("planet") or "not installed",
        "httpx / requests": f"{_version('httpx')} / {_version('requests')}",
        "curl": curl_version,
        "Date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --------------------------------------------------------------------------------------------
# Results, handed to run.py as JSON
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    """
    One benchmark's figures, its targets and what was run, as ``run.py`` renders them.

    ``rows`` are tables (a title, column names, rows of cells); ``targets`` say what was promised,
    what was measured and whether it was met (``None``: not measurable here).
    """

    name: str
    title: str
    setup: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.tables.append({"title": title, "columns": list(columns), "rows": [list(r) for r in rows]})
        print(f"\n{title}")
        widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)))
        for row in rows:
            print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))

    def target(self, target: str, measured: str, met: bool | None) -> None:
        self.targets.append({"target": target, "measured": measured, "met": met})
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[met]
        print(f"TARGET {target}: {measured} -> {verdict}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"NOTE {text}")

    def emit(self, path: str | None) -> None:
        data = {
            "name": self.name,
            "title": self.title,
            "setup": self.setup,
            "tables": self.tables,
            "targets": self.targets,
            "notes": self.notes,
            "figures": self.figures,
            "seconds": round(time.monotonic() - self.started, 1),
        }
        if path:
            Path(path).write_text(json.dumps(data, indent=2, default=str))


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON here (for run.py)")
    parser.add_argument("--quick", action="store_true", help="smaller, faster run (checks the script)")
    return parser


def fmt(value: float, digits: int = 1) -> str:
    """A figure for a table: thousands separators, ``-`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(value: float, baseline: float) -> str:
    if not baseline or value is None or baseline is None or math.isnan(value) or math.isnan(baseline):
        return "-"
    return f"{value / baseline:.2f}x"


def argparse_hidden() -> str:
    """The help of an option for the benchmark's own subprocesses: hidden from ``--help``."""
    return argparse.SUPPRESS


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (an optional baseline such as Planet's SDK)."""
    return importlib.util.find_spec(module) is not None
