"""
Waiting at scale: N concurrent waits for orders in one event loop, against Planet's rate limits.

A triggerer runs hundreds of waits at once, and Planet lets a key make 3 get and 3 list requests
per second. Three ways of waiting are measured in the same run, each for N = 100 and N = 1,000:

* ``shared``: ``PlanetOrderTrigger`` through Airflow 3.3's ``SharedStreamManager``, as the
  triggerer runs it: one ``poll_order_changes`` listing per poll interval for every wait, each
  trigger's ``filter_shared_stream`` picking its order out;
* ``per-order``: ``PlanetOrderTrigger.run()``, one get per order per interval (the fallback
  where shared streams are absent), paced by the provider's client-side limiter;
* ``sdk``: Planet's SDK ``OrdersClient.wait()`` per order in one session (the baseline users
  would otherwise write), with its own pacing (10/s) and retries.

The emulator runs in its own process with Planet's limits on; its orders finish at seeded, spread
times. The waits run in a worker process of their own, so that its CPU time, RSS and event-loop
lag are the waits' alone; the driver samples the emulator's request counters every second.

    .venv/bin/python benchmarks/bench_waiting.py [--interval 5] [--sizes 100 1000]
        [--modes shared per-order sdk]
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from benchlib import (
    Result,
    argparse_hidden,
    arguments,
    emulator,
    fmt,
    installed,
    isolate_airflow,
    percentile,
    quiet_logging,
    rss_mb,
    set_planet_connection,
)

#: The real default poll interval, which the figures are scaled to.
REAL_INTERVAL = 30.0
#: The trigger's default safety poll (one direct get per wait per this many seconds).
SAFETY_POLL_INTERVAL = 1800.0
#: Planet's per-key limit for get and list, requests per second.
LIMIT = 3.0
LAG_TICK = 0.05
#: The shared poll re-reads this many seconds of changes (the provider's LAG_MARGIN).
LAG_MARGIN = 30.0
MODES = ("shared", "per-order", "sdk")


# --------------------------------------------------------------------------------------------
# The worker: one event loop with N waits
# --------------------------------------------------------------------------------------------


async def _shared(
    orders: list[tuple[str, float]],
    interval: float,
    record: Any,
    polls: list[list[float]],
    sweeps: list[list[float]],
    safety: float,
) -> None:
    from airflow.triggers.shared_stream import SharedStreamManager

    from airflow_provider_planet_orders.triggers import shared_poll as changes
    from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger

    manager = SharedStreamManager()
    listings = changes.poll_order_changes

    async def observed(*args: Any, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """The shared poll's listings, each noted: its start, orders listed, its end, CPU so far."""
        async for raw in listings(*args, **kwargs):
            if raw.get("kind") == "changes":
                now, cpu = time.time(), time.process_time()
                polls.append([raw["polled_at"], len(raw["orders"]), now, cpu, rss_mb()])
            yield raw

    unfinished = changes.list_unfinished_orders

    async def swept(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        """A sweep, noted: its start, its end, the unfinished orders it listed."""
        started = time.time()
        orders = await unfinished(*args, **kwargs)
        sweeps.append([started, time.time(), len(orders)])
        return orders

    changes.poll_order_changes = observed
    changes.list_unfinished_orders = swept

    async def wait(number: int, order_id: str, created: float) -> None:
        # As the create operator defers: it last saw the order when it created it.
        trigger = PlanetOrderTrigger(
            order_id=order_id, poll_interval=interval, last_seen=created, safety_poll_interval=safety
        )
        key = trigger.shared_stream_key()
        stream = manager.subscribe(trigger_id=number, trigger=trigger, key=key)
        try:
            async for event in trigger.filter_shared_stream(stream):
                record(order_id, event.payload.get("status"))
                return
        finally:
            await manager.unsubscribe(number, key)

    try:
        await asyncio.gather(*(wait(n, oid, created) for n, (oid, created) in enumerate(orders)))
    finally:
        await manager.stop_all()
        changes.poll_order_changes = listings
        changes.list_unfinished_orders = unfinished


async def _per_order(orders: list[tuple[str, float]], interval: float, record: Any) -> None:
    from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger

    async def wait(order_id: str, created: float) -> None:
        trigger = PlanetOrderTrigger(order_id=order_id, poll_interval=interval, last_seen=created)
        async for event in trigger.run():
            record(order_id, event.payload.get("status"))
            return

    await asyncio.gather(*(wait(oid, created) for oid, created in orders))


async def _sdk(orders: list[tuple[str, float]], interval: float, record: Any, url: str, key: str) -> None:
    from planet import Auth, Session
    from planet.clients.orders import OrdersClient

    async with Session(auth=Auth.from_key(key)) as session:
        client = OrdersClient(session, base_url=f"{url}/compute/ops")

        async def wait(order_id: str) -> None:
            try:
                state = await client.wait(order_id, delay=interval, max_attempts=0)
            except Exception as error:  # what a user's task would die of
                record(order_id, f"error: {type(error).__name__}")
            else:
                record(order_id, state)

        await asyncio.gather(*(wait(oid) for oid, _ in orders))


async def _monitor(done: asyncio.Event, lags: list[float], peak: list[float]) -> None:
    """Event-loop lag (how late a short sleep wakes) and, every tenth tick, the RSS."""
    ticks = 0
    while not done.is_set():
        started = time.perf_counter()
        await asyncio.sleep(LAG_TICK)
        lags.append(time.perf_counter() - started - LAG_TICK)
        ticks += 1
        if ticks % 10 == 0:
            peak[0] = max(peak[0], rss_mb())


def _monitor_cpu_rate(seconds: float = 2.0) -> float:
    """CPU seconds per second the monitor costs by itself, to take out of the waits' figure."""

    async def alone() -> None:
        done = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, done.set)
        await _monitor(done, [], [0.0])

    cpu = time.process_time()
    asyncio.run(alone())
    return (time.process_time() - cpu) / seconds


