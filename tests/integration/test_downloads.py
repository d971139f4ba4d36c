"""Downloading results from the emulator: checksums, corruption, drops, expiry, resume, storage."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from airflow_provider_planet_orders._compat import AirflowFailException
from airflow_provider_planet_orders.download import (
    ChecksumMismatchError,
    DownloadError,
    OrderDownloader,
)
from airflow_provider_planet_orders.operators.download import PlanetDownloadOrderOperator, resolve_destination
from tests.integration.conftest import FILE_SIZE, finished_order, scene_request
from tests.unit.fakes import make_context


def downloader(hook, destination, **kwargs) -> OrderDownloader:
    kwargs.setdefault("sleep", lambda s: None)
    return OrderDownloader(hook, destination, **kwargs)


def manifest_digests(order_dir: Path) -> dict[str, dict[str, str]]:
    manifest = json.loads((order_dir / "manifest.json").read_text())
    return {f["path"]: f["digests"] for f in manifest["files"]}


def assert_verified(order_dir: Path) -> int:
    digests = manifest_digests(order_dir)
    for path, expected in digests.items():
        data = (order_dir / path).read_bytes()
        assert hashlib.md5(data).hexdigest() == expected["md5"], path  # noqa: S324 - Planet's digest
        assert hashlib.sha256(data).hexdigest() == expected["sha256"], path
    assert not list(order_dir.rglob("*.part"))
    return len(digests)


def manifest_digests_of(hook, order) -> dict[str, dict[str, str]]:
    (link,) = [r["location"] for r in order["_links"]["results"] if r["name"].endswith("manifest.json")]
    manifest = json.loads(hook.open_result(link).read())
    return {f["path"]: f["digests"] for f in manifest["files"]}


@pytest.mark.parametrize("checksum", ["md5", "sha256"])
def test_every_file_lands_verified(hook, emulator, tmp_path, checksum) -> None:
    order = finished_order(hook, emulator)
    report = downloader(hook, tmp_path, checksum=checksum, concurrency=3).download(order)
    assert report.downloaded == 3
    assert report.bytes == 3 * FILE_SIZE
    assert assert_verified(tmp_path / order["id"]) == 3
    assert sorted(report.files) == sorted(str(p) for p in (tmp_path / order["id"]).rglob("*.tif"))
    assert report.manifest == str(tmp_path / order["id"] / "manifest.json")


def test_corrupted_bytes_are_detected_and_named(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator, scene_request(items=("only",)))
    expected = manifest_digests_of(hook, order)["PSScene/only_analytic_udm2.tif"]["md5"]
    d = downloader(hook, tmp_path, max_attempts=2, checksum="md5")
    open_result = hook.open_result
    (manifest_link,) = [
        r["location"] for r in order["_links"]["results"] if r["name"].endswith("manifest.json")
    ]

    def corrupt_everything_after_the_manifest(location, *args, **kwargs):
        stream = open_result(location, *args, **kwargs)
        if location == manifest_link:
            emulator.set_faults("download", download_corrupt_rate=1.0)
        return stream

    hook.open_result = corrupt_everything_after_the_manifest
    with pytest.raises(ChecksumMismatchError) as info:
        d.download(order)
    name = f"{order['id']}/PSScene/only_analytic_udm2.tif"
    assert str(info.value).startswith(f"{name}: md5 mismatch after 2 attempts: manifest says {expected}, ")
    assert "downloaded bytes give" in str(info.value)
    assert not (tmp_path / name).exists()  # nothing unverified is left under the final name


def test_corruption_is_retried_until_the_bytes_verify(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator)
    emulator.set_faults("download", download_corrupt_rate=0.3)
    report = downloader(hook, tmp_path, max_attempts=10, concurrency=1).download(order)
    assert assert_verified(tmp_path / order["id"]) == 3
    assert report.retries == emulator.stats()["faults"]["download_corrupt"]


def test_a_connection_dropped_mid_file_is_resumed(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator, scene_request(items=tuple(f"item_{i}" for i in range(10))))
    emulator.set_faults("download", download_drop_rate=0.3)
    # Small chunks, so that a drop midway leaves bytes on disk to resume from.
    report = downloader(hook, tmp_path, max_attempts=10, chunk_size=16 * 1024).download(order)
    assert assert_verified(tmp_path / order["id"]) == 10
    drops = emulator.stats()["faults"]["download_drop"]
    assert drops > 0
    assert report.retries == drops
    assert report.resumed > 0  # Range requests carried on from the bytes kept


def test_expired_links_are_refreshed(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator)
    emulator.advance(emulator.config.link_ttl + 60)  # the links in `order` are now stale
    report = downloader(hook, tmp_path).download(order)
    assert report.link_refreshes >= 1
    assert assert_verified(tmp_path / order["id"]) == 3


def test_a_rerun_skips_what_it_already_has(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator)
    downloader(hook, tmp_path).download(order)
    served = emulator.stats()["bytes_served"]
    report = downloader(hook, tmp_path).download(hook.get_order(order["id"]))
    assert (report.downloaded, report.skipped) == (0, 3)
    assert emulator.stats()["bytes_served"] - served < 10_000  # only the manifest again
    report = downloader(hook, tmp_path, overwrite=True).download(hook.get_order(order["id"]))
    assert report.downloaded == 3


def test_a_file_with_wrong_bytes_on_disk_is_downloaded_again(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator, scene_request(items=("one",)))
    downloader(hook, tmp_path).download(order)
    target = tmp_path / order["id"] / "PSScene" / "one_analytic_udm2.tif"
    target.write_bytes(b"x" * FILE_SIZE)
    report = downloader(hook, tmp_path).download(order)
    assert report.downloaded == 1
    assert_verified(tmp_path / order["id"])


def test_a_partial_file_is_resumed_with_a_range_request(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator, scene_request(items=("big",)))
    downloader(hook, tmp_path / "full").download(order)
    full = (tmp_path / "full" / order["id"] / "PSScene" / "big_analytic_udm2.tif").read_bytes()
    partial = tmp_path / "dest" / order["id"] / "PSScene" / "big_analytic_udm2.tif.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(full[: FILE_SIZE // 2])
    served = emulator.stats()["bytes_served"]
    report = downloader(hook, tmp_path / "dest").download(order)
    assert report.resumed == 1
    assert report.bytes == FILE_SIZE - FILE_SIZE // 2
    assert emulator.stats()["bytes_served"] - served < FILE_SIZE // 2 + 10_000
    assert_verified(tmp_path / "dest" / order["id"])


def test_include_filters_result_names(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator)
    report = downloader(hook, tmp_path, include=["*/item_b_*"]).download(order)
    assert [Path(f).name for f in report.files] == ["item_b_analytic_udm2.tif"]
    assert (tmp_path / order["id"] / "manifest.json").exists()


def test_an_object_storage_destination(hook, emulator) -> None:
    order = finished_order(hook, emulator)
    destination = resolve_destination("memory://planet-test-bucket/imagery")
    report = downloader(hook, destination).download(order)
    manifest = json.loads((destination / order["id"] / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        data = (destination / order["id"] / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["digests"]["sha256"]
    assert all(f.startswith("memory://") for f in report.files)


def test_local_paths_use_airflows_object_storage_path(tmp_path) -> None:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    assert isinstance(resolve_destination(str(tmp_path)), ObjectStoragePath)
    assert isinstance(resolve_destination(f"file://{tmp_path}"), ObjectStoragePath)
    (resolve_destination(str(tmp_path)) / "x").write_bytes(b"ok")
    assert (tmp_path / "x").read_bytes() == b"ok"


def test_auto_checksum_picks_one_of_the_manifests_digests(hook, emulator, tmp_path) -> None:
    from airflow_provider_planet_orders.download import fastest_checksum

    assert fastest_checksum() in ("md5", "sha256")
    order = finished_order(hook, emulator, scene_request(items=("one",)))
    d = downloader(hook, tmp_path)
    assert d.checksum == fastest_checksum()
    assert d.download(order).downloaded == 1


def test_an_unfinished_order_is_refused(hook, emulator, tmp_path) -> None:
    order = hook.create_order(scene_request())
    with pytest.raises(DownloadError, match="is queued: only a finished order"):
        downloader(hook, tmp_path).download(order)
    assert emulator.stats()["requests"].get("download") is None


def test_a_cloud_delivered_order_is_refused_naming_the_bucket_not_the_secret(
    hook, emulator, tmp_path
) -> None:
    request = scene_request()
    request["delivery"] = {
        "amazon_s3": {
            "bucket": "my-bucket",
            "aws_region": "us-east-1",
            "aws_access_key_id": "AKIAEXAMPLE",
            "aws_secret_access_key": "VERY-SECRET",
            "path_prefix": "planet/",
        }
    }
    order = finished_order(hook, emulator, request)
    with pytest.raises(DownloadError) as info:
        downloader(hook, tmp_path).download(order)
    assert "amazon_s3 (bucket 'my-bucket', path prefix 'planet/')" in str(info.value)
    assert "VERY-SECRET" not in str(info.value)


def test_the_operator_downloads_and_reports(hook, emulator, tmp_path) -> None:
    order = finished_order(hook, emulator)
    op = PlanetDownloadOrderOperator(
        task_id="download", order_id=order["id"], destination=str(tmp_path), asset_name="x"
    )
    op.hook.sleep = lambda s: None
    events: dict = {}

    class OutletEvents:
        def __getitem__(self, asset):  # Airflow 3.0's Asset is not hashable: key by URI
            return events.setdefault(asset.uri, type("Event", (), {})())

    context = make_context()
    context["outlet_events"] = OutletEvents()
    result = op.execute(context)
    assert result["downloaded"] == 3
    assert len(result["files"]) == 3
    assert context["ti"].xcom["order_url"].endswith(order["id"])
    assert events["planet-orders://planet_default/x"].extra == {
        "order_id": order["id"],
        "destination": str(tmp_path),
        "files": 3,
        "bytes": 3 * FILE_SIZE,
    }
    assert [o.uri for o in op.outlets] == ["planet-orders://planet_default/x"]


def test_the_operator_fails_without_retry_on_an_unfinished_order(hook, emulator, tmp_path) -> None:
    order = hook.create_order(scene_request())
    op = PlanetDownloadOrderOperator(task_id="download", order_id=order["id"], destination=str(tmp_path))
    with pytest.raises(AirflowFailException, match="only a finished order"):
        op.execute(make_context())
