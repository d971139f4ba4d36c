"""The downloader's boundary and counting: no HTTP library inside, one exact byte count under threads."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_planet_orders import downloader as downloader_module
from airflow_provider_planet_orders.core.responses import ResultStream
from airflow_provider_planet_orders.downloader import OrderDownloader, _Tally
from airflow_provider_planet_orders.exceptions import PlanetConnectionError, PlanetDownloadError
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.unit.test_hook_endpoints import OID


def test_the_downloader_imports_no_http_library() -> None:
    tree = ast.parse(inspect.getsource(downloader_module))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not imported & {"requests", "httpx", "urllib3", "aiohttp"}


@pytest.fixture
def busy_switching():
    """Switch threads as often as possible, so that an unlocked ``+=`` would lose updates."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_the_tally_counts_every_byte_from_many_threads(busy_switching) -> None:
    tally = _Tally(total_files=1, total_bytes=0, log=lambda *a: None, interval=1e9)
    threads, adds, size = 16, 20_000, 3

    def work() -> None:
        for _ in range(adds):
            tally.add_bytes(size)
            tally.add("retries")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert tally.counts["bytes"] == threads * adds * size
    assert tally.counts["retries"] == threads * adds


# -- a whole download through a stand-in hook: the boundary is ResultStream, nothing else --------


def _stream(data: bytes, offset: int, chunk_size: int) -> ResultStream:
    def chunks() -> Iterator[bytes]:
        for i in range(offset, len(data), chunk_size):
            yield data[i : i + chunk_size]

    return ResultStream(
        status=206 if offset else 200, headers={}, start=offset, chunks=chunks(), close=lambda: None
    )