def worker(options: dict[str, Any]) -> None:
    """Print ``ready``, read the orders from stdin, wait for them all; write the figures as JSON."""
    isolate_airflow()
    set_planet_connection(options["url"], options["key"])
    quiet_logging()
    # Imports before the figures start.
    import airflow.triggers.shared_stream  # noqa: F401

    import airflow_provider_planet_orders.hooks.orders
    import airflow_provider_planet_orders.triggers.orders  # noqa: F401

    if options["mode"] == "sdk":
        import planet  # noqa: F401
    # The lag monitor costs about as much CPU as a thousand idle waits: steady-state runs, which
    # measure that CPU, go without it (their RSS is sampled at each poll instead).
    monitoring = not options["steady"]
    monitor_rate = _monitor_cpu_rate() if monitoring else 0.0
    print("ready", flush=True)
    orders = [tuple(o) for o in json.loads(sys.stdin.readline())["orders"]]
    interval, cap = options["interval"], options["cap"]
    events: dict[str, tuple[float, str]] = {}
    polls: list[list[float]] = []
    sweeps: list[list[float]] = []
    lags: list[float] = []
    rss_before = rss_mb()
    peak = [rss_before]

    def record(order_id: str, status: str) -> None:
        """An event: when it fired, and its status."""
        events[order_id] = (time.time(), status)

    async def main() -> float:
        done = asyncio.Event()
        watcher = asyncio.create_task(_monitor(done, lags, peak) if monitoring else done.wait())
        if options["mode"] == "shared":
            waits = _shared(orders, interval, record, polls, sweeps, options["safety"])
        elif options["mode"] == "per-order":
            waits = _per_order(orders, interval, record)
        else:
            waits = _sdk(orders, interval, record, options["url"], options["key"])
        started = time.time()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waits, cap)
        ended = time.time()
        done.set()
        await watcher
        return ended - started

    cpu = time.process_time()
    started = time.time()
    seconds = asyncio.run(main())
    cpu = time.process_time() - cpu
    peak[0] = max(peak[0], rss_mb(), *(p[4] for p in polls))
    # To a file: a pipe would block the worker on figures the driver reads only at its exit.
    Path(options["output"]).write_text(
        json.dumps(
            {
                "started": started,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "monitor_cpu_seconds": monitor_rate * seconds,
                "monitor_cpu_rate": monitor_rate,
                "rss_before_mb": rss_before,
                "rss_peak_mb": peak[0],
                "lags": lags,
                "events": events,
                "polls": polls,
                "sweeps": sweeps,
            }
        )
    )


