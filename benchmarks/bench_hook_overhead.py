"""
Hook call overhead: ``get_order`` through the hooks against the bare HTTP client underneath.

Every operator, sensor poke and trigger poll goes through a hook; what the hook adds on top of
``requests`` (building the request, retry policy, pacing, error mapping, JSON checks) is paid on
each call. Both sides call the emulator (its own process, rate limits off) for the same order
over a keep-alive connection and decode the JSON; the hook's client-side pacing is switched off
too, so that only the code is compared. Calls run in interleaved blocks; medians are compared.

    .venv/bin/python benchmarks/bench_hook_overhead.py [--calls 300] [--blocks 12]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from benchlib import (
    Result,
    arguments,
    emulator,
    fmt,
    isolate_airflow,
    median,
    quiet_logging,
    set_planet_connection,
)

TARGET_RATIO = 1.2


def _cpu() -> float:
    return time.process_time()


def _blocks(
    calls: dict[str, Callable[[], object]], per_block: int, blocks: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds per call, one figure per block, for each callable."""
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in calls}
    for _ in range(blocks):
        for name, call in calls.items():
            wall, cpu = time.perf_counter(), _cpu()
            for _ in range(per_block):
                call()
            results[name][0].append((time.perf_counter() - wall) / per_block)
            results[name][1].append((_cpu() - cpu) / per_block)
    return results


async def _async_blocks(
    calls: dict[str, Callable[[], Awaitable[object]]], per_block: int, blocks: int
) -> dict[str, tuple[list[float], list[float]]]:
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in calls}
    for _ in range(blocks):
        for name, call in calls.items():
            wall, cpu = time.perf_counter(), _cpu()
            for _ in range(per_block):
                await call()
            results[name][0].append((time.perf_counter() - wall) / per_block)
            results[name][1].append((_cpu() - cpu) / per_block)
    return results


def main() -> None:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per block")
    parser.add_argument("--blocks", type=int, default=12, help="blocks per client")
    args = parser.parse_args()
    per_block, blocks = (100, 4) if args.quick else (args.calls, args.blocks)
    isolate_airflow()
    result = Result("hook", "Hook call overhead")

    with emulator("--no-rate-limits", "--queued-seconds=0", "--running-seconds=0") as emu:
        order_id, _ = emu.create_orders(1, items=2)[0]
        time.sleep(0.1)
        set_planet_connection(emu.url, extra={"rate_limit": False})
        quiet_logging()

        import httpx
        import requests

        from airflow_provider_planet_orders.hooks.orders import PlanetOrdersAsyncHook, PlanetOrdersHook

        url = f"{emu.url}/compute/ops/orders/v2/{order_id}"
        hook = PlanetOrdersHook()
        session = requests.Session()
        session.auth = requests.auth.HTTPBasicAuth(emu.key, "")

        def bare() -> object:
            response = session.get(url, timeout=(10, 60))
            response.raise_for_status()
            return response.json()

        def through_hook() -> object:
            return hook.get_order(order_id)

        assert through_hook()["id"] == bare()["id"] == order_id  # type: ignore[index]
        sync_calls = {"requests.Session": bare, "PlanetOrdersHook": through_hook}
        _blocks(sync_calls, per_block, 1)  # warm-up
        before = emu.stats()
        sync = _blocks(sync_calls, per_block, blocks)
        after = emu.stats()

        async def run_async() -> dict[str, tuple[list[float], list[float]]]:
            async_hook = PlanetOrdersAsyncHook()
            client = httpx.AsyncClient(auth=httpx.BasicAuth(emu.key, ""), timeout=60)

            async def bare_async() -> object:
                response = await client.get(url)
                response.raise_for_status()
                return response.json()

            async def hook_async() -> object:
                return await async_hook.get_order(order_id)

            calls = {"httpx.AsyncClient": bare_async, "PlanetOrdersAsyncHook": hook_async}
            try:
                await _async_blocks(calls, per_block, 1)
                return await _async_blocks(calls, per_block, blocks)
            finally:
                await async_hook.aclose()
                await client.aclose()

        asynchronous = asyncio.run(run_async())

    errors = {
        status: count
        for endpoint, statuses in after["requests"].items()
        for status, count in statuses.items()
        if status != "200" and count - before["requests"].get(endpoint, {}).get(status, 0)
    }
    rows = []
    figures = {}
    for results, bare_name, hook_name in (
        (sync, "requests.Session", "PlanetOrdersHook"),
        (asynchronous, "httpx.AsyncClient", "PlanetOrdersAsyncHook"),
    ):
        bare_wall, bare_cpu = (median(v) * 1e6 for v in results[bare_name])
        hook_wall, hook_cpu = (median(v) * 1e6 for v in results[hook_name])
        figures[hook_name] = {"wall_us": hook_wall, "bare_wall_us": bare_wall, "ratio": hook_wall / bare_wall}
        rows.append(
            [
                f"`{hook_name}.get_order` vs `{bare_name}`",
                fmt(hook_wall, 0),
                fmt(bare_wall, 0),
                f"{hook_wall / bare_wall:.2f}x",
                fmt(hook_wall - bare_wall, 0),
                fmt(hook_cpu, 0),
                fmt(bare_cpu, 0),
            ]
        )
    result.table(
        f"One get_order call, median of {blocks} blocks of {per_block} calls (microseconds)",
        [
            "Call",
            "Hook, wall",
            "Bare client, wall",
            "Ratio",
            "Added per call",
            "Hook, client CPU",
            "Bare client, client CPU",
        ],
        rows,
    )
    ratio = figures["PlanetOrdersHook"]["ratio"]
    result.target(
        f"`get_order` through the hook at most {TARGET_RATIO}x a bare `requests.Session`",
        f"{ratio:.2f}x ({figures['PlanetOrdersHook']['wall_us']:.0f} vs "
        f"{figures['PlanetOrdersHook']['bare_wall_us']:.0f} us per call)",
        ratio <= TARGET_RATIO,
    )
    result.setup = [
        "The emulator in its own process on loopback, rate limits off; one finished order with two "
        "files (its JSON carries signed download links, as Planet's does).",
        "Client: one process; the hook's connection has `rate_limit: false` so that no pacing "
        "sleep is measured; the bare client sends the same Basic auth, checks the status and decodes "
        "the JSON, over a keep-alive connection like the hook's session.",
        f"{blocks} blocks of {per_block} calls per client, interleaved, after one warm-up block; the "
        "median block gives the per-call figure. Client CPU is this process's user+system time.",
    ]
    if errors:
        result.note(f"The emulator answered non-200 statuses during the run: {errors}")
    result.note(
        "The async pair (what a trigger's poll costs) is shown for information; the target is set "
        "for the sync hook."
    )
    result.figures = figures
    result.emit(args.json)


if __name__ == "__main__":
    main()
