"""Every order-request builder: its output, its eager argument checks, and that its output validates."""

from __future__ import annotations

import base64
import json
import warnings

import pytest

from airflow_provider_planet_orders.exceptions import PlanetInvalidOrderRequestError
from airflow_provider_planet_orders.order_request import (
    amazon_s3,
    azure_blob_storage,
    bandmath_tool,
    basemap_product,
    build_order_request,
    clip_tool,
    cloud_filter_tool,
    composite_tool,
    coregister_tool,
    delivery,
    encode_service_account_key,
    file_format_tool,
    google_cloud_storage,
    google_earth_engine,
    harmonize_tool,
    merge_tool,
    notifications,
    oracle_cloud_storage,
    planet_folders,
    reproject_tool,
    s3_compatible,
    scene_product,
    sentinel_hub_hosting,
    stac_metadata,
    tile_tool,
    toar_tool,
    validate_order_request,
)

POLYGON = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
MULTIPOLYGON = {"type": "MultiPolygon", "coordinates": [POLYGON["coordinates"]]}
SERVICE_ACCOUNT = {"type": "service_account", "project_id": "p", "private_key": "-----BEGIN KEY-----"}
SERVICE_ACCOUNT_B64 = base64.b64encode(json.dumps(SERVICE_ACCOUNT).encode()).decode()
SCENE = scene_product(["20240601_101010_00_2461"], "PSScene", "analytic_udm2")


def rejected(call, *args, **kwargs) -> dict[str, str]:
    """The problems a builder raised, as {argument: message}."""
    with pytest.raises(PlanetInvalidOrderRequestError) as info:
        call(*args, **kwargs)
    return dict(info.value.problems)