def fanout_worker(pairs: list[tuple[int, int]], polls: int) -> None:
    """
    CPU per poll of handing one listing to the waits: N waiting triggers, M orders per poll.

    The listing is fed from memory (no HTTP), so the figure is what the triggerer spends per poll
    on waits whose order is not in the listing (the waits that only wait). Two ways, measured in
    the same process through Airflow's ``SharedStreamManager``:

    * ``routed``: the provider's trigger; the shared poll hands each listed order to the waits of
      that order only (none here);
    * ``broadcast`` (the baseline): every listing goes through the shared stream to every wait,
      which looks its order up in the listing's index (what the provider did before routing).
    """
    isolate_airflow()
    set_planet_connection("http://127.0.0.1:9", extra={"rate_limit": False})
    quiet_logging()
    import uuid

    from airflow.triggers.shared_stream import SharedStreamManager

    from airflow_provider_planet_orders.triggers.orders import PlanetOrderTrigger
    from airflow_provider_planet_orders.triggers.shared_poll import SKEW_MARGIN

    feeds: dict[str, asyncio.Queue[dict[str, Any]]] = {}

    async def fed() -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await feeds["queue"].get()

    class RoutedTrigger(PlanetOrderTrigger):
        """The provider's trigger, its shared poll fed from memory instead of the API."""

        @classmethod
        def _order_changes(cls, kwargs: dict[str, Any], hook: Any) -> AsyncIterator[dict[str, Any]]:
            return fed()

    class BroadcastTrigger(PlanetOrderTrigger):
        """The baseline: each listing broadcast to every wait, which picks its own order out."""

        @classmethod
        async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
            async for raw in fed():
                yield raw

        async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
            async for raw in shared_stream:
                mine = raw["by_id"].get(self.order_id)
                event = None if mine is None else self._seen(mine)
                if event is not None:
                    yield event
                    return

    def listed(count: int) -> list[dict[str, Any]]:
        return [
            {"id": str(uuid.uuid4()), "state": "running", "last_modified": "2026-01-01T00:00:00.000Z"}
            for _ in range(count)
        ]

    async def measure(kind: type[PlanetOrderTrigger], waits: int, orders: int) -> float:
        manager = SharedStreamManager(max_subscriber_queue=polls + 10)
        feed = feeds["queue"] = asyncio.Queue()
        now = time.time()

        async def wait(number: int) -> None:
            # No safety checks: the figure is the hand-off's alone.
            trigger = kind(
                order_id=str(uuid.uuid4()), poll_interval=30, last_seen=now, safety_poll_interval=1e9
            )
            key = trigger.shared_stream_key()
            stream = manager.subscribe(trigger_id=number, trigger=trigger, key=key)
            try:
                async for _ in trigger.filter_shared_stream(stream):
                    return
            finally:
                await manager.unsubscribe(number, key)

        tasks = [asyncio.create_task(wait(n)) for n in range(waits)]
        orders_listed = listed(orders)

        def raw() -> dict[str, Any]:
            # As poll_order_changes yields it: the listing indexed by id once per poll (counted).
            return {
                "kind": "changes",
                "window_start": now - 150,
                "covers_since": now - 150 + SKEW_MARGIN,
                "polled_at": now,
                "orders": orders_listed,
                "by_id": {order["id"]: order for order in orders_listed},
            }

        await feed.put(raw())  # the first poll: every wait is found covered by the listing
        await asyncio.sleep(0.5)
        cpu = time.process_time()
        for _ in range(polls):
            await feed.put(raw())
            await asyncio.sleep(0.05)
        cpu = time.process_time() - cpu
        if any(task.done() for task in tasks):
            raise RuntimeError("a wait ended early: the figure would not be the hand-off's")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await manager.stop_all()
        return cpu / polls

    figures = [
        [name, n, m, asyncio.run(measure(kind, n, m)) * 1000]
        for n, m in pairs
        for name, kind in (("routed", RoutedTrigger), ("broadcast", BroadcastTrigger))
    ]
    print(json.dumps(figures))


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run_once(
    emu: Any,
    mode: str,
    count: int,
    interval: float,
    cap: float,
    *,
    safety: float = SAFETY_POLL_INTERVAL,
    churn_every: float | None = None,
) -> dict[str, Any]:
    """
    One mode at one N: create the orders, let the worker wait for them, gather the figures.

    With ``churn_every`` (steady state), the N orders waited for run longer than the run, and one
    other order of the key is created every ``churn_every`` seconds: the key changes at the same
    pace whatever N, as when a thousand hour-long orders wait and a few change in each interval.
    """
    emu.reset()
    output = Path(tempfile.mkdtemp(prefix="bench-waiting-")) / "figures.json"
    options = {
        "mode": mode,
        "url": emu.url,
        "key": emu.key,
        "interval": interval,
        "cap": cap,
        "safety": safety,
        "steady": churn_every is not None,
        "output": str(output),
    }
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"the {mode} worker did not start")
    if churn_every is not None:
        initial = emu.call("GET", "/_emulator/config", auth=False)
        # Running at once, and until long after the run: their one change is their creation.
        emu.configure(queued_seconds=0.0, running_seconds=100 * cap)
        orders = emu.create_orders(count, prefix=f"steady-{mode}")
        emu.configure(queued_seconds=initial["queued_seconds"], running_seconds=initial["running_seconds"])
    else:
        orders = emu.create_orders(count, prefix=f"wait-{mode}")
    emu.configure(rate_limits=True)
    process.stdin.write(json.dumps({"orders": orders}) + "\n")
    process.stdin.flush()
    stop = threading.Event()
    churned: list[int] = []
    if churn_every is not None:

        def churn() -> None:
            while not stop.wait(churn_every):
                emu.create_orders(1, prefix=f"churn-{len(churned):04d}", threads=1)
                churned.append(1)

        threading.Thread(target=churn, daemon=True).start()
    samples = [(time.time(), emu.stats()["requests"])]
    while process.poll() is None:
        time.sleep(1.0)
        samples.append((time.time(), emu.stats()["requests"]))
    stop.set()
    if process.returncode != 0:
        raise RuntimeError(f"the {mode} worker failed with status {process.returncode}")
    report = json.loads(output.read_text())
    shutil.rmtree(output.parent, ignore_errors=True)
    emu.configure(rate_limits=False)
    finished = {
        o["id"]: _epoch(o["last_modified"])
        for o in emu.all_orders()
        if o["state"] in ("success", "partial", "failed", "cancelled")
    }
    figures = _figures(mode, count, interval, cap, orders, report, samples, finished)
    figures["steady"] = churn_every is not None
    figures["churned"] = len(churned)
    figures["safety"] = safety
    return figures


def _count(requests: dict[str, dict[str, int]], endpoint: str, status: str | None = None) -> int:
    statuses = requests.get(endpoint, {})
    return sum(statuses.values()) if status is None else statuses.get(status, 0)


