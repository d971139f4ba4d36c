"""
validate_order_request: each rule with a failing and a passing example, the error and warning format,
and inputs that are not requests at all.
"""

from __future__ import annotations

import copy
import datetime
import json
import types
import warnings
from typing import Any

import pytest

from airflow_provider_planet_orders.exceptions import PlanetInvalidInputError, PlanetInvalidOrderRequestError
from airflow_provider_planet_orders.order_request import PlanetOrderRequestWarning, validate_order_request

POLYGON = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
SA_B64 = "eyJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCJ9"  # base64 of {"type": "service_account"}

SCENES: dict[str, Any] = {
    "name": "rules",
    "source_type": "scenes",
    "products": [
        {"item_ids": ["20240601_101010_00_2461"], "item_type": "PSScene", "product_bundle": "analytic_udm2"}
    ],
}
BASEMAPS: dict[str, Any] = {
    "name": "rules",
    "source_type": "basemaps",
    "products": [{"mosaic_name": "global_monthly_2024_01_mosaic", "geometry": POLYGON}],
}

DELETE = object()


def edit(base: dict, *changes: tuple[str, Any]) -> dict:
    """A deep copy of ``base`` with ``("a.b[0].c", value)`` changes applied; DELETE removes a key."""
    request = copy.deepcopy(base)
    for path, value in changes:
        tokens = path.replace("]", "").replace("[", ".").split(".")
        parts: list[str | int] = [int(token) if token.isdigit() else token for token in tokens]
        node: Any = request
        for part in parts[:-1]:
            if isinstance(part, str) and part not in node:
                node[part] = {}
            node = node[part]
        if value is DELETE:
            del node[parts[-1]]
        elif isinstance(node, list) and parts[-1] == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[parts[-1]] = copy.deepcopy(value)
    return request