def valid(request: dict) -> None:
    """The request validates without errors and without warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_order_request(request)


def scenes_with(*, tools=None, delivery=None, **kwargs) -> dict:
    return build_order_request("builder test", [SCENE], tools=tools, delivery=delivery, **kwargs)


# --- the request ------------------------------------------------------------------------------


def test_build_order_request_writes_every_part() -> None:
    request = build_order_request(
        "everything",
        [SCENE],
        order_type="Partial",
        subscription_id=7,
        tools=[toar_tool()],
        delivery=delivery(archive_type="zip"),
        notifications=notifications(email=True),
        metadata=stac_metadata(),
    )
    assert request == {
        "name": "everything",
        "source_type": "scenes",
        "order_type": "partial",
        "subscription_id": 7,
        "products": [SCENE],
        "tools": [{"toar": {}}],
        "delivery": {"archive_type": "zip"},
        "notifications": {"email": True},
        "metadata": {"stac": {}},
    }
    valid(request)
    json.dumps(request)


def test_build_order_request_infers_basemaps_and_copies_its_inputs() -> None:
    product = basemap_product("global_monthly_2024_01_mosaic", quad_ids=("1234-5678",))
    request = build_order_request("basemap", (product,), tools=[merge_tool(), clip_tool()])
    assert request["source_type"] == "basemaps"
    assert request["products"] == [
        {"mosaic_name": "global_monthly_2024_01_mosaic", "quad_ids": ["1234-5678"]}
    ]
    request["products"][0]["quad_ids"].append("changed")
    assert product["quad_ids"] == ["1234-5678"]
    valid(request)


def test_build_order_request_keeps_an_explicit_source_type_and_hosting() -> None:
    request = build_order_request(
        "hosted", [SCENE], source_type="SCENES", hosting=sentinel_hub_hosting("c-1")
    )
    assert request["source_type"] == "scenes"
    assert request["hosting"] == {"sentinel_hub": {"collection_id": "c-1"}}
    valid(request)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"products": []}, "products"),
        ({"products": SCENE}, "products"),
        ({"products": ["not a product"]}, "products[0]"),
        ({"order_type": "some"}, "order_type"),
        ({"source_type": "all"}, "source_type"),
        ({"subscription_id": -1}, "subscription_id"),
        ({"subscription_id": True}, "subscription_id"),
        ({"tools": {"toar": {}}}, "tools"),
        ({"delivery": {}, "hosting": {"sentinel_hub": {}}}, "hosting"),
        ({"notifications": "email"}, "notifications"),
    ],
)
def test_build_order_request_rejects_bad_arguments(kwargs: dict, argument: str) -> None:
    arguments = {"name": "x", "products": [SCENE], **kwargs}
    assert argument in rejected(build_order_request, **arguments)


# --- products ---------------------------------------------------------------------------------


def test_scene_product_joins_fallback_bundles_and_fixes_known_case() -> None:
    product = scene_product(
        ["a", "b"], "psscene", "analytic_8b_sr_udm2", fallback_bundles=["analytic_sr_udm2", "visual"]
    )
    assert product == {
        "item_ids": ["a", "b"],
        "item_type": "PSScene",
        "product_bundle": "analytic_8b_sr_udm2,analytic_sr_udm2,visual",
    }
    assert (
        scene_product(["a"], "PSScene", "analytic_udm2", fallback_bundles="visual, analytic_udm2")[
            "product_bundle"
        ]
        == "analytic_udm2,visual"
    )
    assert scene_product(["a"], "NewSat", "new_bundle")["item_type"] == "NewSat"


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        (("20240601_101010_00_2461", "PSScene", "visual"), {}, "item_ids"),
        (([], "PSScene", "visual"), {}, "item_ids"),
        ((["a", ""], "PSScene", "visual"), {}, "item_ids[1]"),
        ((["a"] * 501, "PSScene", "visual"), {}, "item_ids"),
        ((["a"], "", "visual"), {}, "item_type"),
        ((["a"], "PSScene", "visual,,analytic"), {}, "product_bundle"),
        ((["a"], "PSScene", "visual"), {"fallback_bundles": ["ok", "two words"]}, "fallback_bundles[1]"),
    ],
)
def test_scene_product_rejects_bad_arguments(args: tuple, kwargs: dict, argument: str) -> None:
    assert argument in rejected(scene_product, *args, **kwargs)


class _Shape:
    """Stands in for a shapely shape: only ``__geo_interface__``, with tuples as shapely gives."""

    __geo_interface__ = {
        "type": "Polygon",
        "coordinates": (((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)),),
    }


def test_basemap_product_takes_a_geometry_in_several_forms() -> None:
    assert basemap_product("m", geometry=POLYGON) == {"mosaic_name": "m", "geometry": POLYGON}
    feature = {"type": "Feature", "properties": {}, "geometry": MULTIPOLYGON}
    assert basemap_product("m", geometry=feature)["geometry"] == MULTIPOLYGON
    collection = {"type": "FeatureCollection", "features": [feature]}
    assert basemap_product("m", geometry=collection)["geometry"] == MULTIPOLYGON
    from_shape = basemap_product("m", geometry=_Shape())["geometry"]
    assert from_shape == {
        "type": "Polygon",
        "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
    }
    valid(build_order_request("b", [basemap_product("m", geometry=_Shape())]))


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({}, "geometry"),
        ({"geometry": POLYGON, "quad_ids": ["1-2"]}, "geometry"),
        ({"quad_ids": []}, "quad_ids"),
        ({"geometry": {"type": "Point", "coordinates": [0, 0]}}, "geometry.type"),
        (
            {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}},
            "geometry.coordinates[0]",
        ),
        ({"geometry": "pl:features/my/collection/id"}, "geometry"),
        ({"geometry": {"type": "FeatureCollection", "features": []}}, "geometry"),
    ],
)
def test_basemap_product_rejects_bad_areas(kwargs: dict, argument: str) -> None:
    assert argument in rejected(basemap_product, "mosaic", **kwargs)


# --- tools ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        (harmonize_tool("sentinel-2"), {"harmonize": {"target_sensor": "Sentinel-2"}}),
        (
            coregister_tool("20240601_101010_00_2461"),
            {"coregister": {"anchor_item": "20240601_101010_00_2461"}},
        ),
        (toar_tool(), {"toar": {}}),
        (toar_tool(10000), {"toar": {"scale_factor": 10000}}),
        (clip_tool(POLYGON), {"clip": {"aoi": POLYGON}}),
        (clip_tool(MULTIPOLYGON), {"clip": {"aoi": MULTIPOLYGON}}),
        (
            clip_tool("pl:features/my/fields/f1"),
            {"clip": {"aoi": {"type": "ref", "content": "pl:features/my/fields/f1"}}},
        ),
        (reproject_tool("EPSG:4326"), {"reproject": {"projection": "EPSG:4326"}}),
        (
            reproject_tool("EPSG:32611", resolution=3, kernel="CUBIC"),
            {"reproject": {"projection": "EPSG:32611", "resolution": 3, "kernel": "cubic"}},
        ),
        (bandmath_tool("b1", "(b4-b3)/(b4+b3)"), {"bandmath": {"b1": "b1", "b2": "(b4-b3)/(b4+b3)"}}),
        (bandmath_tool("b1", pixel_type="32r"), {"bandmath": {"b1": "b1", "pixel_type": "32R"}}),
        (composite_tool(), {"composite": {}}),
        (composite_tool("STRIP_ID"), {"composite": {"group_by": "strip_id"}}),
        (tile_tool(256), {"tile": {"tile_size": 256}}),
        (
            tile_tool(
                1232,
                origin_x=-180,
                origin_y=-90,
                pixel_size=2.7e-5,
                name_template="t_{tilex}",
                conformal_x_scaling=True,
            ),
            {
                "tile": {
                    "tile_size": 1232,
                    "origin_x": -180,
                    "origin_y": -90,
                    "pixel_size": 2.7e-5,
                    "name_template": "t_{tilex}",
                    "conformal_x_scaling": True,
                }
            },
        ),
        (cloud_filter_tool(cloud_percent={"lte": 10}), {"cloud_filter": {"cloud_percent": {"lte": 10}}}),
        (
            cloud_filter_tool(clear_percent={"gte": 80, "lte": 100}, snow_ice_percent={"lte": 5.5}),
            {"cloud_filter": {"clear_percent": {"gte": 80, "lte": 100}, "snow_ice_percent": {"lte": 5.5}}},
        ),
        (file_format_tool("cog"), {"file_format": {"format": "COG"}}),
        (file_format_tool("PL_NITF"), {"file_format": {"format": "PL_NITF"}}),
    ],
)
def test_scene_tools(tool: dict, expected: dict) -> None:
    assert tool == expected
    valid(scenes_with(tools=[tool]))


@pytest.mark.parametrize(
    "tool", [clip_tool(), merge_tool(), file_format_tool("COG"), reproject_tool("EPSG:3857")]
)
def test_basemap_tools(tool: dict) -> None:
    valid(build_order_request("b", [basemap_product("m", geometry=POLYGON)], tools=[tool]))


def test_merge_and_basemap_clip_have_no_parameters() -> None:
    assert merge_tool() == {"merge": {}}
    assert clip_tool() == {"clip": {}}


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: harmonize_tool(""), "target_sensor"),
        (lambda: coregister_tool(None), "anchor_item"),
        (lambda: toar_tool(0), "scale_factor"),
        (lambda: toar_tool(1.5), "scale_factor"),
        (
            lambda: clip_tool(
                {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}}
            ),
            "aoi.type",
        ),
        (lambda: reproject_tool(""), "projection"),
        (lambda: reproject_tool("EPSG:4326", resolution=0), "resolution"),
        (lambda: reproject_tool("EPSG:4326", resolution=float("nan")), "resolution"),
        (lambda: reproject_tool("EPSG:4326", kernel="nearest"), "kernel"),
        (lambda: bandmath_tool("b1", None, "b3"), "b2"),
        (lambda: bandmath_tool("b1", pixel_type="64R"), "pixel_type"),
        (lambda: composite_tool("day"), "group_by"),
        (lambda: tile_tool(0), "tile_size"),
        (lambda: tile_tool(256, pixel_size=-1), "pixel_size"),
        (lambda: tile_tool(256, conformal_x_scaling="yes"), "conformal_x_scaling"),
        (lambda: cloud_filter_tool(), "cloud_filter_tool"),
        (lambda: cloud_filter_tool(cloud_percent=10), "cloud_percent"),
        (lambda: cloud_filter_tool(cloud_percent={"max": 10}), "cloud_percent"),
        (lambda: cloud_filter_tool(cloud_percent={}), "cloud_percent"),
        (lambda: cloud_filter_tool(cloud_percent={"lte": 101}), "cloud_percent.lte"),
        (lambda: cloud_filter_tool(cloud_percent={"gte": 50, "lte": 10}), "cloud_percent"),
        (lambda: file_format_tool("tiff"), "format"),
    ],
)
def test_tools_reject_bad_arguments(call, argument: str) -> None:
    assert argument in rejected(call)


def test_a_feature_as_clip_aoi_becomes_its_geometry() -> None:
    assert clip_tool({"type": "Feature", "properties": None, "geometry": POLYGON}) == {
        "clip": {"aoi": POLYGON}
    }


# --- delivery ---------------------------------------------------------------------------------

CLOUD_TARGETS = [
    (
        amazon_s3(
            "bucket",
            "us-east-1",
            aws_access_key_id="AKIAEXAMPLE",
            aws_secret_access_key="s3-secret",
            path_prefix="a/",
        ),
        {
            "amazon_s3": {
                "bucket": "bucket",
                "aws_region": "us-east-1",
                "aws_access_key_id": "AKIAEXAMPLE",
                "aws_secret_access_key": "s3-secret",
                "path_prefix": "a/",
            }
        },
    ),
    (
        amazon_s3(bucket="bucket", aws_region="us-east-1", aws_conn_id="aws_default"),
        {"amazon_s3": {"bucket": "bucket", "aws_region": "us-east-1", "airflow_conn_id": "aws_default"}},
    ),
    (
        amazon_s3(bucket="bucket", aws_conn_id="aws_default"),
        {"amazon_s3": {"bucket": "bucket", "airflow_conn_id": "aws_default"}},
    ),
    (
        azure_blob_storage("acct", "container", "?sv=2020&sig=x", storage_endpoint_suffix="core.windows.net"),
        {
            "azure_blob_storage": {
                "account": "acct",
                "container": "container",
                "sas_token": "sv=2020&sig=x",
                "storage_endpoint_suffix": "core.windows.net",
            }
        },
    ),
    (
        google_cloud_storage("bucket", SERVICE_ACCOUNT, path_prefix="p"),
        {
            "google_cloud_storage": {
                "bucket": "bucket",
                "credentials": SERVICE_ACCOUNT_B64,
                "path_prefix": "p",
            }
        },
    ),
    (
        google_cloud_storage("bucket", SERVICE_ACCOUNT_B64),
        {"google_cloud_storage": {"bucket": "bucket", "credentials": SERVICE_ACCOUNT_B64}},
    ),
    (
        google_cloud_storage(bucket="bucket", gcp_conn_id="google_cloud_default"),
        {"google_cloud_storage": {"bucket": "bucket", "airflow_conn_id": "google_cloud_default"}},
    ),
    (
        google_earth_engine("my-project", "my-collection"),
        {"google_earth_engine": {"project": "my-project", "collection": "my-collection"}},
    ),
    (
        oracle_cloud_storage("bucket", "us-ashburn-1", "ns", "ocid-key", "oracle-secret"),
        {
            "oracle_cloud_storage": {
                "bucket": "bucket",
                "customer_access_key_id": "ocid-key",
                "customer_secret_key": "oracle-secret",
                "region": "us-ashburn-1",
                "namespace": "ns",
            }
        },
    ),
    (planet_folders("f-1"), {"planet_folders": {"folder_id": "f-1"}}),
    (planet_folders(), {"planet_folders": {}}),
    (
        s3_compatible(
            "bucket",
            "https://minio.example.com",
            "us-east-1",
            access_key_id="minio",
            secret_access_key="minio-secret",
            use_path_style=True,
        ),
        {
            "s3_compatible": {
                "bucket": "bucket",
                "endpoint": "https://minio.example.com",
                "region": "us-east-1",
                "access_key_id": "minio",
                "secret_access_key": "minio-secret",
                "use_path_style": True,
            }
        },
    ),
    (
        s3_compatible("bucket", aws_conn_id="minio_conn"),
        {"s3_compatible": {"bucket": "bucket", "airflow_conn_id": "minio_conn"}},
    ),
]


@pytest.mark.parametrize(("target", "expected"), CLOUD_TARGETS)
def test_cloud_targets(target: dict, expected: dict) -> None:
    assert target == expected
    valid(scenes_with(delivery=delivery(target)))


def test_delivery_archive_options_and_layout() -> None:
    assert delivery(
        archive_type="ZIP", single_archive=True, archive_filename="{{name}}.zip", layout="standard"
    ) == {
        "archive_type": "zip",
        "single_archive": True,
        "archive_filename": "{{name}}.zip",
        "layout": {"format": "standard"},
    }
    assert delivery(single_archive=True) == {"archive_type": "zip", "single_archive": True}
    assert delivery() == {}
    combined = delivery(planet_folders(), archive_type="zip", layout={"format": "standard"})
    assert combined == {"archive_type": "zip", "layout": {"format": "standard"}, "planet_folders": {}}
    valid(scenes_with(delivery=combined))


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: delivery(archive_type="tar"), "archive_type"),
        (lambda: delivery(single_archive="yes"), "single_archive"),
        (lambda: delivery({"amazon_s3": {}, "planet_folders": {}}), "target"),
        (lambda: delivery({"dropbox": {}}), "target"),
        (lambda: delivery({"planet_folders": "f"}), "target"),
        (lambda: amazon_s3("b", "r", aws_access_key_id="k"), "aws_secret_access_key"),
        (lambda: amazon_s3("b", aws_access_key_id="k", aws_secret_access_key="s"), "aws_region"),
        (lambda: amazon_s3("b", "r", aws_secret_access_key="s", aws_conn_id="aws"), "aws_secret_access_key"),
        (lambda: amazon_s3("b", "r", aws_conn_id=""), "aws_conn_id"),
        (lambda: amazon_s3("b", "r", aws_conn_id="aws", path_prefix=3), "path_prefix"),
        (lambda: azure_blob_storage("a", "c", "?"), "sas_token"),
        (lambda: google_cloud_storage("b"), "credentials"),
        (lambda: google_cloud_storage("b", SERVICE_ACCOUNT_B64, gcp_conn_id="gcp"), "credentials"),
        (lambda: google_cloud_storage("b", "not base64 at all!"), "credentials"),
        (lambda: google_cloud_storage("b", "{not json"), "credentials"),
        (lambda: google_cloud_storage("b", "[1, 2]"), "credentials"),
        (lambda: google_earth_engine("p", ""), "collection"),
        (lambda: oracle_cloud_storage("b", "r", "ns", "k", ""), "customer_secret_key"),
        (lambda: planet_folders(""), "folder_id"),
        (lambda: s3_compatible("b", region="r", access_key_id="k", secret_access_key="s"), "endpoint"),
        (lambda: s3_compatible("b", "e", "r", access_key_id="k", aws_conn_id="c"), "access_key_id"),
        (
            lambda: s3_compatible("b", "e", "r", access_key_id="k", secret_access_key="s", use_path_style=1),
            "use_path_style",
        ),
    ],
)
def test_delivery_builders_reject_bad_arguments(call, argument: str) -> None:
    assert argument in rejected(call)


def test_credential_errors_never_echo_the_secret() -> None:
    with pytest.raises(PlanetInvalidOrderRequestError) as info:
        google_cloud_storage("b", "very-secret-but-not-base64")
    assert "very-secret" not in str(info.value)


def test_encode_service_account_key_accepts_json_text_dict_and_base64() -> None:
    text = json.dumps(SERVICE_ACCOUNT)
    assert json.loads(base64.b64decode(encode_service_account_key(text))) == SERVICE_ACCOUNT
    assert encode_service_account_key(SERVICE_ACCOUNT) == SERVICE_ACCOUNT_B64
    assert encode_service_account_key(SERVICE_ACCOUNT_B64) == SERVICE_ACCOUNT_B64


# --- notifications, metadata, hosting -----------------------------------------------------------


def test_notifications() -> None:
    assert notifications(email=False) == {"email": False}
    assert notifications(
        webhook_url="https://hooks.example.com/planet", webhook_per_order=True, email=True
    ) == {
        "webhook": {"url": "https://hooks.example.com/planet", "per_order": True},
        "email": True,
    }
    valid(scenes_with(notifications=notifications(webhook_url="http://localhost:8080/x")))


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({}, "notifications"),
        ({"webhook_url": "hooks.example.com"}, "webhook_url"),
        ({"webhook_per_order": True}, "webhook_per_order"),
        ({"email": "yes"}, "email"),
    ],
)
def test_notifications_reject_bad_arguments(kwargs: dict, argument: str) -> None:
    assert argument in rejected(notifications, **kwargs)


def test_stac_metadata() -> None:
    assert stac_metadata() == {"stac": {}}
    valid(scenes_with(metadata=stac_metadata()))


def test_sentinel_hub_hosting() -> None:
    assert sentinel_hub_hosting() == {"sentinel_hub": {}}
    hosting = sentinel_hub_hosting(
        "4bdef85c-3f50-4006-a713-2350da665f80", create_configuration=True, configuration_id="c"
    )
    assert hosting == {
        "sentinel_hub": {
            "collection_id": "4bdef85c-3f50-4006-a713-2350da665f80",
            "create_configuration": True,
            "configuration_id": "c",
        }
    }
    valid(scenes_with(hosting=hosting))
    assert "create_configuration" in rejected(sentinel_hub_hosting, create_configuration="true")