def _figures(
    mode: str,
    count: int,
    interval: float,
    cap: float,
    orders: list[tuple[str, float]],
    report: dict[str, Any],
    samples: list[tuple[float, dict[str, Any]]],
    finished: dict[str, float],
) -> dict[str, Any]:
    first, last = samples[0][1], samples[-1][1]
    requests = {e: _count(last, e) - _count(first, e) for e in ("get", "list")}
    throttled = sum(_count(last, e, "429") - _count(first, e, "429") for e in ("get", "list"))
    peaks = {}
    for endpoint in ("get", "list"):
        rates = [
            (_count(b, endpoint) - _count(a, endpoint)) / (tb - ta)
            for (ta, a), (tb, b) in itertools.pairwise(samples)
            if tb > ta
        ]
        peaks[endpoint] = max(rates, default=0.0)
    seconds = report["seconds"]
    end = report["started"] + seconds
    latencies: list[float] = []
    censored: list[float] = []
    statuses: dict[str, int] = {}
    to_poll: list[float] = []  # from the terminal state to the start of the poll that showed it
    polls = report["polls"]  # [started, orders listed, routed, CPU seconds so far]
    routed = [p[2] for p in polls]
    for order_id, _ in orders:
        done = finished.get(order_id)
        event = report["events"].get(order_id)
        if event is not None:
            statuses[event[1]] = statuses.get(event[1], 0) + 1
        if done is None or done > end:
            continue  # still running when the run ended: no latency to speak of
        if event is not None and not str(event[1]).startswith("error"):
            latencies.append(max(0.0, event[0] - done))
            behind = bisect.bisect_right(routed, event[0]) - 1  # the last poll routed before it
            if behind >= 0:
                to_poll.append(polls[behind][0] - done)
        else:
            censored.append(end - done)  # waited at least this long, and never saw it
    lags = report["lags"]
    intervals = seconds / interval
    listed = [int(p[1]) for p in polls]
    # From the start of a poll to its orders reaching the waits: the listing's pages.
    listing_seconds = [p[2] - p[0] for p in polls]
    # Steady CPU per interval: from one poll to the next, less what the lag monitor costs by itself;
    # from the first poll whose window no longer holds the creation of the orders waited for.
    settled = max((created for _, created in orders), default=0.0) + LAG_MARGIN + 2 * interval
    measured = [p for p in polls if p[0] >= settled]
    steady = [
        (b[3] - a[3] - report["monitor_cpu_rate"] * (b[2] - a[2])) / (b[2] - a[2]) * interval
        for a, b in itertools.pairwise(measured)
        if b[2] > a[2]
    ]
    # The intervals in which a sweep started, apart from the others: what grows with N is there.
    swept = [
        any(a[2] <= sweep[0] < b[2] for sweep in report["sweeps"])
        for a, b in itertools.pairwise(measured)
        if b[2] > a[2]
    ]
    base = [cpu for cpu, sweep in zip(steady, swept, strict=True) if not sweep]
    with_sweep = [cpu for cpu, sweep in zip(steady, swept, strict=True) if sweep]
    total = requests["get"] + requests["list"]
    return {
        "mode": mode,
        "n": count,
        "seconds": seconds,
        "cap": cap,
        "events": sum(statuses.values()),
        "statuses": statuses,
        "finished_in_run": len(latencies) + len(censored),
        "requests": requests,
        "throttled": throttled,
        "rate": total / seconds,
        "peak_rate": peaks,
        "per_interval": total / intervals,
        "polls": len(listed),
        "per_poll": requests["list"] / len(listed) if listed else math.nan,
        "listed_per_poll": sum(listed) / len(listed) if listed else math.nan,
        "listed_max": max(listed, default=0),
        "listing_seconds": sum(listing_seconds) / len(listing_seconds) if listing_seconds else math.nan,
        "listing_seconds_max": max(listing_seconds, default=math.nan),
        "poll_gap": _mean_gap(sorted(float(p[0]) for p in polls)),
        "steady_cpu_ms": sum(steady) / len(steady) * 1000 if steady else math.nan,
        "steady_cpu_max_ms": max(steady, default=math.nan) * 1000,
        "steady_intervals": len(steady),
        "steady_base_ms": sum(base) / len(base) * 1000 if base else math.nan,
        "steady_sweep_ms": sum(with_sweep) / len(with_sweep) * 1000 if with_sweep else math.nan,
        "steady_listed": sum(p[1] for p in measured) / len(measured) if measured else math.nan,
        "sweeps": report["sweeps"],
        "to_poll_p95": percentile(to_poll, 0.95),
        "to_poll_max": max(to_poll, default=math.nan),
        "latency": _latency(latencies, censored),
        "cpu_seconds": report["cpu_seconds"] - report["monitor_cpu_seconds"],
        "cpu_raw_seconds": report["cpu_seconds"],
        "cpu_per_interval_ms": (report["cpu_seconds"] - report["monitor_cpu_seconds"]) / intervals * 1000,
        "rss_per_trigger_kb": (report["rss_peak_mb"] - report["rss_before_mb"]) * 1024 / count,
        "rss_peak_mb": report["rss_peak_mb"],
        "lag_p99_ms": percentile(lags, 0.99) * 1000,
        "lag_max_ms": max(lags, default=math.nan) * 1000,
    }


def _mean_gap(starts: list[float]) -> float:
    """Mean seconds from one poll's start to the next's."""
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    return sum(gaps) / len(gaps) if gaps else math.nan