def problems(request: Any) -> list[tuple[str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(PlanetInvalidOrderRequestError) as info:
            validate_order_request(request)
    return info.value.problems


def notes(request: Any) -> list[tuple[str, str]]:
    """The warnings of a request that must otherwise be valid."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_order_request(request)
    found = [w.message for w in caught if isinstance(w.message, PlanetOrderRequestWarning)]
    return [(w.path, w.problem) for w in found]


def assert_valid(request: Any) -> None:
    assert notes(request) == []


def assert_problem(request: Any, path: str, fragment: str) -> None:
    found = problems(request)
    assert any(p == path and fragment in m for p, m in found), found


# Each rule: (id, a request that passes, a request that fails, the failing path, a piece of its message).
RULES: list[tuple[str, dict, dict, str, str]] = [
    # the request
    ("name required", SCENES, edit(SCENES, ("name", DELETE)), "name", "is required"),
    ("name not empty", SCENES, edit(SCENES, ("name", "  ")), "name", "must not be empty"),
    ("name is a string", SCENES, edit(SCENES, ("name", 5)), "name", "must be a string, got number"),
    ("products required", SCENES, edit(SCENES, ("products", DELETE)), "products", "is required"),
    ("products not empty", SCENES, edit(SCENES, ("products", [])), "products", "must not be empty"),
    ("products a list", SCENES, edit(SCENES, ("products", {})), "products", "must be a list, got object"),
    ("product an object", SCENES, edit(SCENES, ("products", ["x"])), "products[0]", "must be an object"),
    (
        "subscription_id integer",
        edit(SCENES, ("subscription_id", 0)),
        edit(SCENES, ("subscription_id", "5")),
        "subscription_id",
        "must be an integer, got string",
    ),
    (
        "subscription_id not negative",
        edit(SCENES, ("subscription_id", 12)),
        edit(SCENES, ("subscription_id", -1)),
        "subscription_id",
        "must be at least 0",
    ),
    (
        "order_type enum",
        edit(SCENES, ("order_type", "partial")),
        edit(SCENES, ("order_type", "Full")),
        "order_type",
        "did you mean 'full'?",
    ),
    (
        "source_type enum",
        BASEMAPS,
        edit(SCENES, ("source_type", "all")),
        "source_type",
        "must be one of 'scenes'",
    ),
    # scene products
    (
        "item_ids not empty",
        SCENES,
        edit(SCENES, ("products[0].item_ids", [])),
        "products[0].item_ids",
        "must not be empty",
    ),
    (
        "item_ids a list",
        SCENES,
        edit(SCENES, ("products[0].item_ids", "20240601_101010_00_2461")),
        "products[0].item_ids",
        "must be a list, got string",
    ),
    (
        "item ids are strings",
        SCENES,
        edit(SCENES, ("products[0].item_ids", ["a", 7])),
        "products[0].item_ids[1]",
        "must be a string, got number 7",
    ),
    (
        "item_type required",
        SCENES,
        edit(SCENES, ("products[0].item_type", DELETE)),
        "products[0].item_type",
        "is required",
    ),
    (
        "fallback bundles without spaces",
        edit(SCENES, ("products[0].product_bundle", "analytic_udm2,visual")),
        edit(SCENES, ("products[0].product_bundle", "analytic_udm2, visual")),
        "products[0].product_bundle",
        "must not contain spaces",
    ),
    (
        "fallback bundles without empty names",
        SCENES,
        edit(SCENES, ("products[0].product_bundle", "analytic_udm2,")),
        "products[0].product_bundle",
        "empty bundle name",
    ),
    (
        "scenes products for a scenes order",
        SCENES,
        edit(SCENES, ("products[0]", {"mosaic_name": "m", "quad_ids": ["1-2"]})),
        "products[0]",
        "set source_type to 'basemaps'",
    ),
    (
        "at most 500 items",
        edit(SCENES, ("products[0].item_ids", [f"i{n}" for n in range(500)])),
        edit(
            SCENES,
            ("products[0].item_ids", [f"i{n}" for n in range(250)]),
            (
                "products[1]",
                {
                    "item_ids": [f"j{n}" for n in range(251)],
                    "item_type": "PSScene",
                    "product_bundle": "visual",
                },
            ),
        ),
        "products",
        "at most 500 items over all its products, this one has 501",
    ),
    (
        "at most 50 zipped SkySatCollect items",
        edit(
            SCENES,
            (
                "products[0]",
                {
                    "item_ids": [f"s{n}" for n in range(51)],
                    "item_type": "SkySatCollect",
                    "product_bundle": "visual",
                },
            ),
        ),
        edit(
            SCENES,
            (
                "products[0]",
                {
                    "item_ids": [f"s{n}" for n in range(51)],
                    "item_type": "SkySatCollect",
                    "product_bundle": "visual",
                },
            ),
            ("delivery", {"archive_type": "zip"}),
        ),
        "products",
        "a zipped order of SkySatCollect items takes at most 50 items, this one has 51",
    ),
    # basemap products
    (
        "basemaps products for a basemaps order",
        BASEMAPS,
        edit(BASEMAPS, ("products[0]", SCENES["products"][0])),
        "products[0]",
        "needs a mosaic_name",
    ),
    (
        "basemap area required",
        BASEMAPS,
        edit(BASEMAPS, ("products[0].geometry", DELETE)),
        "products[0]",
        "needs a geometry or quad_ids",
    ),
    (
        "basemap area given once",
        edit(BASEMAPS, ("products[0].geometry", DELETE), ("products[0].quad_ids", ["1-2"])),
        edit(BASEMAPS, ("products[0].quad_ids", ["1-2"])),
        "products[0]",
        "not both",
    ),
    (
        "quad_ids not empty",
        edit(BASEMAPS, ("products[0].geometry", DELETE), ("products[0].quad_ids", ["1-2"])),
        edit(BASEMAPS, ("products[0].geometry", DELETE), ("products[0].quad_ids", [])),
        "products[0].quad_ids",
        "must not be empty",
    ),
    (
        "at most 500 quads",
        edit(
            BASEMAPS, ("products[0].geometry", DELETE), ("products[0].quad_ids", [str(n) for n in range(500)])
        ),
        edit(
            BASEMAPS, ("products[0].geometry", DELETE), ("products[0].quad_ids", [str(n) for n in range(501)])
        ),
        "products",
        "at most 500 items",
    ),
    (
        "basemap geometry is a polygon",
        edit(
            BASEMAPS,
            ("products[0].geometry", {"type": "MultiPolygon", "coordinates": [POLYGON["coordinates"]]}),
        ),
        edit(BASEMAPS, ("products[0].geometry", {"type": "Point", "coordinates": [0, 0]})),
        "products[0].geometry.type",
        "must be 'Polygon' or 'MultiPolygon', got 'Point'",
    ),
    (
        "basemap geometry not a feature reference",
        BASEMAPS,
        edit(BASEMAPS, ("products[0].geometry", {"type": "ref", "content": "pl:features/a/b"})),
        "products[0].geometry",
        "feature reference is not accepted here",
    ),
    # GeoJSON, through the clip tool
    (
        "geometry not a Feature",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(
            SCENES, ("tools", [{"clip": {"aoi": {"type": "Feature", "properties": {}, "geometry": POLYGON}}}])
        ),
        "tools[0].clip.aoi",
        "is a GeoJSON Feature",
    ),
    (
        "geometry type case",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(SCENES, ("tools", [{"clip": {"aoi": {**POLYGON, "type": "polygon"}}}])),
        "tools[0].clip.aoi.type",
        "did you mean 'Polygon'?",
    ),
    (
        "geometry type required",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(SCENES, ("tools", [{"clip": {"aoi": {"coordinates": POLYGON["coordinates"]}}}])),
        "tools[0].clip.aoi.type",
        "is required",
    ),
    (
        "rings closed",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(
            SCENES,
            ("tools", [{"clip": {"aoi": {**POLYGON, "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}}]),
        ),
        "tools[0].clip.aoi.coordinates[0]",
        "is not closed",
    ),
    (
        "rings of four positions",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(SCENES, ("tools", [{"clip": {"aoi": {**POLYGON, "coordinates": [[[0, 0], [1, 0], [0, 0]]]}}}])),
        "tools[0].clip.aoi.coordinates[0]",
        "must have at least 4 entries, got 3",
    ),
    (
        "positions are numbers",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(SCENES, ("tools", [{"clip": {"aoi": edit(POLYGON, ("coordinates[0][1][0]", "1"))}}])),
        "tools[0].clip.aoi.coordinates[0][1][0]",
        "must be a number, got string",
    ),
    (
        "multipolygons hold polygons",
        edit(
            SCENES,
            ("tools", [{"clip": {"aoi": {"type": "MultiPolygon", "coordinates": [POLYGON["coordinates"]]}}}]),
        ),
        edit(SCENES, ("tools", [{"clip": {"aoi": {"type": "MultiPolygon", "coordinates": [[]]}}}])),
        "tools[0].clip.aoi.coordinates[0]",
        "must not be empty",
    ),
    (
        "feature references",
        edit(SCENES, ("tools", [{"clip": {"aoi": {"type": "ref", "content": "pl:features/my/fields/f1"}}}])),
        edit(SCENES, ("tools", [{"clip": {"aoi": {"type": "ref", "content": "my/fields/f1"}}}])),
        "tools[0].clip.aoi.content",
        "must be a Planet feature reference",
    ),
    # tools
    ("tools a list", SCENES, edit(SCENES, ("tools", {"toar": {}})), "tools", "must be a list, got object"),
    (
        "tool entries are objects",
        edit(SCENES, ("tools", [{"toar": {}}])),
        edit(SCENES, ("tools", ["toar"])),
        "tools[0]",
        "must be an object naming one tool",
    ),
    (
        "tool entries name a tool",
        edit(SCENES, ("tools", [{"toar": {}}])),
        edit(SCENES, ("tools", [{}])),
        "tools[0]",
        "names no tool",
    ),
    (
        "one tool per entry",
        edit(SCENES, ("tools", [{"toar": {}}, {"composite": {}}])),
        edit(SCENES, ("tools", [{"toar": {}, "composite": {}}])),
        "tools[0]",
        "names 2 tools",
    ),
    (
        "known tools",
        edit(SCENES, ("tools", [{"toar": {}}])),
        edit(SCENES, ("tools", [{"tooar": {}}])),
        "tools[0].tooar",
        "is not an Orders API tool (did you mean 'toar'?)",
    ),
    (
        "the Orders API form of tools",
        edit(SCENES, ("tools", [{"toar": {}}])),
        edit(SCENES, ("tools", [{"type": "toar", "parameters": {}}])),
        "tools[0]",
        "Subscriptions API form",
    ),
    (
        "tools of scenes orders",
        edit(SCENES, ("tools", [{"composite": {}}])),
        edit(SCENES, ("tools", [{"merge": {}}])),
        "tools[0]",
        "'merge' is not available for scenes orders",
    ),
    (
        "tools of basemaps orders",
        edit(BASEMAPS, ("tools", [{"merge": {}}, {"clip": {}}])),
        edit(BASEMAPS, ("tools", [{"toar": {}}])),
        "tools[0]",
        "'toar' is not available for basemaps orders",
    ),
    (
        "tool parameters not null",
        edit(SCENES, ("tools", [{"toar": {}}])),
        edit(SCENES, ("tools", [{"toar": None}])),
        "tools[0].toar",
        "must not be null",
    ),
    (
        "tool parameters an object",
        edit(SCENES, ("tools", [{"toar": {}}])),
        edit(SCENES, ("tools", [{"toar": 10000}])),
        "tools[0].toar",
        "must be an object, got number",
    ),
    (
        "harmonize target_sensor",
        edit(SCENES, ("tools", [{"harmonize": {"target_sensor": "Sentinel-2"}}])),
        edit(SCENES, ("tools", [{"harmonize": {}}])),
        "tools[0].harmonize.target_sensor",
        "is required",
    ),
    (
        "coregister anchor_item",
        edit(SCENES, ("tools", [{"coregister": {"anchor_item": "20240601_101010_00_2461"}}])),
        edit(SCENES, ("tools", [{"coregister": {"anchor_item": ""}}])),
        "tools[0].coregister.anchor_item",
        "must not be empty",
    ),
    (
        "toar scale_factor",
        edit(SCENES, ("tools", [{"toar": {"scale_factor": 10000}}])),
        edit(SCENES, ("tools", [{"toar": {"scale_factor": 0}}])),
        "tools[0].toar.scale_factor",
        "must be at least 1, got number 0",
    ),
    (
        "toar scale_factor an integer",
        edit(SCENES, ("tools", [{"toar": {"scale_factor": 10000}}])),
        edit(SCENES, ("tools", [{"toar": {"scale_factor": 100.5}}])),
        "tools[0].toar.scale_factor",
        "must be an integer, got number 100.5",
    ),
    (
        "scenes clip needs an aoi",
        edit(SCENES, ("tools", [{"clip": {"aoi": POLYGON}}])),
        edit(SCENES, ("tools", [{"clip": {}}])),
        "tools[0].clip.aoi",
        "is required for scenes orders",
    ),
    (
        "reproject projection",
        edit(SCENES, ("tools", [{"reproject": {"projection": "EPSG:4326"}}])),
        edit(SCENES, ("tools", [{"reproject": {"resolution": 3}}])),
        "tools[0].reproject.projection",
        "is required",
    ),
    (
        "reproject resolution",
        edit(SCENES, ("tools", [{"reproject": {"projection": "EPSG:4326", "resolution": 0.5}}])),
        edit(SCENES, ("tools", [{"reproject": {"projection": "EPSG:4326", "resolution": 0}}])),
        "tools[0].reproject.resolution",
        "must be greater than 0",
    ),
    (
        "reproject kernel",
        edit(SCENES, ("tools", [{"reproject": {"projection": "EPSG:4326", "kernel": "cubic"}}])),
        edit(SCENES, ("tools", [{"reproject": {"projection": "EPSG:4326", "kernel": "Cubic"}}])),
        "tools[0].reproject.kernel",
        "did you mean 'cubic'?",
    ),
    (
        "bandmath needs b1",
        edit(SCENES, ("tools", [{"bandmath": {"b1": "b1"}}])),
        edit(SCENES, ("tools", [{"bandmath": {"pixel_type": "Auto"}}])),
        "tools[0].bandmath",
        "needs at least the b1 expression",
    ),
    (
        "bandmath bands not skipped",
        edit(SCENES, ("tools", [{"bandmath": {"b1": "b1", "b2": "b2", "b3": "b3"}}])),
        edit(SCENES, ("tools", [{"bandmath": {"b1": "b1", "b3": "b3"}}])),
        "tools[0].bandmath.b2",
        "is missing while b3 is set",
    ),
    (
        "bandmath at most 15 bands",
        edit(SCENES, ("tools", [{"bandmath": {f"b{n}": "b1" for n in range(1, 16)}}])),
        edit(SCENES, ("tools", [{"bandmath": {f"b{n}": "b1" for n in range(1, 17)}}])),
        "tools[0].bandmath.b16",
        "one band too many",
    ),
    (
        "bandmath pixel_type",
        edit(SCENES, ("tools", [{"bandmath": {"b1": "b1", "pixel_type": "16U"}}])),
        edit(SCENES, ("tools", [{"bandmath": {"b1": "b1", "pixel_type": "16u"}}])),
        "tools[0].bandmath.pixel_type",
        "did you mean '16U'?",
    ),
    (
        "composite group_by",
        edit(SCENES, ("tools", [{"composite": {"group_by": "strip_id"}}])),
        edit(SCENES, ("tools", [{"composite": {"group_by": "strip"}}])),
        "tools[0].composite.group_by",
        "did you mean 'strip_id'?",
    ),
    (
        "tile tile_size",
        edit(SCENES, ("tools", [{"tile": {"tile_size": 256}}])),
        edit(SCENES, ("tools", [{"tile": {"tile_size": 0}}])),
        "tools[0].tile.tile_size",
        "must be greater than 0",
    ),
    (
        "tile conformal_x_scaling",
        edit(SCENES, ("tools", [{"tile": {"tile_size": 256, "conformal_x_scaling": False}}])),
        edit(SCENES, ("tools", [{"tile": {"tile_size": 256, "conformal_x_scaling": "false"}}])),
        "tools[0].tile.conformal_x_scaling",
        "must be true or false, got string",
    ),
    (
        "cloud_filter filters something",
        edit(SCENES, ("tools", [{"cloud_filter": {"cloud_percent": {"lte": 10}}}])),
        edit(SCENES, ("tools", [{"cloud_filter": {}}])),
        "tools[0].cloud_filter",
        "needs at least one filter",
    ),
    (
        "cloud_filter bounds",
        edit(SCENES, ("tools", [{"cloud_filter": {"clear_percent": {"gte": 80}}}])),
        edit(SCENES, ("tools", [{"cloud_filter": {"clear_percent": {}}}])),
        "tools[0].cloud_filter.clear_percent",
        "needs gte, lte or both",
    ),
    (
        "cloud_filter percentages",
        edit(SCENES, ("tools", [{"cloud_filter": {"clear_percent": {"gte": 0, "lte": 100}}}])),
        edit(SCENES, ("tools", [{"cloud_filter": {"clear_percent": {"lte": 120}}}])),
        "tools[0].cloud_filter.clear_percent.lte",
        "must be at most 100",
    ),
    (
        "cloud_filter ordered bounds",
        edit(SCENES, ("tools", [{"cloud_filter": {"shadow_percent": {"gte": 5, "lte": 5}}}])),
        edit(SCENES, ("tools", [{"cloud_filter": {"shadow_percent": {"gte": 6, "lte": 5}}}])),
        "tools[0].cloud_filter.shadow_percent",
        "gte greater than lte",
    ),
    (
        "file_format format",
        edit(SCENES, ("tools", [{"file_format": {"format": "COG"}}])),
        edit(SCENES, ("tools", [{"file_format": {"format": "cog"}}])),
        "tools[0].file_format.format",
        "did you mean 'COG'?",
    ),
    (
        "basemaps file_format format",
        edit(BASEMAPS, ("tools", [{"file_format": {"format": "PL_NITF"}}])),
        edit(BASEMAPS, ("tools", [{"file_format": {}}])),
        "tools[0].file_format.format",
        "is required",
    ),
    # delivery
    (
        "delivery an object",
        SCENES,
        edit(SCENES, ("delivery", [])),
        "delivery",
        "must be an object, got array",
    ),
    (
        "archive_type",
        edit(SCENES, ("delivery", {"archive_type": "zip"})),
        edit(SCENES, ("delivery", {"archive_type": "tar"})),
        "delivery.archive_type",
        "must be one of 'zip'",
    ),
    (
        "single_archive",
        edit(SCENES, ("delivery", {"archive_type": "zip", "single_archive": True})),
        edit(SCENES, ("delivery", {"archive_type": "zip", "single_archive": "true"})),
        "delivery.single_archive",
        "must be true or false, got string",
    ),
    (
        "archive_filename",
        edit(SCENES, ("delivery", {"archive_type": "zip", "archive_filename": "{{name}}_{{order_id}}.zip"})),
        edit(SCENES, ("delivery", {"archive_type": "zip", "archive_filename": ""})),
        "delivery.archive_filename",
        "must not be empty",
    ),
    (
        "layout format",
        edit(SCENES, ("delivery", {"layout": {"format": "standard"}})),
        edit(SCENES, ("delivery", {"layout": {}})),
        "delivery.layout.format",
        "is required",
    ),
    (
        "one cloud target",
        edit(SCENES, ("delivery", {"planet_folders": {}})),
        edit(
            SCENES,
            ("delivery", {"planet_folders": {}, "google_earth_engine": {"project": "p", "collection": "c"}}),
        ),
        "delivery",
        "names 2 cloud targets (google_earth_engine, planet_folders)",
    ),
    (
        "cloud targets not null",
        edit(SCENES, ("delivery", {"planet_folders": {}})),
        edit(SCENES, ("delivery", {"planet_folders": None})),
        "delivery.planet_folders",
        "must not be null",
    ),
    (
        "amazon_s3 fields",
        edit(
            SCENES,
            (
                "delivery.amazon_s3",
                {"bucket": "b", "aws_region": "r", "aws_access_key_id": "k", "aws_secret_access_key": "s"},
            ),
        ),
        edit(SCENES, ("delivery.amazon_s3", {"bucket": "b", "aws_region": "r", "aws_access_key_id": "k"})),
        "delivery.amazon_s3.aws_secret_access_key",
        "is required (or set airflow_conn_id",
    ),
    (
        "azure_blob_storage fields",
        edit(
            SCENES,
            ("delivery.azure_blob_storage", {"account": "a", "container": "c", "sas_token": "sv=1&sig=2"}),
        ),
        edit(SCENES, ("delivery.azure_blob_storage", {"account": "a", "sas_token": "sv=1&sig=2"})),
        "delivery.azure_blob_storage.container",
        "is required",
    ),
    (
        "azure sas_token without '?'",
        edit(
            SCENES,
            ("delivery.azure_blob_storage", {"account": "a", "container": "c", "sas_token": "sv=1&sig=2"}),
        ),
        edit(
            SCENES,
            ("delivery.azure_blob_storage", {"account": "a", "container": "c", "sas_token": "?sv=1&sig=2"}),
        ),
        "delivery.azure_blob_storage.sas_token",
        "without its leading '?'",
    ),
    (
        "google_cloud_storage base64 credentials",
        edit(SCENES, ("delivery.google_cloud_storage", {"bucket": "b", "credentials": SA_B64})),
        edit(
            SCENES,
            ("delivery.google_cloud_storage", {"bucket": "b", "credentials": '{"type": "service_account"}'}),
        ),
        "delivery.google_cloud_storage.credentials",
        "base64-encoded, not the JSON itself",
    ),
    (
        "google_cloud_storage credentials, line-wrapped as `base64` writes them",
        edit(
            SCENES,
            (
                "delivery.google_cloud_storage",
                {"bucket": "b", "credentials": SA_B64[:20] + "\n" + SA_B64[20:]},
            ),
        ),
        edit(SCENES, ("delivery.google_cloud_storage", {"bucket": "b", "credentials": SA_B64[:-3] + "!!!"})),
        "delivery.google_cloud_storage.credentials",
        "does not decode",
    ),
    (
        "google_cloud_storage credentials decode",
        edit(SCENES, ("delivery.google_cloud_storage", {"bucket": "b", "credentials": SA_B64})),
        edit(SCENES, ("delivery.google_cloud_storage", {"bucket": "b", "credentials": "bm90IGpzb24="})),
        "delivery.google_cloud_storage.credentials",
        "does not decode",
    ),
    (
        "google_earth_engine fields",
        edit(
            SCENES,
            ("delivery.google_earth_engine", {"project": "p", "collection": "c", "credentials": SA_B64}),
        ),
        edit(SCENES, ("delivery.google_earth_engine", {"collection": "c"})),
        "delivery.google_earth_engine.project",
        "is required",
    ),
    (
        "oracle_cloud_storage fields",
        edit(
            SCENES,
            (
                "delivery.oracle_cloud_storage",
                {
                    "bucket": "b",
                    "customer_access_key_id": "k",
                    "customer_secret_key": "s",
                    "region": "r",
                    "namespace": "n",
                },
            ),
        ),
        edit(
            SCENES,
            (
                "delivery.oracle_cloud_storage",
                {"bucket": "b", "customer_access_key_id": "k", "customer_secret_key": "s", "region": "r"},
            ),
        ),
        "delivery.oracle_cloud_storage.namespace",
        "is required",
    ),
    (
        "planet_folders fields",
        edit(SCENES, ("delivery.planet_folders", {"folder_id": "f"})),
        edit(SCENES, ("delivery.planet_folders", {"folder_id": 5})),
        "delivery.planet_folders.folder_id",
        "must be a string, got number",
    ),
    (
        "s3_compatible fields",
        edit(
            SCENES,
            (
                "delivery.s3_compatible",
                {
                    "bucket": "b",
                    "endpoint": "e",
                    "region": "r",
                    "access_key_id": "k",
                    "secret_access_key": "s",
                    "use_path_style": True,
                },
            ),
        ),
        edit(
            SCENES,
            (
                "delivery.s3_compatible",
                {
                    "bucket": "b",
                    "endpoint": "e",
                    "region": "r",
                    "access_key_id": "k",
                    "secret_access_key": "s",
                    "use_path_style": "no",
                },
            ),
        ),
        "delivery.s3_compatible.use_path_style",
        "must be true or false",
    ),
    (
        "destination fields",
        edit(SCENES, ("delivery.destination", {"ref": "pl:destinations/my-bucket"})),
        edit(SCENES, ("delivery.destination", {"path_prefix": "x"})),
        "delivery.destination.ref",
        "is required",
    ),
    # credentials from Airflow connections
    (
        "connection marker instead of S3 credentials",
        edit(SCENES, ("delivery.amazon_s3", {"bucket": "b", "airflow_conn_id": "aws_default"})),
        edit(
            SCENES,
            (
                "delivery.amazon_s3",
                {"bucket": "b", "airflow_conn_id": "aws_default", "aws_secret_access_key": "s"},
            ),
        ),
        "delivery.amazon_s3.aws_secret_access_key",
        "must not be set together with airflow_conn_id",
    ),
    (
        "connection marker instead of GCS credentials",
        edit(SCENES, ("delivery.google_cloud_storage", {"bucket": "b", "airflow_conn_id": "gcp"})),
        edit(
            SCENES,
            (
                "delivery.google_cloud_storage",
                {"bucket": "b", "airflow_conn_id": "gcp", "credentials": SA_B64},
            ),
        ),
        "delivery.google_cloud_storage.credentials",
        "must not be set together with airflow_conn_id",
    ),
    (
        "connection marker instead of S3-compatible credentials",
        edit(SCENES, ("delivery.s3_compatible", {"bucket": "b", "airflow_conn_id": "minio"})),
        edit(SCENES, ("delivery.s3_compatible", {"bucket": "b", "airflow_conn_id": ""})),
        "delivery.s3_compatible.airflow_conn_id",
        "must not be empty",
    ),
    (
        "connection marker only where supported",
        edit(SCENES, ("delivery.amazon_s3", {"bucket": "b", "airflow_conn_id": "aws"})),
        edit(
            SCENES,
            ("delivery.azure_blob_storage", {"account": "a", "container": "c", "airflow_conn_id": "azure"}),
        ),
        "delivery.azure_blob_storage.airflow_conn_id",
        "is not supported for azure_blob_storage",
    ),
    (
        "connection marker not null",
        edit(SCENES, ("delivery.amazon_s3", {"bucket": "b", "airflow_conn_id": "aws"})),
        edit(SCENES, ("delivery.amazon_s3", {"bucket": "b", "aws_region": "r", "airflow_conn_id": None})),
        "delivery.amazon_s3.airflow_conn_id",
        "must not be null",
    ),
    # notifications, metadata, hosting
    (
        "webhook url",
        edit(
            SCENES, ("notifications", {"webhook": {"url": "https://hooks.example.com/x", "per_order": True}})
        ),
        edit(SCENES, ("notifications", {"webhook": {"url": "hooks.example.com/x"}})),
        "notifications.webhook.url",
        "must be an http(s) URL",
    ),
    (
        "webhook per_order",
        edit(SCENES, ("notifications", {"webhook": {"url": "https://h/x", "per_order": False}})),
        edit(SCENES, ("notifications", {"webhook": {"url": "https://h/x", "per_order": 1}})),
        "notifications.webhook.per_order",
        "must be true or false, got number",
    ),
    (
        "email",
        edit(SCENES, ("notifications", {"email": True})),
        edit(SCENES, ("notifications", {"email": "true"})),
        "notifications.email",
        "must be true or false, got string",
    ),
    (
        "stac metadata",
        edit(SCENES, ("metadata", {"stac": {}})),
        edit(SCENES, ("metadata", {"stac": True})),
        "metadata.stac",
        "must be an object, got boolean",
    ),
    (
        "hosting names a location",
        edit(SCENES, ("hosting", {"sentinel_hub": {}})),
        edit(SCENES, ("hosting", {})),
        "hosting",
        "names no hosting location",
    ),
    (
        "sentinel_hub fields",
        edit(SCENES, ("hosting", {"sentinel_hub": {"collection_id": "c", "create_configuration": True}})),
        edit(SCENES, ("hosting", {"sentinel_hub": {"create_configuration": "yes"}})),
        "hosting.sentinel_hub.create_configuration",
        "must be true or false",
    ),
    (
        "delivery or hosting",
        edit(SCENES, ("hosting", {"sentinel_hub": {}})),
        edit(SCENES, ("hosting", {"sentinel_hub": {}}), ("delivery", {"archive_type": "zip"})),
        "hosting",
        "cannot be combined with delivery",
    ),
]


@pytest.mark.parametrize(
    ("good", "path", "fragment"), [r[1:2] + r[3:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_rule_passes(good: dict, path: str, fragment: str) -> None:
    validate_order_request(good)


@pytest.mark.parametrize(("bad", "path", "fragment"), [r[2:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule_fails(bad: dict, path: str, fragment: str) -> None:
    assert_problem(bad, path, fragment)


def test_the_base_requests_pass_without_warnings() -> None:
    assert_valid(SCENES)
    assert_valid(BASEMAPS)


# --- warnings ---------------------------------------------------------------------------------

# Each: (id, a request that validates, the path warned about, a piece of the warning).
WARNINGS = [
    ("unknown top-level key", edit(SCENES, ("nmae", "x")), "nmae", "did you mean 'name'?"),
    (
        "unknown nested key",
        edit(SCENES, ("delivery.planet_folders", {"folder": "f"})),
        "delivery.planet_folders.folder",
        "did you mean 'folder_id'?",
    ),
    (
        "unknown key in a list element",
        edit(SCENES, ("products[0].item_typo", "x")),
        "products[0].item_typo",
        "did you mean 'item_type'?",
    ),
    (
        "unknown key in a tool",
        edit(SCENES, ("tools", [{"clip": {"aoi": {**POLYGON, "crs": "EPSG:4326"}}}])),
        "tools[0].clip.aoi.crs",
        "is not a field this provider knows",
    ),
    ("odd key names are quoted", edit(SCENES, ("my key", 1)), '["my key"]', "is not a field"),
    (
        "unknown item type",
        edit(SCENES, ("products[0].item_type", "SuperSat")),
        "products[0].item_type",
        "'SuperSat'",
    ),
    (
        "item type case",
        edit(SCENES, ("products[0].item_type", "psscene")),
        "products[0].item_type",
        "did you mean 'PSScene'?",
    ),
    (
        "unknown bundle",
        edit(SCENES, ("products[0].product_bundle", "analytic_udm2,anlytic_sr_udm2")),
        "products[0].product_bundle",
        "did you mean 'analytic_sr_udm2'?",
    ),
    (
        "repeated item ids",
        edit(SCENES, ("products[0].item_ids", ["a", "b", "a"])),
        "products[0].item_ids",
        "more than once: 'a'",
    ),
    (
        "unknown harmonize sensor",
        edit(SCENES, ("tools", [{"harmonize": {"target_sensor": "Landsat-9"}}])),
        "tools[0].harmonize.target_sensor",
        "is not a sensor this provider knows",
    ),
    (
        "coregister anchor not ordered",
        edit(SCENES, ("tools", [{"coregister": {"anchor_item": "other"}}])),
        "tools[0].coregister.anchor_item",
        "is not one of the ordered items",
    ),
    (
        "basemaps clip ignores an aoi",
        edit(BASEMAPS, ("tools", [{"clip": {"aoi": POLYGON}}])),
        "tools[0].clip.aoi",
        "is not used by basemaps orders",
    ),
    (
        "unknown cloud filter metric",
        edit(SCENES, ("tools", [{"cloud_filter": {"cloud_precent": {"lte": 10}}}])),
        "tools[0].cloud_filter.cloud_precent",
        "did you mean 'cloud_percent'?",
    ),
    (
        "merge takes no parameters",
        edit(BASEMAPS, ("tools", [{"merge": {"x": 1}}])),
        "tools[0].merge.x",
        "is not a field",
    ),
    (
        "archive options without archive_type",
        edit(SCENES, ("delivery", {"single_archive": True})),
        "delivery.archive_type",
        "single_archive has no effect",
    ),
    (
        "unknown layout",
        edit(SCENES, ("delivery.layout", {"format": "flat"})),
        "delivery.layout.format",
        "'flat'",
    ),
    (
        "unknown hosting location",
        edit(SCENES, ("hosting", {"new_host": {}})),
        "hosting.new_host",
        "is not a field this provider knows",
    ),
]


@pytest.mark.parametrize(
    ("request_", "path", "fragment"), [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS]
)
def test_warnings(request_: dict, path: str, fragment: str) -> None:
    found = notes(request_)
    assert any(p == path and fragment in m for p, m in found), found


def test_stac_and_free_form_parts_are_not_second_guessed() -> None:
    assert_valid(edit(SCENES, ("metadata", {"stac": {"anything": {"goes": [1, 2]}}})))


def test_a_warning_names_its_path_and_points_at_the_caller() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_order_request(edit(SCENES, ("nmae", "x")))
    (warning,) = caught
    assert isinstance(warning.message, PlanetOrderRequestWarning)
    assert issubclass(PlanetOrderRequestWarning, UserWarning)
    assert str(warning.message).startswith("nmae: is not a field")
    assert warning.filename == __file__


def test_a_warning_pickles() -> None:
    import pickle

    warning = PlanetOrderRequestWarning("products[0].item_type", "'X' is not an item type")
    clone = pickle.loads(pickle.dumps(warning))
    assert (clone.path, clone.problem, str(clone)) == (warning.path, warning.problem, str(warning))


def test_warnings_come_out_even_when_the_request_is_invalid() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(PlanetInvalidOrderRequestError):
            validate_order_request(
                edit(SCENES, ("products[0].item_id", ["a"]), ("products[0].item_ids", DELETE))
            )
    assert any("did you mean 'item_ids'?" in str(w.message) for w in caught)


# --- the error --------------------------------------------------------------------------------


def test_one_error_lists_every_problem_in_path_order() -> None:
    bad = edit(
        SCENES,
        ("name", ""),
        ("order_type", "fast"),
        *[
            (f"products[{n}]", {"item_ids": [], "item_type": "PSScene", "product_bundle": "visual"})
            for n in range(1, 12)
        ],
        ("tools", [{"clip": {}}, {"merge": {}}]),
        ("delivery", {"amazon_s3": {"bucket": "b"}, "planet_folders": {}}),
    )
    found = problems(bad)
    paths = [p for p, _ in found]
    assert paths[0] == "delivery"
    assert paths.index("products[2].item_ids") < paths.index("products[10].item_ids")
    assert {"name", "order_type", "tools[0].clip.aoi", "tools[1]", "delivery.amazon_s3.aws_region"} <= set(
        paths
    )
    with pytest.raises(PlanetInvalidOrderRequestError) as info:
        validate_order_request(bad)
    text = str(info.value)
    assert text.startswith(f"order_request: {len(found)} problems:")
    assert "  - products[1].item_ids: must not be empty" in text
    assert isinstance(info.value, PlanetInvalidInputError)
    assert isinstance(info.value, ValueError)


def test_the_error_pickles_with_its_problems() -> None:
    import pickle

    with pytest.raises(PlanetInvalidOrderRequestError) as info:
        validate_order_request(edit(SCENES, ("name", "")))
    clone = pickle.loads(pickle.dumps(info.value))
    assert clone.problems == info.value.problems == [("name", "must not be empty")]


def test_secrets_never_appear_in_problems() -> None:
    bad = edit(
        SCENES,
        (
            "delivery.amazon_s3",
            {
                "bucket": "b",
                "aws_region": "r",
                "aws_access_key_id": 123456789,
                "aws_secret_access_key": 987654321,
            },
        ),
    )
    text = "\n".join(m for _, m in problems(bad))
    assert "123456789" not in text
    assert "987654321" not in text
    bad = edit(SCENES, ("delivery.google_cloud_storage", {"bucket": "b", "credentials": "top-secret-value"}))
    assert "top-secret" not in str(problems(bad))
    bad = edit(
        SCENES, ("delivery.azure_blob_storage", {"account": "a", "container": "c", "sas_token": "?sig=hush"})
    )
    assert "hush" not in str(problems(bad))


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (None, [("", "must be an object (a dict), got null")]),
        (42, [("", "must be an object (a dict), got number")]),
        ("{}", [("", "must be an object (a dict), got string")]),
        ([SCENES], [("", "must be an object (a dict), got array")]),
        ({}, [("name", "is required"), ("products", "is required")]),
    ],
)
def test_anything_that_is_not_a_request(request_: Any, expected: list) -> None:
    assert problems(request_) == expected


def test_values_that_are_not_json() -> None:
    nested: dict[str, Any] = {}
    node = nested
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    looped: dict[str, Any] = dict(SCENES)
    looped["metadata"] = {"stac": looped}
    cases = [
        (edit(SCENES, ("name", {"a"})), "name", "is a set, which is not JSON"),
        (
            edit(SCENES, ("notifications.email", float("nan"))),
            "notifications.email",
            "must be a finite number",
        ),
        ({**SCENES, "created": datetime.datetime(2024, 1, 1)}, "created", "is a datetime"),
        ({**SCENES, 5: "x"}, "", "has the key 5, which is not a string"),
        ({**SCENES, "metadata": {"stac": nested}}, "metadata.stac" + ".x" * 63, "nested too deeply"),
        (looped, "metadata.stac", "contains itself"),
    ]
    for request, path, fragment in cases:
        found = problems(request)
        assert any(p == path and fragment in m for p, m in found), found
        assert len([p for p, _ in found if p == path]) == 1, found


def test_json_friendly_python_values_are_accepted_and_left_alone() -> None:
    request = {
        "name": "tuples and mappings",
        "products": (
            types.MappingProxyType(
                {"item_ids": ("a", "b"), "item_type": "PSScene", "product_bundle": "visual"}
            ),
        ),
    }
    before = repr(request)
    validate_order_request(request)
    assert repr(request) == before


# --- requests from Planet's SDK and Planet's docs ----------------------------------------------


@pytest.fixture
def sdk_bundles(monkeypatch: pytest.MonkeyPatch):
    """Planet's SDK fetches its bundle spec over the network; give it a small one instead."""
    from planet import specs

    spec = {
        "bundles": {
            "analytic_udm2": {"assets": {"PSScene": ["ortho_analytic_4b"]}},
            "analytic_8b_sr_udm2": {"assets": {"PSScene": ["ortho_analytic_8b_sr"]}},
            "visual": {"assets": {"PSScene": ["ortho_visual"], "SkySatCollect": ["ortho_visual"]}},
        }
    }
    cache = {
        "bundles": spec["bundles"],
        "bundle_names": spec["bundles"].keys(),
        "item_types": {"PSScene", "SkySatCollect"},
    }
    monkeypatch.setattr(specs.PRODUCT_BUNDLES, "cache", cache, raising=False)
    from planet import order_request as sdk

    return sdk


def test_requests_built_with_planets_sdk_are_accepted_unchanged(sdk_bundles) -> None:
    sdk = sdk_bundles
    products = [
        sdk.product(
            ["20240601_101010_00_2461", "20240601_101011_00_2461"], "analytic_8b_sr_udm2", "PSScene", "visual"
        ),
        sdk.product(["20240602_101010_00_2461"], "visual", "SkySatCollect"),
    ]
    tools = [
        sdk.harmonize_tool("Sentinel-2"),
        sdk.toar_tool(scale_factor=10000),
        sdk.clip_tool(POLYGON),
        sdk.reproject_tool(projection="EPSG:32611", resolution=3.0, kernel="cubic"),
        sdk.band_math_tool(b1="b1", b2="(b4-b3)/(b4+b3)", pixel_type="32R"),
        sdk.composite_tool(group_by="strip_id"),
        sdk.coregister_tool("20240601_101010_00_2461"),
        sdk.tile_tool(
            1232, origin_x=-180, origin_y=-90, pixel_size=0.000027056277056, name_template="C_{tilex:04d}"
        ),
        sdk.file_format_tool("COG"),
    ]
    cloud_configs = [
        sdk.amazon_s3("AKIAEXAMPLE", "s3-secret", "bucket", "us-east-2", "folder1/prefix/"),
        sdk.azure_blob_storage("account", "container", "sv=2020&sig=x", "core.windows.net", "p/"),
        sdk.google_cloud_storage("bucket", SA_B64, "p/"),
        sdk.google_earth_engine("project", "collection"),
        sdk.oracle_cloud_storage("key", "secret", "bucket", "us-ashburn-1", "namespace", "p/"),
        sdk.s3_compatible("https://minio.example.com", "bucket", "us-east-1", "key", "secret", True, "p/"),
        sdk.destination("pl:destinations/my-destination", "p/"),
        sdk.default_destination(),
    ]
    for cloud in cloud_configs:
        request = sdk.build_request(
            "made with planet's sdk",
            products,
            subscription_id=3,
            delivery=sdk.delivery(archive_type="zip", single_archive=True, cloud_config=cloud),
            notifications=sdk.notifications(
                email=True, webhook_url="https://hooks.example.com/x", webhook_per_order=True
            ),
            order_type="partial",
            tools=tools,
            stac={"stac": {}},
        )
        assert_valid(request)
    hosted = sdk.build_request(
        "hosted", products, hosting="sentinel_hub", collection_id="4bdef85c-3f50-4006-a713-2350da665f80"
    )
    assert_valid(hosted)
    by_reference = sdk.build_request(
        "by reference", products, tools=[sdk.clip_tool("pl:features/my/fields/f1")]
    )
    assert_valid(by_reference)


DOCS_REQUESTS = [
    # A scenes order with clip, as on Planet's "Create an Order" page (curl example).
    """{
      "name": "scenes order, gcs cloud storage",
      "source_type": "scenes",
      "products": [{"item_ids": ["20220304_093300_37_2430", "20220305_093440_25_2429"],
                    "item_type": "PSScene", "product_bundle": "analytic_udm2"}],
      "tools": [{"clip": {"aoi": {"type": "Polygon", "coordinates": [[
          [-163.828125, -44.59046718130883], [181.7578125, -44.59046718130883],
          [181.7578125, 78.42019327591201], [-163.828125, 78.42019327591201],
          [-163.828125, -44.59046718130883]]]}}}],
      "delivery": {"google_cloud_storage": {"bucket": "your-bucket",
                   "credentials": "eyJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCJ9", "path_prefix": "folder1/prefix"}}
    }""",
    # A basemap order by quad ids.
    """{"name": "Basemap order with quad ids", "source_type": "basemaps",
        "products": [{"mosaic_name": "global_monthly_2022_01_mosaic", "quad_ids": ["1465-1146"]}]}""",
    # A basemap order by area, merged and clipped.
    """{"name": "Basemap order with geometry", "source_type": "basemaps", "order_type": "partial",
        "products": [{"mosaic_name": "global_monthly_2022_01_mosaic",
                      "geometry": {"type": "Polygon", "coordinates": [[[4.6, 52.3], [4.9, 52.3], [4.9, 52.4],
                                                                        [4.6, 52.4], [4.6, 52.3]]]}}],
        "tools": [{"merge": {}}, {"clip": {}}, {"reproject": {"projection": "EPSG:4326", "kernel": "near"}}],
        "delivery": {"archive_type": "zip", "single_archive": true,
                     "archive_filename": "{{name}}_{{order_id}}.zip"}}""",
    # Tools chained, with notifications and STAC metadata.
    """{"name": "toolchain", "source_type": "scenes", "order_type": "partial",
        "products": [{"item_ids": ["20170614_113217_3163208_RapidEye-5"], "item_type": "REOrthoTile",
                      "product_bundle": "analytic"}],
        "tools": [{"toar": {"scale_factor": 10000}},
                  {"reproject": {"projection": "WGS84", "kernel": "cubic"}},
                  {"tile": {"tile_size": 1232, "origin_x": -180, "origin_y": -90,
                            "pixel_size": 2.7056277056e-05,
                            "name_template": "C1232_30_30_{tilex:04d}_{tiley:04d}"}}],
        "notifications": {"webhook": {"url": "https://example.com/hook", "per_order": true}, "email": true},
        "metadata": {"stac": {}}}""",
    # Delivery to Amazon S3 and to an S3-compatible store, and Sentinel Hub hosting.
    """{"name": "s3", "products": [{"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "visual"}],
        "delivery": {"amazon_s3": {"bucket": "b", "aws_region": "us-east-2", "aws_access_key_id": "AKIA",
                                   "aws_secret_access_key": "s", "path_prefix": "x/"},
                     "layout": {"format": "standard"}}}""",
    """{"name": "s3 compatible",
        "products": [{"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "visual"}],
        "delivery": {"s3_compatible": {"bucket": "b", "endpoint": "s3.example.com", "region": "r",
                                       "access_key_id": "k", "secret_access_key": "s",
                                       "use_path_style": false}}}""",
    """{"name": "hosted",
        "products": [{"item_ids": ["a"], "item_type": "PSScene", "product_bundle": "analytic_8b_sr_udm2"}],
        "hosting": {"sentinel_hub": {"collection_id": "4bdef85c-3f50-4006-a713-2350da665f80",
                                     "create_configuration": true,
                                     "configuration_id": "af0daaf4-983e-4703-a7ed-a10f146d6684"}}}""",
    # The reference's own sample, reduced to one cloud target and without hosting (it shows every
    # option at once, which the API itself refuses).
    """{"name": "string", "subscription_id": 0,
        "products": [{"item_ids": ["string"], "item_type": "string", "product_bundle": "string"}],
        "delivery": {"single_archive": true, "archive_type": "zip", "archive_filename": "string",
                     "layout": {"format": "standard"},
                     "oracle_cloud_storage": {"bucket": "string", "customer_access_key_id": "string",
                        "customer_secret_key": "string", "region": "string", "namespace": "string",
                        "path_prefix": "string"}},
        "notifications": {"webhook": {"url": "https://string", "per_order": true}, "email": true},
        "order_type": "partial", "source_type": "scenes", "metadata": {"stac": {}}}""",
]


@pytest.mark.parametrize("text", DOCS_REQUESTS)
def test_requests_in_the_style_of_planets_docs_are_accepted(text: str) -> None:
    request = json.loads(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanetOrderRequestWarning)
        validate_order_request(request)


# -- product bundles against Planet's bundle spec ---------------------------------------------------


def scene(item_type: str, bundle: str) -> dict:
    return {"name": "x", "products": [{"item_ids": ["a"], "item_type": item_type, "product_bundle": bundle}]}


def test_a_bundle_the_item_type_cannot_take_is_an_error_naming_all_three() -> None:
    ((path, message),) = problems(scene("PSScene", "analytic"))
    assert path == "products[0].product_bundle"
    assert "bundle 'analytic' cannot be ordered for item type 'PSScene'" in message
    assert "PSScene takes: analytic_udm2, analytic_3b_udm2," in message


def test_each_fallback_bundle_is_checked() -> None:
    ((path, message),) = problems(scene("PSScene", "analytic_sr_udm2,analytic,visual"))
    assert path == "products[0].product_bundle"
    assert "'analytic' cannot be ordered" in message


@pytest.mark.parametrize(
    ("item_type", "bundle"),
    [
        ("TanagerMethane", "methane"),
        ("SkySatCollect", "panchromatic_udm2"),
        ("PSScene", "analytic_8b_sr_udm2,analytic_sr_udm2"),
    ],
)
def test_bundles_of_the_spec_pass_without_a_warning(item_type, bundle) -> None:
    assert_valid(scene(item_type, bundle))


def test_a_bundle_newer_than_the_spec_warns_and_is_sent() -> None:
    [(path, message)] = notes(scene("PSScene", "analytic_16b_udm3"))
    assert path == "products[0].product_bundle"
    assert "is not a bundle in Planet's bundle spec" in message


def test_an_item_type_newer_than_the_spec_warns_rather_than_fails() -> None:
    found = notes(scene("PSSceneNext", "analytic_udm2"))
    assert [path for path, _ in found] == ["products[0].item_type"]


def test_a_fresher_spec_is_used_when_given() -> None:
    from airflow_provider_planet_orders.core.bundles import BundleSpec

    spec = BundleSpec.from_document(
        {"version": "live", "bundles": {"analytic": {"assets": {"PSScene": ["ortho_analytic_4b"]}}}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_order_request(scene("PSScene", "analytic"), bundle_spec=spec)


def test_ps2_harmonize_warns_that_planet_dropped_it() -> None:
    request = scene("PSScene", "analytic_sr_udm2")
    request["tools"] = [{"harmonize": {"target_sensor": "PS2"}}]
    [(path, message)] = notes(request)
    assert path == "tools[0].harmonize.target_sensor"
    assert "no longer a harmonize target" in message
    assert "Sentinel-2" in message
