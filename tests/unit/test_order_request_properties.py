"""
Properties, with Hypothesis: what the builders make always validates; whatever a request is mutated
into, validation answers with PlanetInvalidOrderRequestError or not at all, never with a crash.
"""

from __future__ import annotations

import copy
import json
import string
import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_planet_orders.core.api import HARMONIZE_TARGET_SENSORS
from airflow_provider_planet_orders.core.bundles import BundleSpec
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
    file_format_tool,
    google_cloud_storage,
    google_earth_engine,
    harmonize_tool,
    iter_secret_values,
    merge_tool,
    notifications,
    oracle_cloud_storage,
    planet_folders,
    redact_order_request,
    reproject_tool,
    s3_compatible,
    scene_product,
    sentinel_hub_hosting,
    stac_metadata,
    tile_tool,
    toar_tool,
    validate_order_request,
)
from airflow_provider_planet_orders.order_request._common import (
    BANDMATH_PIXEL_TYPES,
    CLOUD_FILTER_METRICS,
    COMPOSITE_GROUP_BY,
    FILE_FORMATS,
    REPROJECT_KERNELS,
)

PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=16)
secrets = names.map(lambda text: f"SECRET-{text}")
numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


# Case changes are fine: the builders write enumerations the way Planet spells them.
def any_case(choices):
    return st.sampled_from(choices).flatmap(lambda c: st.sampled_from([c, c.lower(), c.upper()]))


@st.composite
def rings(draw: st.DrawFn) -> list[list[float]]:
    points = draw(st.lists(st.tuples(numbers, numbers).map(list), min_size=3, max_size=6))
    return [*points, points[0]]


polygons = st.lists(rings(), min_size=1, max_size=2).map(lambda c: {"type": "Polygon", "coordinates": c})
multipolygons = st.lists(st.lists(rings(), min_size=1, max_size=2), min_size=1, max_size=2).map(
    lambda c: {"type": "MultiPolygon", "coordinates": c}
)
areas = st.one_of(
    polygons, multipolygons, polygons.map(lambda g: {"type": "Feature", "properties": {}, "geometry": g})
)


@st.composite
def scene_products(draw: st.DrawFn) -> dict[str, Any]:
    # An item type of Planet's bundle spec with bundles it can take: builders' outputs are valid ones.
    spec = BundleSpec.vendored()
    item_type = draw(st.sampled_from(spec.item_types()))
    bundles = spec.bundles_for(item_type)
    return scene_product(
        draw(st.lists(names, min_size=1, max_size=4, unique=True)),
        item_type,
        draw(st.sampled_from(bundles)),
        fallback_bundles=draw(st.none() | st.lists(st.sampled_from(bundles), max_size=2)),
    )


basemap_products = st.one_of(
    st.builds(basemap_product, names, geometry=st.one_of(polygons, multipolygons)),
    st.builds(basemap_product, names, quad_ids=st.lists(names, min_size=1, max_size=4, unique=True)),
)

percent = st.floats(min_value=0, max_value=100, allow_nan=False)
ranges = st.one_of(
    percent.map(lambda v: {"lte": v}),
    percent.map(lambda v: {"gte": v}),
    st.tuples(percent, percent).map(lambda p: {"gte": min(p), "lte": max(p)}),
)


@st.composite
def bandmath(draw: st.DrawFn) -> dict[str, Any]:
    expressions = draw(
        st.lists(st.sampled_from(["b1", "b2*2", "(b4-b3)/(b4+b3)", "arctan(b1)"]), min_size=1, max_size=15)
    )
    return bandmath_tool(*expressions, pixel_type=draw(st.none() | any_case(BANDMATH_PIXEL_TYPES)))


def scene_tools(item_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(harmonize_tool, any_case(HARMONIZE_TARGET_SENSORS)),
        st.builds(coregister_tool, st.sampled_from(item_ids)),
        st.builds(toar_tool, st.none() | st.integers(1, 65535)),
        st.builds(clip_tool, st.one_of(areas, names.map(lambda n: f"pl:features/my/{n}/f1"))),
        st.builds(
            reproject_tool,
            st.sampled_from(["EPSG:4326", "EPSG:32611", "WGS84"]),
            resolution=st.none() | positive,
            kernel=st.none() | any_case(REPROJECT_KERNELS),
        ),
        bandmath(),
        st.builds(composite_tool, st.none() | any_case(COMPOSITE_GROUP_BY)),
        st.builds(
            tile_tool,
            st.integers(1, 4096),
            origin_x=st.none() | numbers,
            origin_y=st.none() | numbers,
            pixel_size=st.none() | positive,
            name_template=st.none() | st.just("{tilex}_{tiley}.tif"),
            conformal_x_scaling=st.none() | st.booleans(),
        ),
        st.dictionaries(st.sampled_from(CLOUD_FILTER_METRICS), ranges, min_size=1).map(
            lambda f: cloud_filter_tool(**f)
        ),
        st.builds(file_format_tool, any_case(FILE_FORMATS)),
    )


basemap_tools = st.one_of(
    st.just(clip_tool()),
    st.just(merge_tool()),
    st.builds(file_format_tool, any_case(FILE_FORMATS)),
    st.builds(reproject_tool, st.just("EPSG:3857"), kernel=st.none() | any_case(REPROJECT_KERNELS)),
    bandmath(),
)