def _latency(latencies: list[float], censored: list[float]) -> dict[str, Any]:
    """p50, p95 and max; where a percentile falls among waits that never fired, a lower bound."""
    everything = sorted(latencies) + [math.inf] * len(censored)
    floor = min(censored, default=math.nan)
    figures: dict[str, Any] = {"seen": len(latencies), "missed": len(censored)}
    for name, fraction in (("p50", 0.5), ("p95", 0.95), ("max", 1.0)):
        value = percentile(everything, fraction) if everything else math.nan
        figures[name] = value if math.isfinite(value) or math.isnan(value) else None
        figures[name + "_floor"] = floor if value == math.inf else None
    return figures


def _ratio(value: float | None, baseline: float | None) -> str:
    if value is None or baseline is None or not baseline or math.isnan(value) or math.isnan(baseline):
        return "-"
    return f"{value / baseline:.2f}x"


def _show(latency: dict[str, Any], name: str) -> str:
    if latency.get(name + "_floor") is not None:
        return f"> {latency[name + '_floor']:.0f}"
    return fmt(latency.get(name), 1)


def main() -> None:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=5.0, help="poll interval, seconds")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="values of N")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--queued-seconds", type=float, default=4.0)
    parser.add_argument("--running-seconds", type=float, default=12.0)
    parser.add_argument("--jitter", type=float, default=0.75, help="spread of both durations")
    parser.add_argument("--cap", type=float, default=65.0, help="longest run, seconds")
    parser.add_argument(
        "--cap-saturated",
        type=float,
        default=45.0,
        help="longest run of a per-order mode that the rate limit cannot keep up with, seconds",
    )
    parser.add_argument(
        "--steady-seconds", type=float, default=330.0, help="length of each steady-state run, seconds"
    )
    parser.add_argument(
        "--steady-safety",
        type=float,
        help="safety-check interval of the steady-state runs, seconds (default: as many poll "
        "intervals as 1,800 s are 30 s intervals)",
    )
    parser.add_argument(
        "--churn-every", type=float, default=4.0, help="steady state: one other order created every ... s"
    )
    parser.add_argument("--worker", help=argparse_hidden())
    parser.add_argument("--fanout", help=argparse_hidden())
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    if args.fanout:
        options = json.loads(args.fanout)
        fanout_worker([tuple(p) for p in options["pairs"]], options["polls"])
        return
    if args.steady_safety is None:
        args.steady_safety = SAFETY_POLL_INTERVAL / REAL_INTERVAL * args.interval
    if args.quick:
        args.sizes, args.cap, args.cap_saturated = [20, 100], 40.0, 30.0
        args.queued_seconds, args.running_seconds = 2.0, 6.0
        args.steady_seconds, args.steady_safety = 75.0, 50.0
    if "sdk" in args.modes and not installed("planet"):
        args.modes.remove("sdk")
    result = Result("waiting", "Waiting at scale")
    interval = args.interval
    latest = (args.queued_seconds + args.running_seconds) * (1 + args.jitter)
    runs: list[dict[str, Any]] = []
    with emulator(
        "--no-rate-limits",
        f"--queued-seconds={args.queued_seconds}",
        f"--running-seconds={args.running_seconds}",
        f"--duration-jitter={args.jitter}",
        "--seed=8",
    ) as emu:
        for count in args.sizes:
            for mode in args.modes:
                saturated = mode != "shared" and count / LIMIT > 2 * interval + latest
                cap = args.cap_saturated if saturated else args.cap
                print(f"{mode} x {count} (at most {cap:.0f} s)...", flush=True)
                figures = run_once(emu, mode, count, interval, cap)
                runs.append(figures)
                print(
                    f"  {figures['events']}/{count} events in {figures['seconds']:.1f} s, "
                    f"{figures['rate']:.2f} requests/s, {figures['throttled']} 429s, "
                    f"p95 {_show(figures['latency'], 'p95')} s, CPU {figures['cpu_seconds']:.2f} s",
                    flush=True,
                )
        if "shared" in args.modes:
            for count in args.sizes:
                print(f"shared x {count}, steady state ({args.steady_seconds:.0f} s)...", flush=True)
                figures = run_once(
                    emu,
                    "shared",
                    count,
                    interval,
                    args.steady_seconds,
                    safety=args.steady_safety,
                    churn_every=args.churn_every,
                )
                runs.append(figures)
                print(
                    f"  {figures['steady_cpu_ms']:.1f} ms CPU per interval, "
                    f"{figures['rate']:.2f} requests/s, "
                    f"{figures['listed_per_poll']:.0f} orders listed per poll, {figures['throttled']} 429s",
                    flush=True,
                )
    sizes = sorted(set(args.sizes))
    pairs = [(n, m) for m in sorted({min(sizes), max(sizes)}) for n in sizes]
    print("fan-out of one poll, fed from memory...", flush=True)
    out = subprocess.run(
        [sys.executable, __file__, "--fanout", json.dumps({"pairs": pairs, "polls": 20})],
        capture_output=True,
        text=True,
        check=True,
    )
    fanout = [tuple(row) for row in json.loads(out.stdout.strip().splitlines()[-1])]
    _report(result, runs, fanout, args, interval, latest)
    result.emit(args.json)


