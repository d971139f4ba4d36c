"""
Downloads: an order's files through ``OrderDownloader`` against curl and Planet's SDK.

What the download operator runs is ``airflow_provider_planet_orders.download.OrderDownloader``:
parallel streams, each file hashed while it streams and renamed once its digest matches the
manifest. The yardstick is curl fetching the same links in parallel (C, no verification: the
most a client gets from this server on this machine), and Planet's SDK ``download_order``.

Each method runs in its own process (its peak RSS is its own) against the emulator in another,
on loopback, into a fresh folder in memory (``/dev/shm``): a virtual disk's write-back is the
same for every method and so noisy that it would decide the comparison (``--dest`` changes it).
Rate limits are off on the emulator and the hook's client-side pacing (5 downloads per second)
is off too, for every method alike; one extra run shows the provider with its default pacing on.
Throughput counts every byte of every file (manifest included) over the method's own wall time,
from asking for the order to the last file written.

    .venv/bin/python benchmarks/bench_download.py [--files 20 --file-size 50MiB]
        [--big-files 8 --big-file-size 256MiB]
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import (
    KEY,
    Result,
    argparse_hidden,
    arguments,
    emulator,
    fmt,
    installed,
    isolate_airflow,
    peak_rss_mb,
    process_cpu_seconds,
    quiet_logging,
    rss_mb,
    set_planet_connection,
)

TARGET_SHARE = 0.8
TARGET_RSS_MB = 150.0
#: The download operator's defaults.
CONCURRENCY = 4
CHECKSUM = "auto"
#: Methods that run the provider with another checksum than the default.
CHECKSUMS = {"provider-md5": "md5", "provider-sha256": "sha256", "provider-nocheck": "none"}


def _auto() -> str:
    """The digest ``checksum='auto'`` picks on this machine."""
    from airflow_provider_planet_orders.download import fastest_checksum

    return fastest_checksum()


def _size(text: str) -> int:
    from airflow_provider_planet_orders.emulator.config import parse_size

    return parse_size(text)


def _files_bytes(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


# --------------------------------------------------------------------------------------------
# Workers: one process per method
# --------------------------------------------------------------------------------------------


def worker_provider(options: dict[str, Any]) -> dict[str, Any]:
    isolate_airflow()
    set_planet_connection(options["url"], extra=None if options["pacing"] else {"rate_limit": False})
    quiet_logging()
    from airflow_provider_planet_orders.download import OrderDownloader
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook

    hook = PlanetOrdersHook()
    before = rss_mb()
    cpu = time.process_time()
    started = time.perf_counter()
    order = hook.get_order(options["order_id"])
    report = OrderDownloader(
        hook,
        Path(options["dest"]),
        concurrency=options["concurrency"],
        checksum=options["checksum"],
    ).download(order)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    hook.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "retries": report.retries,
    }


def worker_sdk(options: dict[str, Any]) -> dict[str, Any]:
    from planet import Auth, Session
    from planet.clients.orders import OrdersClient

    before = rss_mb()
    cpu = time.process_time()

    async def download() -> None:
        async with Session(auth=Auth.from_key(KEY)) as session:
            client = OrdersClient(session, base_url=f"{options['url']}/compute/ops")
            await client.download_order(options["order_id"], Path(options["dest"]), progress_bar=False)

    started = time.perf_counter()
    asyncio.run(download())
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_worker(method: str, options: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", method, json.dumps(options)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{method} download failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_curl(links: list[tuple[str, str]], dest: Path, parallel: int) -> dict[str, Any] | None:
    curl = shutil.which("curl")
    if curl is None:
        return None
    command = [
        curl,
        "--silent",
        "--no-progress-meter",
        "--show-error",
        "--fail",
        "--create-dirs",
        "--parallel",
    ]
    command += ["--parallel-max", str(parallel)]
    for name, location in links:
        command += ["--output", str(dest / name), location]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"curl failed with status {process.returncode}")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "rss_before_mb": None,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def _then_md5sum(run: dict[str, Any], dest: Path) -> dict[str, Any]:
    """Verify what curl wrote with ``md5sum``, as many at a time as the provider streams."""
    files = sorted(str(p) for p in dest.rglob("*.tif"))
    groups = [files[i::CONCURRENCY] for i in range(CONCURRENCY) if files[i::CONCURRENCY]]
    started = time.perf_counter()
    processes = [subprocess.Popen(["md5sum", *group], stdout=subprocess.DEVNULL) for group in groups]
    cpu = 0.0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError("md5sum failed")
        cpu += usage.ru_utime + usage.ru_stime
    run["seconds"] += time.perf_counter() - started
    run["cpu_seconds"] += cpu
    return run


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


def measure_order(
    files: int, file_size: str, methods: list[str], work: Path, repeats: int
) -> tuple[dict[str, dict[str, Any]], int]:
    """
    Download one order of ``files`` x ``file_size`` with each method, ``repeats`` times round
    robin; per method, the run with the median time.
    """
    runs: dict[str, list[dict[str, Any]]] = {}
    total_bytes = 0
    with emulator(
        "--no-rate-limits", "--queued-seconds=0", "--running-seconds=0", f"--file-size={file_size}"
    ) as emu:
        order_id, _ = emu.create_orders(1, items=files)[0]
        time.sleep(0.2)
        order = emu.get_order(order_id)
        links = [(r["name"], r["location"]) for r in order["_links"]["results"]]
        manifest = next(location for name, location in links if name.endswith("manifest.json"))
        # The emulator hashes the files once for the manifest: do it before any method is timed.
        import urllib.request

        with urllib.request.urlopen(manifest, timeout=600) as response:
            response.read()
        options = {"url": emu.url, "order_id": order_id, "concurrency": CONCURRENCY}
        for _ in range(repeats):
            for method in methods:
                run = _one(method, emu, links, options, files, work)
                if run is None:
                    continue
                total_bytes = run["bytes"]
                runs.setdefault(method, []).append(run)
                print(
                    f"  {method:<17} {run['mb_per_s']:8,.0f} MB/s  {run['seconds']:6.2f} s  "
                    f"peak RSS {run['peak_rss_mb']:6.1f} MB  CPU: client {run['cpu_seconds']:5.2f} s, "
                    f"emulator {run['server_cpu_seconds']:5.2f} s",
                    flush=True,
                )
    chosen = {m: sorted(r, key=lambda run: run["seconds"])[len(r) // 2] for m, r in runs.items()}
    return chosen, total_bytes


def _one(
    method: str,
    emu: Any,
    links: list[tuple[str, str]],
    options: dict[str, Any],
    files: int,
    work: Path,
) -> dict[str, Any] | None:
    dest = Path(tempfile.mkdtemp(prefix=f"bench-download-{method}-", dir=work))
    os.sync()  # no earlier run's writeback lands in this one
    server_cpu = process_cpu_seconds(emu.process.pid)
    try:
        if method.startswith("curl"):
            run = run_curl(links, dest, files if method == "curl-all" else CONCURRENCY)
            if run is None:
                return None
            if method == "curl-md5":
                run = _then_md5sum(run, dest)
        elif method == "sdk":
            run = run_worker("sdk", {**options, "dest": str(dest)})
        else:
            run = run_worker(
                "provider",
                {
                    **options,
                    "dest": str(dest),
                    "checksum": CHECKSUMS.get(method, CHECKSUM),
                    "pacing": method == "provider-paced",
                },
            )
        run["server_cpu_seconds"] = process_cpu_seconds(emu.process.pid) - server_cpu
        count, size = _files_bytes(dest)
        if count != len(links):
            raise RuntimeError(f"{method}: {count} files on disk, expected {len(links)}")
        run["bytes"] = size
        run["mb_per_s"] = size / run["seconds"] / 1e6
        return run
    finally:
        shutil.rmtree(dest, ignore_errors=True)


LABELS = {
    "provider": f"`OrderDownloader` (operator defaults: {CONCURRENCY} streams, `checksum='auto'`)",
    "provider-md5": f"`OrderDownloader`, `checksum='md5'` ({CONCURRENCY} streams)",
    "provider-sha256": f"`OrderDownloader`, `checksum='sha256'` ({CONCURRENCY} streams)",
    "provider-nocheck": f"`OrderDownloader`, `checksum='none'` ({CONCURRENCY} streams)",
    "provider-paced": "`OrderDownloader`, default client-side pacing on (5/s)",
    "curl": f"curl `--parallel --parallel-max {CONCURRENCY}`",
    "curl-all": "curl `--parallel`, every file at once",
    "curl-md5": f"curl `--parallel --parallel-max {CONCURRENCY}`, then `md5sum`, {CONCURRENCY} at a time",
    "sdk": "Planet SDK `download_order` (one file at a time, not verified)",
}


def main() -> None:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--file-size", default="50MiB")
    parser.add_argument("--big-files", type=int, default=8)
    parser.add_argument("--big-file-size", default="256MiB")
    parser.add_argument("--repeats", type=int, default=5, help="runs per method of the first order")
    parser.add_argument(
        "--dest",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="folder the files are written under (default: /dev/shm, in memory; see the docstring)",
    )
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "OPTIONS"), help=argparse_hidden())
    args = parser.parse_args()
    if args.worker:
        method, options = args.worker
        work = {"provider": worker_provider, "sdk": worker_sdk}[method]
        print(json.dumps(work(json.loads(options))))
        return
    if args.quick:
        args.files, args.file_size, args.big_files, args.big_file_size = 4, "8MiB", 2, "32MiB"

    result = Result("download", "Downloads")
    have_sdk = installed("planet")
    have_curl = shutil.which("curl") is not None
    methods = [
        "curl",
        "curl-all",
        "curl-md5",
        "provider",
        "provider-md5",
        "provider-sha256",
        "provider-nocheck",
    ]
    methods += ["provider-paced"]
    big_methods = ["curl", "provider"]
    if have_sdk:
        methods.append("sdk")
        big_methods.append("sdk")
    work = Path(tempfile.mkdtemp(prefix="planet-orders-bench-download-", dir=args.dest))
    try:
        print(f"{args.files} x {args.file_size}:", flush=True)
        standard, standard_bytes = measure_order(args.files, args.file_size, methods, work, args.repeats)
        print(f"{args.big_files} x {args.big_file_size}:", flush=True)
        big, big_bytes = measure_order(args.big_files, args.big_file_size, big_methods, work, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    curls = [standard[m]["mb_per_s"] for m in ("curl", "curl-all") if m in standard]
    best_curl = max(curls) if curls else None
    rows = []
    for method in methods:
        if method not in standard:
            continue
        run = standard[method]
        rows.append(
            [
                LABELS[method],
                fmt(run["mb_per_s"], 0),
                fmt(run["seconds"], 2),
                f"{run['mb_per_s'] / best_curl:.0%}" if best_curl else "-",
                fmt(run["peak_rss_mb"], 0),
                fmt(run["cpu_seconds"], 2),
                fmt(run["server_cpu_seconds"], 2),
            ]
        )
    result.table(
        f"{args.files} x {args.file_size} ({standard_bytes / 1e9:.2f} GB with the manifest), the median "
        f"of {args.repeats} runs each",
        [
            "Method",
            "MB/s",
            "Seconds",
            "Share of curl's best",
            "Peak RSS MB",
            "Client CPU s",
            "Emulator CPU s",
        ],
        rows,
    )
    big_rows = []
    for method in big_methods:
        if method not in big:
            continue
        run = big[method]
        before = run.get("rss_before_mb")
        big_rows.append(
            [
                LABELS[method],
                fmt(run["mb_per_s"], 0),
                fmt(run["seconds"], 2),
                fmt(run["peak_rss_mb"], 0),
                fmt(before, 0) if before is not None else "-",
            ]
        )
    result.table(
        f"{args.big_files} x {args.big_file_size} ({big_bytes / 1e9:.2f} GB): memory",
        ["Method", "MB/s", "Seconds", "Peak RSS MB", "RSS before the download MB"],
        big_rows,
    )
    if best_curl:
        share = standard["provider"]["mb_per_s"] / best_curl
        result.target(
            f"`OrderDownloader` at least {TARGET_SHARE:.0%} of curl's throughput",
            f"{share:.0%} ({standard['provider']['mb_per_s']:,.0f} vs {best_curl:,.0f} MB/s, "
            f"{args.files} x {args.file_size}, `checksum='auto'`: {_auto()} verified)",
            share >= TARGET_SHARE,
        )
    else:
        result.target(f"at least {TARGET_SHARE:.0%} of curl's throughput", "curl is not installed", None)
    peak = big["provider"]["peak_rss_mb"]
    result.target(
        f"peak RSS at most {TARGET_RSS_MB:.0f} MB for a 2 GB order",
        f"{peak:.0f} MB for {big_bytes / 1e9:.2f} GB (the process held "
        f"{big['provider']['rss_before_mb']:.0f} MB before the download: Airflow and the hook)",
        peak <= TARGET_RSS_MB,
    )
    if best_curl and "curl-md5" in standard:
        verified = standard["curl-md5"]["mb_per_s"]
        result.note(
            f"Where the time goes: curl verifies nothing. Fetching with curl and then checking every "
            f"file with `md5sum` gives {verified:,.0f} MB/s; the provider, which hashes while it "
            f"streams, reaches {standard['provider']['mb_per_s'] / verified:.0%} of that. md5 costs "
            f"this machine's CPU about {1e9 / _md5_speed():.2f} s per GB (one core), sha256 "
            f"{1e9 / _sha256_speed():.2f} s, so `checksum='auto'` picks {_auto()} here: with "
            f"`checksum='md5'` the provider reaches {standard['provider-md5']['mb_per_s'] / best_curl:.0%} "
            f"of curl, with `'sha256'` {standard['provider-sha256']['mb_per_s'] / best_curl:.0%}, with "
            f"`'none'` {standard['provider-nocheck']['mb_per_s'] / best_curl:.0%}."
        )
    if "provider-paced" in standard:
        result.note(
            "With its default pacing (Planet's 5 downloads per second per key) the provider starts at "
            f"most 5 files a second: {standard['provider-paced']['mb_per_s']:,.0f} MB/s here. Planet "
            "enforces that limit itself: a client that does not pace meets 429s instead."
        )
    if have_sdk:
        result.note(
            f"Planet's SDK: {standard['sdk']['mb_per_s']:,.0f} MB/s; the provider is "
            f"{standard['provider']['mb_per_s'] / standard['sdk']['mb_per_s']:.1f}x its throughput "
            "(the SDK fetches one file after another and verifies nothing unless asked)."
        )
    else:
        result.note("Planet's SDK is not installed: its row is missing.")
    if not have_curl:
        result.note("curl is not installed: no curl baseline.")
    result.setup = [
        f"The emulator in its own process on loopback, rate limits off, serving an order of "
        f"{args.files} x {args.file_size} (and one of {args.big_files} x {args.big_file_size} for "
        "memory); the manifest is fetched once before any timing (the emulator hashes on first use).",
        f"Each method in its own process, into a fresh folder under `{args.dest}` (in memory: this "
        "machine's virtual disk throttles write-back so unevenly that it, not the client, decided "
        f"the runs written to disk): `OrderDownloader` with the operator's defaults ({CONCURRENCY} "
        f"streams, `checksum='auto'`, verified while streaming) and with each checksum; curl with "
        f"`--parallel` ({CONCURRENCY} at a time, and all at once), the baseline; curl followed by "
        "`md5sum` (the same work as the provider, in C); Planet's SDK `download_order`.",
        f"The first order: {args.repeats} runs of every method, round robin, the median reported; "
        "the 2 GB order: one run each.",
        "Client-side pacing of downloads (5/s) is off for every method; one extra run has the "
        "provider's default pacing on. Peak RSS is each process's `ru_maxrss`; CPU is each process's "
        "user+system time, and the emulator's over the same run.",
        "Everything shares this machine's two cores: the emulator generates the bytes it serves. "
        "Figures vary by up to a third from one run to the next here.",
    ]
    result.figures = {"standard": standard, "big": big, "best_curl_mb_per_s": best_curl}
    result.emit(args.json)


def _hash_speed(name: str) -> float:
    """Bytes per second one core hashes with ``name`` (64 MiB of data)."""
    import hashlib

    block = os.urandom(1 << 20)
    digest = hashlib.new(name)
    started = time.process_time()
    for _ in range(64):
        digest.update(block)
    return 64 * (1 << 20) / max(time.process_time() - started, 1e-9)


def _md5_speed() -> float:
    return _hash_speed("md5")


def _sha256_speed() -> float:
    return _hash_speed("sha256")


if __name__ == "__main__":
    main()