def _order(files: dict[str, bytes]) -> tuple[dict[str, Any], dict[str, bytes]]:
    manifest = {
        "name": "o",
        "files": [
            {
                "path": path,
                "size": len(data),
                "digests": {
                    "md5": hashlib.md5(data).hexdigest(),  # noqa: S324 - Planet's digest
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
            }
            for path, data in files.items()
        ],
    }
    blobs = {f"{OID}/{path}": data for path, data in files.items()}
    blobs[f"{OID}/manifest.json"] = json.dumps(manifest).encode()
    order = {
        "id": OID,
        "state": "success",
        "_links": {"results": [{"name": name, "location": f"loc://{name}"} for name in blobs]},
    }
    return order, blobs


def test_many_workers_count_the_bytes_of_many_files_exactly(
    planet_connection, tmp_path, busy_switching
) -> None:
    files = {f"PSScene/scene_{i:03d}.tif": bytes([i % 251]) * (1000 + 37 * i) for i in range(60)}
    order, blobs = _order(files)
    hook = PlanetOrdersHook()
    hook.open_result = lambda location, offset=0, chunk_size=1 << 20: _stream(  # type: ignore[method-assign]
        blobs[location.removeprefix("loc://")], offset, 7
    )
    report = OrderDownloader(hook, tmp_path, concurrency=12, chunk_size=7, checksum="md5").download(order)
    assert report.downloaded == 60
    assert report.bytes == sum(len(d) for d in files.values())
    for path, data in files.items():
        assert (tmp_path / OID / path).read_bytes() == data


def test_a_broken_stream_resumes_from_the_bytes_kept(planet_connection, tmp_path) -> None:
    data = bytes(range(256)) * 40
    order, blobs = _order({"PSScene/a.tif": data})
    offsets: list[int] = []

    def open_result(location: str, offset: int = 0, chunk_size: int = 1 << 20) -> ResultStream:
        blob = blobs[location.removeprefix("loc://")]
        if not location.endswith(".tif"):
            return _stream(blob, offset, 1 << 20)
        offsets.append(offset)

        def breaking() -> Iterator[bytes]:
            yield blob[offset : offset + 1000]
            if len(offsets) < 3:
                raise PlanetConnectionError("connection reset mid-file", request_sent=True)
            yield blob[offset + 1000 :]

        return ResultStream(
            status=206 if offset else 200, headers={}, start=offset, chunks=breaking(), close=lambda: None
        )

    hook = PlanetOrdersHook()
    hook.open_result = open_result  # type: ignore[method-assign]
    report = OrderDownloader(hook, tmp_path, sleep=lambda s: None).download(order)
    assert offsets == [0, 1000, 2000]  # each attempt asks only for what is missing
    assert report.resumed == 2
    assert report.bytes == len(data)  # bytes counted once, not once per attempt
    assert (tmp_path / OID / "PSScene/a.tif").read_bytes() == data


def test_download_errors_say_fail_fast_by_type_not_by_a_flag() -> None:
    from airflow_provider_planet_orders._compat import AirflowFailException
    from airflow_provider_planet_orders.exceptions import (
        PlanetChecksumMismatchError,
        PlanetDownloadRetriesExhaustedError,
        PlanetResultUnavailableError,
    )

    assert not hasattr(PlanetDownloadError, "retryable")
    assert not issubclass(PlanetDownloadRetriesExhaustedError, AirflowFailException)  # a retry resumes
    assert issubclass(PlanetChecksumMismatchError, AirflowFailException)
    assert issubclass(PlanetResultUnavailableError, AirflowFailException)


def test_a_manifest_entry_without_a_result_link_is_an_error(planet_connection, tmp_path) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetResultUnavailableError

    order, blobs = _order({"PSScene/a.tif": b"a", "PSScene/b.tif": b"b"})
    order["_links"]["results"] = [r for r in order["_links"]["results"] if not r["name"].endswith("b.tif")]
    hook = PlanetOrdersHook()
    hook.open_result = lambda location, offset=0, chunk_size=1 << 20: _stream(  # type: ignore[method-assign]
        blobs[location.removeprefix("loc://")], offset, 1 << 20
    )
    with pytest.raises(
        PlanetResultUnavailableError, match=r"lists 1 file\(s\) with no result link: PSScene/b.tif"
    ):
        OrderDownloader(hook, tmp_path).download(order)
    assert not (tmp_path / OID / "PSScene" / "a.tif").exists()  # refused before anything is written


def test_a_destination_delivered_order_is_refused_naming_the_destination(planet_connection, tmp_path) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetResultUnavailableError

    order, _ = _order({"PSScene/a.tif": b"a"})
    order["delivery"] = {"destination": {"ref": "pl:destinations/my-bucket-abc"}}
    with pytest.raises(
        PlanetResultUnavailableError,
        match=r"delivered to destination \(ref 'pl:destinations/my-bucket-abc'\)",
    ):
        OrderDownloader(PlanetOrdersHook(), tmp_path).download(order)


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zipped_order(
    members: dict[str, bytes], listed: dict[str, bytes]
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A zipped order: the manifest lists ``listed`` (the members); the results link only the zip."""
    order, blobs = _order(listed)
    archive = f"{OID}/order.zip"
    blobs = {f"{OID}/manifest.json": blobs[f"{OID}/manifest.json"], archive: _zip(members)}
    order["_links"]["results"] = [{"name": n, "location": f"loc://{n}"} for n in blobs]
    order["delivery"] = {"single_archive": True, "archive_type": "zip"}
    return order, blobs


def _hook_serving(blobs: dict[str, bytes]) -> PlanetOrdersHook:
    hook = PlanetOrdersHook()
    hook.open_result = lambda location, offset=0, chunk_size=1 << 20: _stream(  # type: ignore[method-assign]
        blobs[location.removeprefix("loc://")], offset, 1 << 20
    )
    return hook


def test_a_zipped_order_is_kept_and_unpacked_with_its_members_verified(planet_connection, tmp_path) -> None:
    members = {"PSScene/a_analytic.tif": b"a" * 5000, "composite.tif": b"c" * 300}
    order, blobs = _zipped_order(members, members)
    report = OrderDownloader(_hook_serving(blobs), tmp_path, unpack_archives=True).download(order)
    assert (tmp_path / OID / "order.zip").read_bytes() == blobs[f"{OID}/order.zip"]
    for name, data in members.items():
        assert (tmp_path / OID / name).read_bytes() == data
    assert sorted(report.unpacked) == sorted(str(tmp_path / OID / n) for n in members)


def test_a_member_that_differs_from_the_manifest_fails_the_unpack(planet_connection, tmp_path) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetChecksumMismatchError

    order, blobs = _zipped_order({"PSScene/a.tif": b"tampered"}, {"PSScene/a.tif": b"original"})
    with pytest.raises(PlanetChecksumMismatchError, match=r"member PSScene/a\.tif: md5 mismatch"):
        OrderDownloader(_hook_serving(blobs), tmp_path, checksum="md5", unpack_archives=True).download(order)
    assert not (tmp_path / OID / "PSScene" / "a.tif").exists()


def test_a_member_leaving_the_order_folder_is_refused(planet_connection, tmp_path) -> None:
    from airflow_provider_planet_orders.exceptions import PlanetResultUnavailableError

    order, blobs = _zipped_order({"../escape.txt": b"x"}, {})
    with pytest.raises(PlanetResultUnavailableError, match="leaves the destination"):
        OrderDownloader(_hook_serving(blobs), tmp_path, unpack_archives=True).download(order)
    assert not (tmp_path / "escape.txt").exists()