def _report(
    result: Result,
    runs: list[dict[str, Any]],
    fanout: list[tuple[Any, ...]],
    args: Any,
    interval: float,
    latest: float,
) -> None:
    bursts = [r for r in runs if not r["steady"]]
    steadies = [r for r in runs if r["steady"] and r["mode"] == "shared"]
    _burst_tables(result, bursts, interval)
    _steady_table(result, steadies, args, interval)
    cost = {(str(kind), int(n), int(m)): float(value) for kind, n, m, value in fanout}
    listed = sorted({m for _, _, m in cost})
    waits = sorted({n for _, n, _ in cost})
    result.table(
        "Handing one listing to N waits none of whose orders is in it: CPU ms per poll (fed from "
        "memory, no HTTP; routed = the provider, broadcast = every listing through the shared stream "
        "to every wait, the baseline)",
        ["N waits", *(f"M = {m:,} orders listed: routed / broadcast" for m in listed)],
        [
            [
                f"{n:,}",
                *(
                    f"{fmt(cost[('routed', n, m)], 2)} / {fmt(cost[('broadcast', n, m)], 2)} "
                    f"({_ratio(cost[('routed', n, m)], cost[('broadcast', n, m)])})"
                    for m in listed
                ),
            ]
            for n in waits
        ],
    )
    by = {(r["mode"], r["n"]): r for r in bursts}
    sizes = sorted({r["n"] for r in bursts})
    big, small = sizes[-1], sizes[0]
    shared_big = by.get(("shared", big))
    steady = {r["n"]: r for r in steadies}
    steady_big, steady_small = steady.get(big), steady.get(small)
    if shared_big:
        per_poll = shared_big["per_poll"]
        listing = per_poll / REAL_INTERVAL
        swept = [s for r in steadies for s in r["sweeps"]]
        pages = max((math.ceil(s[2] / 100) for s in swept), default=math.ceil(big / 100))
        safety = pages / SAFETY_POLL_INTERVAL
        result.target(
            f"{big:,} concurrent waits at a {REAL_INTERVAL:.0f} s interval: at most 1 request per "
            "second on average",
            f"{per_poll:.1f} list requests per poll measured (every order in every poll's window: "
            f"the worst case) = {listing:.2f}/s at one poll per {REAL_INTERVAL:.0f} s, plus the safety "
            f"checks: one sweep of the key's unfinished orders per {SAFETY_POLL_INTERVAL:.0f} s, "
            f"{pages} pages with {big:,} waits = {safety:.3f}/s; {listing + safety:.2f}/s in all",
            listing + safety <= 1.0,
        )
        result.target(
            "zero 429s (never over the per-key limit), shared mode",
            ", ".join(
                f"N={r['n']:,}{' steady' if r['steady'] else ''}: {r['throttled']}"
                for r in runs
                if r["mode"] == "shared"
            ),
            all(r["throttled"] == 0 for r in runs if r["mode"] == "shared"),
        )
        p95 = shared_big["latency"]["p95"]
        result.target(
            "p95 from terminal state to event within one poll interval plus 5 s",
            f"N={big:,}: {_show(shared_big['latency'], 'p95')} s at a {interval:g} s interval "
            f"(bound {interval + 5:g} s); polls started every {shared_big['poll_gap']:.1f} s and took "
            f"{shared_big['listing_seconds']:.1f} s (at most {shared_big['listing_seconds_max']:.1f} s) "
            "to reach the waits",
            p95 is not None and not math.isnan(p95) and p95 <= interval + 5,
        )
    if steady_big and steady_small and big > small:
        growth = steady_big["steady_cpu_ms"] / steady_small["steady_cpu_ms"]
        result.target(
            f"triggerer CPU per poll interval flat as N grows from {small:,} to {big:,} (read here as: "
            f"grows at most 1.25x while N grows {big // small}x)",
            f"steady state (the key changing at the same pace whatever N, a sweep included): "
            f"{steady_small['steady_cpu_ms']:.1f} ms -> {steady_big['steady_cpu_ms']:.1f} ms per "
            f"interval ({growth:.2f}x)",
            growth <= 1.25,
        )
    if steady_big and steady_small and big > small:
        result.note(
            f"Where the steady-state growth is: the intervals without a sweep cost "
            f"{steady_small['steady_base_ms']:.2f} ms at N={small:,} and "
            f"{steady_big['steady_base_ms']:.2f} ms at N={big:,} "
            f"({_ratio(steady_big['steady_base_ms'], steady_small['steady_base_ms'])}; each is one "
            f"listing of the orders that changed, routed to their waits); the interval with the sweep "
            f"costs {steady_small['steady_sweep_ms']:.1f} ms and "
            f"{steady_big['steady_sweep_ms']:.1f} ms: the sweep lists every unfinished order of the key, "
            "so its cost follows N, once per safety interval (every 30 minutes at the real settings)."
        )
    if shared_big and by.get(("shared", small)):
        shared_small = by[("shared", small)]
        result.note(
            f"When every order changes in every window (the burst runs: all {big:,} orders queued, "
            f"running and finished within a minute), CPU per interval grows with the changes, not with "
            f"the waits: {shared_small['cpu_per_interval_ms']:.0f} ms -> "
            f"{shared_big['cpu_per_interval_ms']:.0f} ms per interval from N={small:,} to N={big:,}, for "
            f"{shared_small['listed_per_poll']:.0f} -> {shared_big['listed_per_poll']:.0f} orders listed "
            "per poll (one JSON page per 100, each changed order handed to its wait, each event fired). "
            "That work is the listing's; a wait whose order did not change costs nothing per poll (the "
            "table above)."
        )
        result.note(
            "Latency in shared mode is the wait for the next poll (up to one interval) plus the whole "
            "listing: a poll hands its orders to the waits only once every page is in, and at 3 "
            "requests per second a listing of P pages takes P/3 s whatever the interval. Past 15 "
            "pages (1,500 orders changed within one window: since the previous listing's newest "
            "change, minus 30 s) the listing alone exceeds the 5 s allowance, at any interval."
        )
        if shared_big["to_poll_max"] > shared_big["poll_gap"] + 0.5:
            result.note(
                f"Some orders were shown only by the second poll after they finished: from a terminal "
                f"state to the poll that showed it took up to {shared_big['to_poll_max']:.1f} s, with polls "
                f"{shared_big['poll_gap']:.1f} s apart (up to {shared_big['listed_max']:,} orders listed "
                f"in one poll of {big:,}): an order that finishes while a listing's pages are read "
                "may be on a page already read, and shows in the next poll."
            )
    per_order = by.get(("per-order", big))
    if per_order:
        result.note(
            f"Per-order polling at N={big:,}: Planet's 3 gets per second make one round of {big:,} "
            f"polls take {big / LIMIT:.0f} s whatever the poll interval, so an order is seen "
            f"up to {big / LIMIT:.0f} s after it finished; the run stopped after "
            f"{per_order['seconds']:.0f} s with {per_order['latency']['missed']:,} finished orders not yet "
            "seen. The provider's pacing keeps it at 3 requests per second with no 429s."
        )
    sdk = by.get(("sdk", big))
    if sdk:
        result.note(
            f"Planet's SDK at N={big:,}: its own pacing is 10 requests per second, so the emulator "
            f"(like Planet) answered {sdk['throttled']:,} requests with 429; "
            + ", ".join(f"{n:,} waits {s}" for s, n in sorted(sdk["statuses"].items()))
            + f". It used {sdk['cpu_seconds']:.1f} s of CPU in {sdk['seconds']:.0f} s: its limiter "
            "wakes every request waiting for a slot every 10 ms."
        )
    for run in runs:
        for status, number in sorted(run["statuses"].items()):
            if status.startswith("error"):
                result.note(f"{run['mode']} x {run['n']:,}: {number:,} waits ended with {status}.")
    scale = REAL_INTERVAL / interval
    result.setup = [
        f"Emulator in its own process, Planet's limits on (3 get/s and 3 list/s per key, token "
        f"bucket); orders queued {args.queued_seconds:g} s and running {args.running_seconds:g} s, "
        f"each spread +/-{args.jitter:.0%} (seeded), so they finish between "
        f"{(args.queued_seconds + args.running_seconds) * (1 - args.jitter):.0f} and {latest:.0f} s "
        "after creation.",
        f"Burst runs, for each mode and N: N orders are created (rate limits off while seeding), then "
        f"the waits start in a worker process: one event loop, poll interval {interval:g} s, the "
        "provider's default client-side pacing on. A run ends when every wait fired or at its time cap "
        f"({args.cap:g} s; {args.cap_saturated:g} s for per-order modes that cannot keep up).",
        f"Steady-state runs (shared mode): the N orders waited for run longer than the run "
        f"({args.steady_seconds:g} s), and one other order of the key is created every "
        f"{args.churn_every:g} s (queued, running, finished within the run): the key changes at the "
        "same pace whatever N. CPU per interval: the worker's CPU from one poll to the next, from the "
        "first poll whose window (the previous listing's newest change minus 30 s) no longer holds "
        f"the creation of the orders waited for. Safety checks every {args.steady_safety:g} s: as "
        f"many poll intervals ({args.steady_safety / interval:.0f}) as the real "
        f"{SAFETY_POLL_INTERVAL:.0f} s are {REAL_INTERVAL:.0f} s intervals, so that each run holds one "
        "sweep, in the real proportion.",
        f"Why {interval:g} s and not {REAL_INTERVAL:.0f} s: {REAL_INTERVAL:.0f} s over enough intervals "
        f"would take an hour per run. What transfers is requests per poll interval: a shared poll "
        f"lists the orders changed since the previous poll minus a 120 s clock-skew margin, one "
        f"request per 100 of them, at most N/100 requests, whatever the interval. In the burst runs "
        f"every order changes within one margin, so every poll lists all of them (the worst case); at "
        f"{REAL_INTERVAL:.0f} s the same requests are spread over {scale:.0f}x longer.",
        "Latency: from the order's terminal `last_modified` (the emulator's clock, the same host "
        "clock) to the event in the worker. CPU: the worker's user+system time; RSS per wait: (peak "
        "RSS during the run - RSS before the waits) / N; loop lag: how late a 50 ms sleep wakes. "
        "Request counts and per-second peaks: the emulator's counters, sampled each second by the "
        "driver.",
        "CPU excludes the measuring itself: the lag monitor's own cost, measured alone for 2 s before "
        "each run, is taken out.",
    ]
    result.figures = {"runs": runs, "interval": interval, "fanout": fanout}


