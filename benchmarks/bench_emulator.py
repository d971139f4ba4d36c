"""
How fast is the Orders API emulator? Get-order requests per second, and download throughput.

The emulator runs as its own process (the ``planet-orders-emulator`` console script, rate limits
off), so that client and server do not share one interpreter. The request load comes from a
minimal asyncio HTTP/1.1 client over keep-alive connections: a full client library would
measure itself rather than the emulator. Downloads are read with ``curl`` when it is installed,
and always with a plain socket reader.

    .venv/bin/python benchmarks/bench_emulator.py     # 10 s runs, 1 and 8 connections, 20 x 50 MiB, 2 GiB
    .venv/bin/python benchmarks/bench_emulator.py --seconds 5 --files 4 --big-file-size 512MiB

Figures, and the machine they were measured on, are in docs/emulator.md ("Speed").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
KEY = "PLAK-emulator-demo-key"


def order_request(files: int) -> dict[str, object]:
    items = [f"20240101_000000_00_{n:04d}" for n in range(files)]
    return {
        "name": "bench",
        "products": [{"item_ids": items, "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
    }


def start_emulator(file_size: str) -> tuple[subprocess.Popen[str], str]:
    script = Path(sys.executable).with_name("planet-orders-emulator")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "airflow_provider_planet_orders.emulator.cli"]
    )
    command += [
        "--port=0",
        "--no-rate-limits",
        "--queued-seconds=0",
        "--running-seconds=0",
        f"--file-size={file_size}",
        "--log-level=warning",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return process, match.group(1)
    raise SystemExit("the emulator did not start")


def api(url: str, method: str = "GET", body: object = None) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{KEY}:".encode()).decode())
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    await reader.readexactly(length)
    return status


async def _worker(host: str, port: int, request: bytes, stop: float, counts: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            writer.write(request)
            status = await _read_response(reader)
            counts[status] = counts.get(status, 0) + 1
    finally:
        writer.close()


async def hammer(url: str, seconds: float, connections: int) -> tuple[float, dict[int, int]]:
    parts = urlsplit(url)
    auth = base64.b64encode(f"{KEY}:".encode()).decode()
    request = (
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Basic {auth}\r\n\r\n"
    ).encode()
    counts: dict[int, int] = {}
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(
        *(_worker(parts.hostname or "", parts.port or 80, request, stop, counts) for _ in range(connections))
    )
    return sum(counts.values()) / (time.perf_counter() - start), counts


def socket_download(location: str) -> tuple[float, int]:
    parts = urlsplit(location)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        start = time.perf_counter()
        buf = bytearray(4 * 1024 * 1024)
        view = memoryview(buf)
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        header, _, rest = head.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", header).group(1))  # type: ignore[union-attr]
        received = len(rest)
        while received < length:
            n = sock.recv_into(view)
            if not n:
                break
            received += n
    return received / (time.perf_counter() - start) / 1e6, received


def curl_download(location: str) -> float | None:
    curl = shutil.which("curl")
    if curl is None:
        return None
    out = subprocess.run(
        [curl, "-s", "-o", os.devnull, "-w", "%{speed_download}", location],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the get-order run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--file-size", default="50MiB", help="size of each result file")
    parser.add_argument("--files", type=int, default=20, help="files in the order downloaded in parallel")
    parser.add_argument("--big-file-size", default="2GiB", help="size of the single big file downloaded")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    process, url = start_emulator(args.file_size)
    try:
        order = api(f"{url}/compute/ops/orders/v2", "POST", order_request(args.files))
        order_url = f"{url}/compute/ops/orders/v2/{order['id']}"
        time.sleep(0.1)
        for connections in sorted({1, args.connections}):
            asyncio.run(hammer(order_url, 1.0, connections))  # warm-up
            rate, counts = asyncio.run(hammer(order_url, args.seconds, connections))
            print(f"get order: {rate:,.0f} requests/s over {connections} connection(s) ({counts})")

        results = api(order_url)["_links"]["results"]  # type: ignore[index]
        locations = [r["location"] for r in results if not r["name"].endswith("manifest.json")]  # type: ignore[index, union-attr]
        start = time.perf_counter()
        with ThreadPoolExecutor(len(locations)) as pool:
            sizes = [size for _, size in pool.map(socket_download, locations)]
        elapsed = time.perf_counter() - start
        total = sum(sizes)
        print(
            f"download {len(sizes)} x {sizes[0] / 2**20:,.0f} MiB in parallel, socket readers: "
            f"{total / elapsed / 1e6:,.0f} MB/s ({elapsed:.2f} s)"
        )
        manifest = next(r["location"] for r in results if r["name"].endswith("manifest.json"))  # type: ignore[index, union-attr]
        start = time.perf_counter()
        urllib.request.urlopen(manifest).read()
        took = time.perf_counter() - start
        print(f"manifest of {len(sizes)} files (md5 + sha256), first request: {took:.2f} s")
        stats = json.loads(urllib.request.urlopen(f"{url}/_emulator/stats").read())
        print(f"emulator counted: {stats['requests']}, {stats['bytes_served'] / 1e6:,.0f} MB served")
    finally:
        process.terminate()
        process.wait(timeout=10)

    process, url = start_emulator(args.big_file_size)
    try:
        order = api(f"{url}/compute/ops/orders/v2", "POST", order_request(1))
        time.sleep(0.1)
        results = api(f"{url}/compute/ops/orders/v2/{order['id']}")["_links"]["results"]  # type: ignore[index]
        location = results[0]["location"]  # type: ignore[index]
        speed, size = socket_download(location)
        print(f"download 1 x {size / 2**20:,.0f} MiB, socket reader: {speed:,.0f} MB/s")
        curl_speed = curl_download(location)
        if curl_speed is not None:
            print(f"download 1 x {size / 2**20:,.0f} MiB, curl: {curl_speed:,.0f} MB/s")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
