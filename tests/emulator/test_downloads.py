"""Results, signed links and their expiry, streamed files with Range, and the manifest's digests."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from airflow_provider_planet_orders.emulator.files import BLOCK_SIZE, TAIL, FileSpec
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook
from tests.emulator.conftest import finish, scene_order

MiB = 1024 * 1024


def finished_order(emulator: EmulatorHandle, hook: PlanetOrdersHook, **body: Any) -> dict[str, Any]:
    order = hook.create_order(scene_order(items=("item-1", "item-2"), **body))
    finish(emulator)
    return hook.get_order(order["id"])


def links(order: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"].rsplit("/", 1)[-1]: r for r in order["_links"]["results"]}


def test_results_list_every_file_and_the_manifest(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = finished_order(emulator, hook)
    results = order["_links"]["results"]
    oid = order["id"]
    assert [r["name"] for r in results] == [
        f"{oid}/PSScene/item-1_analytic_udm2.tif",
        f"{oid}/PSScene/item-2_analytic_udm2.tif",
        f"{oid}/manifest.json",
    ]
    for result in results:
        assert result["delivery"] == "success"
        assert result["location"].startswith(f"{emulator.url}/compute/ops/download/?token=")
        expires = datetime.fromisoformat(result["expires_at"].replace("Z", "+00:00"))
        modified = datetime.fromisoformat(order["last_modified"].replace("Z", "+00:00"))
        assert expires - modified > timedelta(seconds=emulator.config.link_ttl - 5)


def test_files_stream_with_headers_and_without_an_api_key(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    result = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]
    response = httpx.get(result["location"])  # no credentials: the token is the credential
    assert response.status_code == 200
    assert response.headers["content-length"] == str(emulator.config.file_size)
    assert response.headers["content-disposition"] == 'attachment; filename="item-1_analytic_udm2.tif"'
    assert response.headers["content-type"] == "image/tiff"
    assert response.headers["accept-ranges"] == "bytes"
    assert len(response.content) == emulator.config.file_size
    assert emulator.stats()["bytes_served"] == emulator.config.file_size


def test_the_hook_streams_and_resumes_a_file(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    emulator.configure(file_size=3 * MiB + 123)
    location = links(finished_order(emulator, hook))["item-2_analytic_udm2.tif"]["location"]
    whole = hook.open_result(location).read()
    assert len(whole) == 3 * MiB + 123
    with hook.open_result(location, offset=MiB + 7) as resumed:
        assert (resumed.status, resumed.start) == (206, MiB + 7)
        assert b"".join(resumed.chunks) == whole[MiB + 7 :]


def test_manifest_digests_match_the_bytes(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    emulator.configure(file_size=2 * MiB + 5)
    order = finished_order(emulator, hook)
    files = links(order)
    manifest = json.loads(httpx.get(files["manifest.json"]["location"]).content)
    assert manifest["name"] == ""
    assert [entry["path"] for entry in manifest["files"]] == [
        "PSScene/item-1_analytic_udm2.tif",
        "PSScene/item-2_analytic_udm2.tif",
    ]
    contents = set()
    for entry in manifest["files"]:
        data = httpx.get(files[entry["path"].rsplit("/", 1)[-1]]["location"]).content
        contents.add(data)
        assert entry["size"] == len(data)
        assert entry["digests"]["md5"] == hashlib.md5(data, usedforsecurity=False).hexdigest()
        assert entry["digests"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["media_type"] == "image/tiff"
        assert entry["annotations"]["planet/item_type"] == "PSScene"
        assert entry["annotations"]["planet/item_id"] in ("item-1", "item-2")
    assert len(contents) == 2  # two files, two contents


def test_files_are_deterministic(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    assert httpx.get(location).content == httpx.get(location).content


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, None),
        ("bytes=-50", -50, None),
        ("bytes=1048570-1048580", 1048570, 1048581),  # across a block edge
        ("bytes=0-2097151", 0, 2 * MiB),  # exactly two blocks
        (
            f"bytes={2 * MiB + 1000 - TAIL - 3}-{2 * MiB + 1000 - 1}",
            2 * MiB + 1000 - TAIL - 3,
            None,
        ),  # the tail
        ("bytes=5-99999999", 5, None),  # an end past the file is cut
        ("bytes= 7 - 9", 7, 10),
    ],
)
def test_range_requests_return_exactly_the_slice(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, header: str, start: int, end: int | None
) -> None:
    size = 2 * MiB + 1000
    emulator.configure(file_size=size)
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    whole = httpx.get(location).content
    response = httpx.get(location, headers={"Range": header})
    expected = whole[start:end]
    first = start % size
    assert response.status_code == 206
    assert response.content == expected
    assert response.headers["content-length"] == str(len(expected))
    assert response.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{size}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "pages=1-2", "bytes=9-3", "bytes=x-y"])
def test_ranges_the_emulator_does_not_serve_get_the_whole_file(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, header: str
) -> None:
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    response = httpx.get(location, headers={"Range": header})
    assert response.status_code == 200
    assert len(response.content) == emulator.config.file_size


@pytest.mark.parametrize("header", ["bytes=300000-", "bytes=-0"])
def test_unsatisfiable_ranges_get_416(emulator: EmulatorHandle, hook: PlanetOrdersHook, header: str) -> None:
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    response = httpx.get(location, headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{emulator.config.file_size}"


def test_head_gives_the_headers_only(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    response = httpx.head(location)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(emulator.config.file_size)
    assert response.content == b""


def test_links_expire_and_a_new_get_gives_fresh_ones(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    order = finished_order(emulator, hook)
    old = links(order)["item-1_analytic_udm2.tif"]
    emulator.advance(emulator.config.link_ttl - 1)
    assert httpx.get(old["location"]).status_code == 200
    emulator.advance(2)

    expired = httpx.get(old["location"])
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]

    fresh = links(hook.get_order(order["id"]))["item-1_analytic_udm2.tif"]
    assert fresh["location"] != old["location"]
    assert fresh["expires_at"] > old["expires_at"]
    assert httpx.get(fresh["location"]).content == httpx.get(fresh["location"]).content
    assert httpx.get(fresh["location"]).status_code == 200


@pytest.mark.parametrize("mangle", ["drop-token", "empty", "garbage", "bad-signature", "other-file"])
def test_bad_tokens_are_refused(emulator: EmulatorHandle, hook: PlanetOrdersHook, mangle: str) -> None:
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    base, token = location.split("?token=")
    header, payload, signature = token.split(".")
    if mangle == "other-file":
        claims = json.loads(_unb64(payload))
        claims["idx"] = 1
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        url = f"{base}?token={header}.{forged}.{signature}"
    else:
        url = {
            "drop-token": base,
            "empty": f"{base}?token=",
            "garbage": f"{base}?token=abc",
            "bad-signature": f"{base}?token={header}.{payload}.{signature[::-1]}",
        }[mangle]
    response = httpx.get(url)
    assert response.status_code == 401
    assert response.json()["message"]


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_links_of_a_forgotten_order_give_404(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    location = links(finished_order(emulator, hook))["item-1_analytic_udm2.tif"]["location"]
    emulator.reset()
    assert httpx.get(location).status_code in (401, 404)


@pytest.mark.parametrize(
    "body",
    [
        {"delivery": {"amazon_s3": {"bucket": "b", "aws_region": "r"}}},
        {"hosting": {"sentinel_hub": {"collection_id": "4bdef85c-3f50-4006-a713-2350da665f80"}}},
    ],
)
def test_cloud_delivery_and_hosting_have_no_download_links(
    emulator: EmulatorHandle, hook: PlanetOrdersHook, body: dict[str, Any]
) -> None:
    results = finished_order(emulator, hook, **body)["_links"]["results"]
    assert results
    assert all(set(r) == {"name", "delivery"} and r["delivery"] == "success" for r in results)


def test_file_content_is_generated_in_bounded_chunks() -> None:
    spec = FileSpec("order/PSScene/a.tif", 5 * BLOCK_SIZE + 17, "image/tiff")
    sizes = [len(chunk) for chunk in spec.chunks()]
    assert max(sizes) == BLOCK_SIZE
    assert sum(sizes) == spec.size
    assert spec.read(BLOCK_SIZE - 3, BLOCK_SIZE + 3) == spec.read()[BLOCK_SIZE - 3 : BLOCK_SIZE + 3]
    other = FileSpec("order/PSScene/b.tif", spec.size, "image/tiff")
    assert other.read() != spec.read()


def test_token_query_is_the_only_credential_in_a_location(
    emulator: EmulatorHandle, hook: PlanetOrdersHook
) -> None:
    location = links(finished_order(emulator, hook))["manifest.json"]["location"]
    assert set(parse_qs(urlsplit(location).query)) == {"token"}
    assert emulator.api_key not in location


def test_item_ids_that_are_not_ascii_still_download(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    order = hook.create_order(scene_order(items=('scène "1"',)))
    finish(emulator)
    location = links(hook.get_order(order["id"]))['scène "1"_analytic_udm2.tif']["location"]
    response = httpx.get(location)
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="sc?ne _1__analytic_udm2.tif"; ')
    assert "filename*=UTF-8''sc%C3%A8ne%20%221%22_analytic_udm2.tif" in disposition


def test_empty_files(emulator: EmulatorHandle, hook: PlanetOrdersHook) -> None:
    emulator.configure(file_size=0)
    files = links(finished_order(emulator, hook))
    location = files["item-1_analytic_udm2.tif"]["location"]
    response = httpx.get(location)
    assert (response.status_code, response.content) == (200, b"")
    assert httpx.get(location, headers={"Range": "bytes=0-"}).status_code == 416
    manifest = json.loads(httpx.get(files["manifest.json"]["location"]).content)
    assert manifest["files"][0]["digests"]["md5"] == hashlib.md5(b"", usedforsecurity=False).hexdigest()
    assert emulator.stats()["downloads_completed"] == 2
