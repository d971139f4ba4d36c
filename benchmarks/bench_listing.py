"""
Listing: 10,000 orders through ``PlanetOrdersHook.list_orders``: time, requests, peak memory.

``list_orders`` yields orders lazily, page by page, so that a key with a long history costs one
page of memory, not all of it. This benchmark lists 10,000 orders from the emulator (its own
process): with Planet's rate limits on (3 list requests per second, on both sides), which is what a
user waits; and with them off, which shows the client's own cost against a bare ``requests`` loop
that follows the same ``next`` links. Peak memory is traced (``tracemalloc``) while the orders
stream through without being kept, for the first 1,000 and for all 10,000: flat means the same.

    .venv/bin/python benchmarks/bench_listing.py [--orders 10000]
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from benchlib import (
    Result,
    arguments,
    emulator,
    fmt,
    isolate_airflow,
    quiet_logging,
    request_counts,
    set_planet_connection,
    status_count,
    total,
)

PAGE_SIZE = 100
#: Streaming is flat when 10x the orders cost at most this much more peak memory.
FLAT_FACTOR = 1.5


def _consume(orders: Iterator[dict[str, Any]]) -> int:
    count = 0
    for _ in orders:
        count += 1
    return count


def _traced(action: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``action``; return its value and the peak traced memory it allocated, in MB."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        value = action()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return value, peak / 2**20


def main() -> None:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="orders in the key's history")
    args = parser.parse_args()
    count = 2_000 if args.quick else args.orders
    small = count // 10
    isolate_airflow()
    result = Result("listing", "Listing")

    with emulator("--no-rate-limits") as emu:
        started = time.perf_counter()
        emu.create_orders(count, items=2)
        seeding = time.perf_counter() - started
        set_planet_connection(emu.url, extra={"rate_limit": False})
        quiet_logging()

        import requests

        from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook

        hook = PlanetOrdersHook()
        session = requests.Session()
        session.auth = requests.auth.HTTPBasicAuth(emu.key, "")

        def bare(limit: int | None = None) -> int:
            """The baseline: a plain loop over pages, following ``_links.next``."""
            url: str | None = f"{emu.url}/compute/ops/orders/v2?page_size={PAGE_SIZE}"
            seen = 0
            while url:
                response = session.get(url, timeout=(10, 60))
                response.raise_for_status()
                page = response.json()
                for _ in page["orders"]:
                    seen += 1
                    if limit is not None and seen >= limit:
                        return seen
                url = page.get("_links", {}).get("next")
            return seen

        def measure(action: Callable[[], int]) -> tuple[int, float, dict[str, dict[str, int]]]:
            before = emu.stats()
            started = time.perf_counter()
            listed = action()
            seconds = time.perf_counter() - started
            return listed, seconds, request_counts(before, emu.stats())

        _consume(hook.list_orders(page_size=PAGE_SIZE, limit=PAGE_SIZE))  # warm-up
        bare(PAGE_SIZE)

        rows = []
        runs: dict[str, tuple[int, float, dict[str, dict[str, int]]]] = {}
        runs["bare"] = measure(bare)
        runs["hook"] = measure(lambda: _consume(hook.list_orders(page_size=PAGE_SIZE)))
        # The API's default page size, over the first tenth only: the requests it takes.
        runs["hook_default"] = measure(lambda: _consume(hook.list_orders(limit=small)))

        # Memory: streamed (nothing kept) for the first tenth and for all; kept, for contrast.
        (_, mem_small) = _traced(lambda: _consume(hook.list_orders(page_size=PAGE_SIZE, limit=small)))
        (_, mem_all) = _traced(lambda: _consume(hook.list_orders(page_size=PAGE_SIZE)))
        (_, mem_bare) = _traced(bare)
        (_, mem_kept) = _traced(lambda: len(list(hook.list_orders(page_size=PAGE_SIZE))))

        # What a user waits: Planet's limits on the emulator, and the hook's own pacing on.
        emu.configure(rate_limits=True)
        hook.close()
        set_planet_connection(emu.url)
        paced = PlanetOrdersHook()
        runs["paced"] = measure(lambda: _consume(paced.list_orders(page_size=PAGE_SIZE)))
        paced.close()

    base_seconds = runs["bare"][1]
    for key, label, memory in (
        ("bare", f"bare `requests` loop, page_size={PAGE_SIZE} (baseline)", mem_bare),
        ("hook", f"`list_orders(page_size={PAGE_SIZE})`", mem_all),
        ("hook_default", f"`list_orders(limit={small:,})`, the API's default page size", None),
        ("paced", f"`list_orders(page_size={PAGE_SIZE})`, Planet's rate limits on", None),
    ):
        listed, seconds, counts = runs[key]
        rows.append(
            [
                label,
                f"{listed:,}",
                fmt(seconds, 2),
                f"{seconds / base_seconds:.2f}x" if key in ("bare", "hook") else "-",
                f"{total(counts, ['list']):,}",
                f"{status_count(counts, '429'):,}",
                fmt(memory, 2) if memory is not None else "-",
            ]
        )
    result.table(
        f"Listing {count:,} orders",
        ["How", "Orders", "Seconds", "Time vs baseline", "List requests", "429s", "Peak traced MB"],
        rows,
    )
    result.table(
        "Peak memory while streaming (tracemalloc, MB)",
        ["Orders listed", "Streamed, nothing kept", "Kept in a list (for contrast)"],
        [
            [f"{small:,} (limit={small:,})", fmt(mem_small, 2), "-"],
            [f"{count:,}", fmt(mem_all, 2), fmt(mem_kept, 2)],
        ],
    )
    flat = mem_all <= FLAT_FACTOR * mem_small
    result.target(
        f"memory stays flat while streaming: peak for {count:,} orders at most {FLAT_FACTOR}x the peak "
        f"for {small:,}",
        f"{mem_all:.2f} MB vs {mem_small:.2f} MB ({mem_all / mem_small:.2f}x for 10x the orders)",
        flat,
    )
    paced_listed, paced_seconds, paced_counts = runs["paced"]
    pages = total(paced_counts, ["list"])
    floor = (pages - 1) / 3
    result.target(
        f"{count:,} orders listed within Planet's limits: zero 429s",
        f"{paced_seconds:.1f} s for {pages} requests ({status_count(paced_counts, '429')} 429s); "
        f"3 requests/s allow no less than {floor:.1f} s",
        status_count(paced_counts, "429") == 0 and paced_listed == count,
    )
    per_page = small / max(1, total(runs["hook_default"][2], ["list"]))
    default_requests = round(count / per_page)
    result.note(
        f"Without `page_size` the API's default page ({per_page:.0f} orders on the emulator) would "
        f"take {default_requests:,} requests for {count:,} orders: {default_requests / 3:.0f} s at 3 "
        f"requests per second, against {pages / 3:.0f} s with `page_size={PAGE_SIZE}`. Its time above "
        "is for the first tenth, and is mostly the emulator sorting every order for each page."
    )
    result.setup = [
        f"The emulator in its own process with {count:,} orders of one key (seeded over HTTP with "
        f"rate limits off in {seeding:.1f} s); the client in this process.",
        "Time and requests without rate limits (the hook's pacing off too): the client's own cost "
        "against a bare `requests.Session` loop over the same pages that decodes every page.",
        "Then the emulator's rate limits on (Planet's 3 list requests per second) and the hook's "
        "default pacing on: what a user waits.",
        "Memory: `tracemalloc` peak while every order streams through a counting loop, first "
        f"{small:,} (`limit`) then all {count:,}; and, for contrast, all of them kept in a list.",
    ]
    result.figures = {
        "orders": count,
        "seconds": {k: v[1] for k, v in runs.items()},
        "requests": {k: total(v[2], ["list"]) for k, v in runs.items()},
        "peak_mb": {"small": mem_small, "all": mem_all, "bare": mem_bare, "kept": mem_kept},
    }
    result.emit(args.json)


if __name__ == "__main__":
    main()