targets = st.one_of(
    st.builds(
        amazon_s3,
        names,
        names,
        aws_access_key_id=secrets,
        aws_secret_access_key=secrets,
        path_prefix=st.none() | names,
    ),
    st.builds(amazon_s3, names, st.none() | names, aws_conn_id=names),
    st.builds(azure_blob_storage, names, names, secrets, storage_endpoint_suffix=st.none() | names),
    st.builds(
        google_cloud_storage,
        names,
        st.fixed_dictionaries({"type": st.just("service_account"), "private_key": secrets}),
    ),
    st.builds(google_cloud_storage, names, gcp_conn_id=names),
    st.builds(google_earth_engine, names, names, credentials=st.none() | secrets),
    st.builds(oracle_cloud_storage, names, names, names, secrets, secrets, path_prefix=st.none() | names),
    st.builds(planet_folders, st.none() | names),
    st.builds(
        s3_compatible,
        names,
        names,
        names,
        access_key_id=secrets,
        secret_access_key=secrets,
        use_path_style=st.none() | st.booleans(),
    ),
    st.builds(s3_compatible, names, st.none() | names, st.none() | names, aws_conn_id=names),
)
deliveries = st.builds(
    delivery,
    st.none() | targets,
    archive_type=st.none() | st.just("zip"),
    single_archive=st.none() | st.booleans(),
    archive_filename=st.none() | st.just("{{name}}_{{order_id}}.zip"),
    layout=st.none() | st.just("standard"),
)
notification_blocks = st.one_of(
    st.builds(notifications, email=st.booleans()),
    st.builds(
        notifications,
        webhook_url=names.map(lambda n: f"https://hooks.example.com/{n}"),
        webhook_per_order=st.none() | st.booleans(),
        email=st.none() | st.booleans(),
    ),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        products = draw(st.lists(scene_products(), min_size=1, max_size=3))
        item_ids = [item for product in products for item in product["item_ids"]]
        tools = draw(st.none() | st.lists(scene_tools(item_ids), max_size=4))
    else:
        products = draw(st.lists(basemap_products, min_size=1, max_size=3))
        tools = draw(st.none() | st.lists(basemap_tools, max_size=3))
    hosted = draw(st.booleans())
    return build_order_request(
        draw(names),
        products,
        order_type=draw(st.none() | any_case(("full", "partial"))),
        subscription_id=draw(st.none() | st.integers(0, 2**31)),
        tools=tools,
        delivery=None if hosted else draw(st.none() | deliveries),
        notifications=draw(st.none() | notification_blocks),
        metadata=draw(st.none() | st.just(stac_metadata())),
        hosting=draw(
            st.builds(sentinel_hub_hosting, st.none() | names, create_configuration=st.none() | st.booleans())
        )
        if hosted
        else None,
    )


@PROPERTIES
@given(requests())
def test_builder_outputs_always_validate_without_warnings(request: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_order_request(request)
        validate_order_request(json.loads(json.dumps(request)))


@PROPERTIES
@given(requests())
def test_redacted_requests_hold_no_secret(request: dict[str, Any]) -> None:
    found = list(iter_secret_values(request))
    text = json.dumps(redact_order_request(request))
    assert not any(secret in text for secret in found)
    assert all(secret.startswith(("SECRET-", "ey")) for secret in found)  # base64 keys start with "ey"


# --- mutations ------------------------------------------------------------------------------

VOCABULARY = [
    "name", "products", "item_ids", "item_type", "product_bundle", "mosaic_name", "geometry", "quad_ids",
    "tools", "clip", "aoi", "type", "coordinates", "Polygon", "MultiPolygon", "ref", "content", "bandmath",
    "b1", "b16", "cloud_filter", "gte", "lte", "delivery", "amazon_s3", "airflow_conn_id", "credentials",
    "archive_type", "zip", "layout", "format", "hosting", "sentinel_hub", "source_type", "scenes", "basemaps",
    "notifications", "webhook", "url", "metadata", "stac", "order_type", "subscription_id", "merge", "toar",
]  # fmt: skip
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(VOCABULARY),
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=4), children, max_size=3),
    ),
    max_leaves=8,
)


def locations(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) of a JSON tree, so that any spot can be mutated."""
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key))
            locations(value, found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index))
            locations(value, found)
    return found


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    request: Any = copy.deepcopy(draw(requests()))
    for _ in range(draw(st.integers(1, 3))):
        spots = locations(request, [])
        kind = draw(st.sampled_from(["replace", "delete", "insert", "wrap", "empty"]))
        if not spots or draw(st.integers(0, 20)) == 0:
            request = draw(json_values)
            continue
        container, key = draw(st.sampled_from(spots))
        if kind == "replace":
            container[key] = draw(json_values)
        elif kind == "delete":
            del container[key]
        elif kind == "insert" and isinstance(container, dict):
            container[draw(st.sampled_from(VOCABULARY) | st.text(max_size=4))] = draw(json_values)
        elif kind == "wrap":
            container[key] = [container[key]]
        else:
            container[key] = draw(st.sampled_from(["", [], {}, 0, -1, None]))
    return request


def check(request: Any) -> None:
    """Validation either passes or raises PlanetInvalidOrderRequestError with readable problems."""
    error: PlanetInvalidOrderRequestError | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            validate_order_request(request)
        except PlanetInvalidOrderRequestError as exc:
            error = exc
    if error is None:
        return
    assert error.problems
    for path, message in error.problems:
        assert isinstance(path, str)
        assert isinstance(message, str)
        assert message
        assert "provider bug" not in message
    assert "SECRET-" not in str(error)


@PROPERTIES
@given(mutated_requests())
def test_mutated_requests_give_a_clear_error_never_a_crash(request: Any) -> None:
    check(request)


@PROPERTIES
@given(json_values)
def test_arbitrary_json_gives_a_clear_error_never_a_crash(request: Any) -> None:
    check(request)


@PROPERTIES
@given(st.dictionaries(st.sampled_from(VOCABULARY), json_values, max_size=8))
def test_request_shaped_junk_gives_a_clear_error_never_a_crash(request: dict[str, Any]) -> None:
    check(request)