def _burst_tables(result: Result, runs: list[dict[str, Any]], interval: float) -> None:
    """The burst runs: every mode at each N, and shared mode against both baselines."""
    rows = []
    for run in runs:
        lat = run["latency"]
        rows.append(
            [
                run["mode"],
                f"{run['n']:,}",
                f"{run['events']:,} in {run['seconds']:.0f} s",
                f"{run['requests']['get']:,} / {run['requests']['list']:,}",
                f"{run['throttled']:,}",
                fmt(run["rate"], 2),
                f"{run['peak_rate']['get']:.0f} / {run['peak_rate']['list']:.0f}",
                fmt(run["per_interval"], 1),
                f"{_show(lat, 'p50')} / {_show(lat, 'p95')} / {_show(lat, 'max')}",
                fmt(run["cpu_seconds"], 2),
                fmt(run["cpu_per_interval_ms"], 0),
                fmt(run["rss_per_trigger_kb"], 1),
                fmt(run["lag_p99_ms"], 1),
            ]
        )
    result.table(
        f"Burst: N concurrent waits for orders that all finish within a minute, poll interval "
        f"{interval:g} s, Planet's limits (3 get/s, 3 list/s)",
        [
            "Mode",
            "N",
            "Events",
            "Requests get / list",
            "429s",
            "Requests/s",
            "Peak/s get / list",
            "Requests per interval",
            "Terminal to event s: p50 / p95 / max",
            "CPU s",
            "CPU ms per interval",
            "RSS KB per wait",
            "Loop lag p99 ms",
        ],
        rows,
    )
    by = {(r["mode"], r["n"]): r for r in runs}
    ratio_rows = []
    for count in sorted({r["n"] for r in runs}):
        shared = by.get(("shared", count))
        for mode in ("per-order", "sdk"):
            other = by.get((mode, count))
            if not shared or not other:
                continue
            ratio_rows.append(
                [
                    f"{count:,}",
                    mode,
                    _ratio(shared["rate"], other["rate"]),
                    _ratio(shared["latency"].get("p95"), other["latency"].get("p95"))
                    if other["latency"].get("p95_floor") is None
                    else f"< {shared['latency']['p95'] / other['latency']['p95_floor']:.2f}x",
                    _ratio(shared["cpu_seconds"], other["cpu_seconds"]),
                    f"{shared['throttled']:,} vs {other['throttled']:,}",
                ]
            )
    if ratio_rows:
        result.table(
            "Burst: shared mode as a multiple of each baseline (below 1x: shared is lower)",
            ["N", "Baseline", "Requests/s", "p95 latency", "CPU s", "429s shared vs baseline"],
            ratio_rows,
        )
    poll_rows = [
        [
            f"{r['n']:,}",
            f"{r['polls']:,}",
            fmt(r["per_poll"], 1),
            fmt(r["listed_per_poll"], 0),
            f"{r['listed_max']:,}",
            fmt(r["poll_gap"], 1),
            f"{fmt(r['listing_seconds'], 1)} / {fmt(r['listing_seconds_max'], 1)}",
            f"{fmt(r['to_poll_p95'], 1)} / {fmt(r['to_poll_max'], 1)}",
        ]
        for r in runs
        if r["mode"] == "shared"
    ]
    if poll_rows:
        result.table(
            "Burst, shared mode: the polls",
            [
                "N",
                "Polls",
                "List requests per poll",
                "Orders listed per poll",
                "Most in one poll",
                "Seconds from poll to poll",
                "Seconds from a poll's start to its orders at the waits: mean / max",
                "Seconds from a terminal state to the start of the poll that shows it: p95 / max",
            ],
            poll_rows,
        )


def _steady_table(result: Result, runs: list[dict[str, Any]], args: Any, interval: float) -> None:
    """The steady-state runs: CPU per interval while N waits wait and the key changes slowly."""
    if not runs:
        return
    baseline = min(runs, key=lambda r: r["n"])
    rows = []
    for run in runs:
        sweeps = run["sweeps"]
        rows.append(
            [
                f"{run['n']:,}",
                f"{run['steady_intervals']:,}",
                fmt(run["steady_listed"], 0),
                f"{run['requests']['get']:,} / {run['requests']['list']:,}",
                f"{len(sweeps)} ({', '.join(f'{s[2]:,} orders in {s[1] - s[0]:.1f} s' for s in sweeps)})"
                if sweeps
                else "0",
                f"{run['throttled']:,}",
                fmt(run["steady_cpu_ms"], 2),
                fmt(run["steady_cpu_max_ms"], 1),
                _ratio(run["steady_cpu_ms"], baseline["steady_cpu_ms"]),
                fmt(run["rss_per_trigger_kb"], 1),
            ]
        )
    result.table(
        f"Steady state, shared mode: N waits for orders still running, one other order created every "
        f"{args.churn_every:g} s, poll interval {interval:g} s, safety checks every {args.steady_safety:g} s",
        [
            "N",
            "Intervals measured",
            "Orders listed per poll",
            "Requests get / list",
            "Sweeps",
            "429s",
            "CPU ms per interval (mean)",
            "CPU ms, worst interval",
            f"CPU per interval vs N={baseline['n']:,}",
            "RSS KB per wait",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
