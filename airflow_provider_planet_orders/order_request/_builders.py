"""
Builders: small functions that return the plain, JSON-ready dicts of an order request.

Each builder checks its own arguments (cheap checks only, no I/O) and raises
:class:`~airflow_provider_planet_orders.exceptions.PlanetInvalidOrderRequestError` naming the
argument, so that a typo fails where it was written rather than when Planet answers. Enumerated
values are matched regardless of case and written the way Planet spells them (``"cog"`` becomes
``"COG"``), as Planet's SDK does. The whole request is checked by ``validate_order_request``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_planet_orders.core.api import CLOUD_TARGETS, HARMONIZE_TARGET_SENSORS
from airflow_provider_planet_orders.exceptions import PlanetInvalidOrderRequestError
from airflow_provider_planet_orders.order_request._common import (
    ARCHIVE_TYPES,
    BANDMATH_PIXEL_TYPES,
    CLOUD_FILTER_METRICS,
    COMPOSITE_GROUP_BY,
    CONNECTION_MARKER,
    FILE_FORMATS,
    KNOWN_ITEM_TYPES,
    MAX_ITEMS,
    ORDER_SOURCE_TYPES,
    ORDER_TYPES,
    REPROJECT_KERNELS,
    did_you_mean,
    json_type,
    one_of,
    show,
    suggest,
)

JsonDict = dict[str, Any]


def _bad(argument: str, problem: str) -> PlanetInvalidOrderRequestError:
    return PlanetInvalidOrderRequestError([(argument, problem)])


def _plain(value: Any) -> Any:
    """A copy made of dicts and lists only, so that the result is JSON-ready and owns its data."""
    if isinstance(value, Mapping):
        return {str(key): _plain(element) for key, element in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(element) for element in value]
    return value


def _text(argument: str, value: object) -> str:
    if not isinstance(value, str):
        raise _bad(argument, f"must be a string, got {json_type(value)}")
    if not value.strip():
        raise _bad(argument, "must not be empty")
    return value


def _secret(argument: str, value: object) -> str:
    """Like :func:`_text`; named apart so that nobody adds the value to a message here."""
    return _text(argument, value)


def _choice(argument: str, value: object, choices: Sequence[str]) -> str:
    """``value`` as Planet spells it; a different case is accepted, a different word is not."""
    text = _text(argument, value)
    for choice in choices:
        if choice.lower() == text.lower():
            return choice
    raise _bad(argument, f"must be one of {one_of(choices)}; got {show(text)}{did_you_mean(text, choices)}")


def _boolean(argument: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _bad(argument, f"must be True or False, got {json_type(value)}")
    return value


def _number(argument: str, value: object, *, positive: bool = False, integer: bool = False) -> float:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        raise _bad(argument, f"must be {'an integer' if integer else 'a finite number'}, got {show(value)}")
    if positive and value <= 0:
        raise _bad(argument, f"must be greater than 0, got {show(value)}")
    return value


def _strings(argument: str, values: object) -> list[str]:
    if isinstance(values, (str, bytes)):
        raise _bad(argument, "must be a list of strings, not a single string")
    if not isinstance(values, Sequence) or isinstance(values, Mapping):
        raise _bad(argument, f"must be a list of strings, got {json_type(values)}")
    if not values:
        raise _bad(argument, "must not be empty")
    return [_text(f"{argument}[{index}]", value) for index, value in enumerate(values)]


def _object(argument: str, value: object) -> JsonDict:
    if not isinstance(value, Mapping):
        raise _bad(argument, f"must be a dict, got {json_type(value)}")
    plain: JsonDict = _plain(value)
    return plain


# --- the request ------------------------------------------------------------------------------


def build_order_request(
    name: str,
    products: Sequence[Mapping[str, Any]],
    *,
    order_type: str | None = None,
    source_type: str | None = None,
    subscription_id: int | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    delivery: Mapping[str, Any] | None = None,
    notifications: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    hosting: Mapping[str, Any] | None = None,
) -> JsonDict:
    """
    An order request, ready to send.

    ``source_type`` defaults to ``"basemaps"`` when every product is a basemap product (it has a
    ``mosaic_name``) and to ``"scenes"`` otherwise, and is always written out: Planet's own
    default is ``scenes``, which would fail a basemap order whose author forgot it.

    :param name: A name for the order.
    :param products: From :func:`scene_product` or :func:`basemap_product`.
    :param order_type: ``"full"`` (Planet's default) or ``"partial"``.
    :param tools: From the ``*_tool`` builders, in processing order.
    :param delivery: From :func:`delivery`.
    :param notifications: From :func:`notifications`.
    :param metadata: From :func:`stac_metadata`.
    :param hosting: From :func:`sentinel_hub_hosting`; not together with ``delivery``.
    """
    request: JsonDict = {"name": _text("name", name)}
    if isinstance(products, (str, bytes, Mapping)) or not isinstance(products, Sequence):
        raise _bad("products", f"must be a list of products, got {json_type(products)}")
    if not products:
        raise _bad("products", "must not be empty")
    plain_products = [_object(f"products[{index}]", product) for index, product in enumerate(products)]
    if source_type is None:
        basemaps = all("mosaic_name" in product for product in plain_products)
        request["source_type"] = "basemaps" if basemaps else "scenes"
    else:
        request["source_type"] = _choice("source_type", source_type, ORDER_SOURCE_TYPES)
    if order_type is not None:
        request["order_type"] = _choice("order_type", order_type, ORDER_TYPES)
    if subscription_id is not None:
        if _number("subscription_id", subscription_id, integer=True) < 0:
            raise _bad("subscription_id", "must not be negative")
        request["subscription_id"] = subscription_id
    request["products"] = plain_products
    if tools is not None:
        if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
            raise _bad("tools", f"must be a list of tools, got {json_type(tools)}")
        if tools:
            request["tools"] = [_object(f"tools[{index}]", tool) for index, tool in enumerate(tools)]
    if delivery is not None and hosting is not None:
        raise _bad(
            "hosting", "cannot be combined with delivery: a hosted order is delivered to its hosting location"
        )
    for argument, block in (
        ("delivery", delivery),
        ("notifications", notifications),
        ("metadata", metadata),
        ("hosting", hosting),
    ):
        if block is not None:
            request[argument] = _object(argument, block)
    return request


def scene_product(
    item_ids: Sequence[str],
    item_type: str,
    product_bundle: str,
    *,
    fallback_bundles: str | Sequence[str] | None = None,
) -> JsonDict:
    """
    A product of a scenes order: catalog items of one item type, in one product bundle.

    :param fallback_bundles: Bundles to try, in order, for items the first bundle is not available
        for. Planet takes them comma-joined after ``product_bundle``, which this does for you.
    """
    ids = _strings("item_ids", item_ids)
    if len(ids) > MAX_ITEMS:
        raise _bad("item_ids", f"an order takes at most {MAX_ITEMS} items, got {len(ids)}: split it")
    kind = _text("item_type", item_type)
    known = suggest(kind, KNOWN_ITEM_TYPES)
    if known is not None and known.lower() == kind.lower():
        kind = known
    bundles = _bundle_names("product_bundle", product_bundle)
    if fallback_bundles is not None:
        if isinstance(fallback_bundles, str):
            bundles += _bundle_names("fallback_bundles", fallback_bundles)
        elif isinstance(fallback_bundles, Sequence) and not fallback_bundles:
            pass  # no fallbacks, said explicitly
        else:
            for index, bundle in enumerate(_strings("fallback_bundles", fallback_bundles)):
                bundles += _bundle_names(f"fallback_bundles[{index}]", bundle)
    return {"item_ids": ids, "item_type": kind, "product_bundle": ",".join(dict.fromkeys(bundles))}


def _bundle_names(argument: str, value: object) -> list[str]:
    names = [name.strip() for name in _text(argument, value).split(",")]
    if not all(names):
        raise _bad(argument, "has an empty bundle name: check the commas")
    if any(" " in name for name in names):
        raise _bad(argument, "a bundle name has no spaces")
    return names


def basemap_product(
    mosaic_name: str,
    *,
    geometry: Any = None,
    quad_ids: Sequence[str] | None = None,
) -> JsonDict:
    """
    A product of a basemaps order: an area of one mosaic, as a geometry or as quad ids.

    :param geometry: A GeoJSON Polygon or MultiPolygon, a Feature holding one, or any object with
        ``__geo_interface__`` (a shapely shape, for example).
    :param quad_ids: Quads of the mosaic, instead of ``geometry``.
    """
    product: JsonDict = {"mosaic_name": _text("mosaic_name", mosaic_name)}
    if (geometry is None) == (quad_ids is None):
        raise _bad("geometry", "give either geometry or quad_ids (one of them, not both)")
    if geometry is not None:
        product["geometry"] = _geometry("geometry", geometry, refs_allowed=False)
    else:
        ids = _strings("quad_ids", quad_ids)
        if len(ids) > MAX_ITEMS:
            raise _bad("quad_ids", f"an order takes at most {MAX_ITEMS} quads, got {len(ids)}: split it")
        product["quad_ids"] = ids
    return product


def _geometry(argument: str, value: Any, *, refs_allowed: bool) -> JsonDict:
    """A Polygon or MultiPolygon from what a user is likely to hold; checked like the validator does."""
    if refs_allowed and isinstance(value, str) and value.startswith("pl:features/"):
        return {"type": "ref", "content": value}
    geo_interface = getattr(value, "__geo_interface__", None)
    if geo_interface is not None and not isinstance(value, Mapping):
        value = geo_interface
    if isinstance(value, Mapping):
        if value.get("type") == "Feature":
            value = value.get("geometry")
        elif value.get("type") == "FeatureCollection":
            features = value.get("features")
            if not isinstance(features, Sequence) or len(features) != 1:
                raise _bad(
                    argument, "a FeatureCollection must hold exactly one feature to be used as a geometry"
                )
            feature = features[0]
            value = feature.get("geometry") if isinstance(feature, Mapping) else feature
    from airflow_provider_planet_orders.order_request import _schema

    return _schema.check_geometry(argument, _plain(value), refs_allowed=refs_allowed)


# --- tools ------------------------------------------------------------------------------------


def harmonize_tool(target_sensor: str) -> JsonDict:
    """Radiometric harmonization of the items to a target sensor, for example ``"Sentinel-2"``."""
    sensor = _text("target_sensor", target_sensor)
    known = suggest(sensor, HARMONIZE_TARGET_SENSORS)
    if known is not None and known.lower() == sensor.lower():
        sensor = known
    return {"harmonize": {"target_sensor": sensor}}


def coregister_tool(anchor_item: str) -> JsonDict:
    """Coregistration of every item to ``anchor_item``, one of the ordered item ids."""
    return {"coregister": {"anchor_item": _text("anchor_item", anchor_item)}}


def toar_tool(scale_factor: int | None = None) -> JsonDict:
    """Top-of-atmosphere reflectance; ``scale_factor`` defaults to 10000 at Planet."""
    parameters: JsonDict = {}
    if scale_factor is not None:
        parameters["scale_factor"] = _number("scale_factor", scale_factor, positive=True, integer=True)
    return {"toar": parameters}


def clip_tool(aoi: Any = None) -> JsonDict:
    """
    Clip to an area.

    For scenes, ``aoi`` is required: a Polygon or MultiPolygon (GeoJSON, a Feature, a shapely
    shape) or a Planet feature reference (``"pl:features/..."``). For basemaps, leave ``aoi`` out:
    the basemaps clip tool clips each quad to its product's geometry.
    """
    if aoi is None:
        return {"clip": {}}
    return {"clip": {"aoi": _geometry("aoi", aoi, refs_allowed=True)}}


def reproject_tool(
    projection: str, *, resolution: float | None = None, kernel: str | None = None
) -> JsonDict:
    """
    Reprojection to ``projection`` (``"EPSG:4326"``, ``"EPSG:32611"``, ...).

    :param resolution: Output pixel size, in the projection's units.
    :param kernel: Resampling kernel; Planet's default is ``"near"``.
    """
    parameters: JsonDict = {"projection": _text("projection", projection)}
    if resolution is not None:
        parameters["resolution"] = _number("resolution", resolution, positive=True)
    if kernel is not None:
        parameters["kernel"] = _choice("kernel", kernel, REPROJECT_KERNELS)
    return {"reproject": parameters}


def bandmath_tool(
    b1: str,
    b2: str | None = None,
    b3: str | None = None,
    b4: str | None = None,
    b5: str | None = None,
    b6: str | None = None,
    b7: str | None = None,
    b8: str | None = None,
    b9: str | None = None,
    b10: str | None = None,
    b11: str | None = None,
    b12: str | None = None,
    b13: str | None = None,
    b14: str | None = None,
    b15: str | None = None,
    *,
    pixel_type: str | None = None,
) -> JsonDict:
    """
    Band math: output band ``bN`` is the expression given for it, over input bands ``b1``, ``b2``...

    Bands cannot be skipped (``b3`` needs ``b1`` and ``b2``). ``pixel_type`` is one of ``Auto``
    (Planet's default), ``8U``, ``16U``, ``16S``, ``32R``.
    """
    bands = (b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15)
    parameters: JsonDict = {}
    for number, expression in enumerate(bands, start=1):
        if expression is None:
            continue
        missing = [f"b{n}" for n in range(1, number) if bands[n - 1] is None]
        if missing:
            raise _bad(missing[0], f"is missing while b{number} is set: bands cannot be skipped")
        parameters[f"b{number}"] = _text(f"b{number}", expression)
    if pixel_type is not None:
        parameters["pixel_type"] = _choice("pixel_type", pixel_type, BANDMATH_PIXEL_TYPES)
    return {"bandmath": parameters}


def composite_tool(group_by: str | None = None) -> JsonDict:
    """One composite of all items (``group_by="order"``, the default) or one per strip (``"strip_id"``)."""
    parameters: JsonDict = {}
    if group_by is not None:
        parameters["group_by"] = _choice("group_by", group_by, COMPOSITE_GROUP_BY)
    return {"composite": parameters}


def tile_tool(
    tile_size: int,
    *,
    origin_x: float | None = None,
    origin_y: float | None = None,
    pixel_size: float | None = None,
    name_template: str | None = None,
    conformal_x_scaling: bool | None = None,
) -> JsonDict:
    """Square tiles of ``tile_size`` pixels on a grid; see Planet's tile tool for the options."""
    parameters: JsonDict = {"tile_size": _number("tile_size", tile_size, positive=True, integer=True)}
    if origin_x is not None:
        parameters["origin_x"] = _number("origin_x", origin_x)
    if origin_y is not None:
        parameters["origin_y"] = _number("origin_y", origin_y)
    if pixel_size is not None:
        parameters["pixel_size"] = _number("pixel_size", pixel_size, positive=True)
    if name_template is not None:
        parameters["name_template"] = _text("name_template", name_template)
    if conformal_x_scaling is not None:
        parameters["conformal_x_scaling"] = _boolean("conformal_x_scaling", conformal_x_scaling)
    return {"tile": parameters}


PercentRange = Mapping[str, float]


def cloud_filter_tool(
    *,
    clear_percent: PercentRange | None = None,
    cloud_percent: PercentRange | None = None,
    shadow_percent: PercentRange | None = None,
    heavy_haze_percent: PercentRange | None = None,
    light_haze_percent: PercentRange | None = None,
    snow_ice_percent: PercentRange | None = None,
) -> JsonDict:
    """
    Drop items whose cover, measured after clipping, is out of range.

    Each filter is ``{"gte": low, "lte": high}`` in percent, either bound optional:
    ``cloud_filter_tool(cloud_percent={"lte": 10})``.
    """
    given = dict(
        zip(
            CLOUD_FILTER_METRICS,
            (
                clear_percent,
                cloud_percent,
                shadow_percent,
                heavy_haze_percent,
                light_haze_percent,
                snow_ice_percent,
            ),
            strict=True,
        )
    )
    parameters: JsonDict = {}
    for metric, bounds in given.items():
        if bounds is None:
            continue
        if not isinstance(bounds, Mapping):
            raise _bad(metric, f"must be a dict such as {{'lte': 10}}, got {json_type(bounds)}")
        unknown = sorted(set(bounds) - {"gte", "lte"})
        if unknown:
            raise _bad(metric, f"takes the bounds 'gte' and 'lte' only, got {', '.join(map(show, unknown))}")
        limits: JsonDict = {}
        for bound in ("gte", "lte"):
            if bounds.get(bound) is not None:
                limits[bound] = _number(f"{metric}.{bound}", bounds[bound])
                if not 0 <= limits[bound] <= 100:
                    raise _bad(
                        f"{metric}.{bound}", f"is a percentage, between 0 and 100; got {show(bounds[bound])}"
                    )
        if not limits:
            raise _bad(metric, "needs gte, lte or both")
        if "gte" in limits and "lte" in limits and limits["gte"] > limits["lte"]:
            raise _bad(metric, "has gte greater than lte: no image can match")
        parameters[metric] = limits
    if not parameters:
        raise _bad("cloud_filter_tool", f"needs at least one filter: {', '.join(CLOUD_FILTER_METRICS)}")
    return {"cloud_filter": parameters}


def file_format_tool(format: str) -> JsonDict:
    """Output format: ``"COG"`` (Cloud-Optimized GeoTIFF) or ``"PL_NITF"``; scenes and basemaps alike."""
    return {"file_format": {"format": _choice("format", format, FILE_FORMATS)}}


def merge_tool() -> JsonDict:
    """Merge a basemaps order's quads into one file (basemaps orders only)."""
    return {"merge": {}}


# --- delivery ---------------------------------------------------------------------------------


def delivery(
    target: Mapping[str, Any] | None = None,
    *,
    archive_type: str | None = None,
    single_archive: bool | None = None,
    archive_filename: str | None = None,
    layout: str | Mapping[str, Any] | None = None,
) -> JsonDict:
    """
    Where and how results are delivered.

    :param target: One cloud target, from :func:`amazon_s3`, :func:`google_cloud_storage`, ...;
        without one, Planet keeps the results for download.
    :param archive_type: ``"zip"``; implied by ``single_archive`` or ``archive_filename``.
    :param single_archive: One archive for the whole order rather than one per bundle.
    :param archive_filename: Planet expands ``{{name}}`` and ``{{order_id}}`` in it. In a templated
        operator field, write them so that Jinja leaves them alone (see the docs).
    :param layout: ``"standard"``, or the layout object itself.
    """
    block: JsonDict = {}
    if archive_type is None and (single_archive or archive_filename is not None):
        archive_type = "zip"
    if archive_type is not None:
        block["archive_type"] = _choice("archive_type", archive_type, ARCHIVE_TYPES)
    if single_archive is not None:
        block["single_archive"] = _boolean("single_archive", single_archive)
    if archive_filename is not None:
        block["archive_filename"] = _text("archive_filename", archive_filename)
    if layout is not None:
        block["layout"] = (
            {"format": _text("layout", layout)} if isinstance(layout, str) else _object("layout", layout)
        )
    if target is not None:
        cloud = _object("target", target)
        if len(cloud) != 1 or next(iter(cloud)) not in CLOUD_TARGETS:
            raise _bad(
                "target",
                f"must be one cloud target, such as the result of amazon_s3(); names {one_of(list(cloud))}",
            )
        name, settings = next(iter(cloud.items()))
        if not isinstance(settings, dict):
            raise _bad("target", f"the settings of {name} must be a dict, got {json_type(settings)}")
        block[name] = settings
    return block


def _connection_or_keys(
    target: str, conn_argument: str, conn_id: str | None, keys: dict[str, str | None]
) -> JsonDict:
    """Either an Airflow connection marker or every credential, never a mix."""
    if conn_id is not None:
        given = [name for name, value in keys.items() if value is not None]
        if given:
            raise _bad(
                given[0], f"must not be given together with {conn_argument}: the connection supplies it"
            )
        return {CONNECTION_MARKER: _text(conn_argument, conn_id)}
    missing = [name for name, value in keys.items() if value is None]
    if missing:
        raise _bad(
            missing[0], f"is required for {target} (or give {conn_argument} to read it from a connection)"
        )
    return {name: _secret(name, value) for name, value in keys.items()}


def amazon_s3(
    bucket: str,
    aws_region: str | None = None,
    *,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    path_prefix: str | None = None,
    aws_conn_id: str | None = None,
) -> JsonDict:
    """
    Delivery to an Amazon S3 bucket.

    Give either the access keys or ``aws_conn_id``, the id of an Airflow ``aws`` connection: the
    keys (and the region, when ``aws_region`` is left out) are then read when the task runs, so
    that no secret sits in the DAG file.
    """
    settings: JsonDict = {"bucket": _text("bucket", bucket)}
    if aws_region is not None:
        settings["aws_region"] = _text("aws_region", aws_region)
    elif aws_conn_id is None:
        raise _bad("aws_region", "is required (or give aws_conn_id, whose connection names a region)")
    settings.update(
        _connection_or_keys(
            "amazon_s3",
            "aws_conn_id",
            aws_conn_id,
            {"aws_access_key_id": aws_access_key_id, "aws_secret_access_key": aws_secret_access_key},
        )
    )
    if path_prefix is not None:
        settings["path_prefix"] = _path_prefix(path_prefix)
    return {"amazon_s3": settings}


def azure_blob_storage(
    account: str,
    container: str,
    sas_token: str,
    *,
    storage_endpoint_suffix: str | None = None,
    path_prefix: str | None = None,
) -> JsonDict:
    """Delivery to an Azure Blob Storage container; a leading ``?`` of ``sas_token`` is dropped."""
    settings: JsonDict = {
        "account": _text("account", account),
        "container": _text("container", container),
        "sas_token": _secret("sas_token", sas_token).removeprefix("?"),
    }
    if not settings["sas_token"]:
        raise _bad("sas_token", "must not be empty")
    if storage_endpoint_suffix is not None:
        settings["storage_endpoint_suffix"] = _text("storage_endpoint_suffix", storage_endpoint_suffix)
    if path_prefix is not None:
        settings["path_prefix"] = _path_prefix(path_prefix)
    return {"azure_blob_storage": settings}


def google_cloud_storage(
    bucket: str,
    credentials: str | Mapping[str, Any] | None = None,
    *,
    path_prefix: str | None = None,
    gcp_conn_id: str | None = None,
) -> JsonDict:
    """
    Delivery to a Google Cloud Storage bucket.

    :param credentials: The service-account key: base64-encoded as Planet wants it, or the key's
        JSON text or dict, which are encoded for you.
    :param gcp_conn_id: Instead of ``credentials``, an Airflow ``google_cloud_platform`` connection
        whose key (``keyfile_dict`` or ``key_path``) is read when the task runs.
    """
    settings: JsonDict = {"bucket": _text("bucket", bucket)}
    if gcp_conn_id is not None:
        if credentials is not None:
            raise _bad(
                "credentials", "must not be given together with gcp_conn_id: the connection supplies it"
            )
        settings[CONNECTION_MARKER] = _text("gcp_conn_id", gcp_conn_id)
    elif credentials is None:
        raise _bad("credentials", "is required (or give gcp_conn_id to read the key from a connection)")
    else:
        settings["credentials"] = encode_service_account_key(credentials)
    if path_prefix is not None:
        settings["path_prefix"] = _path_prefix(path_prefix)
    return {"google_cloud_storage": settings}


def encode_service_account_key(key: str | Mapping[str, Any]) -> str:
    """A service-account key as Planet wants it: base64 of its JSON. Accepts it encoded already."""
    if isinstance(key, Mapping):
        return base64.b64encode(json.dumps(dict(key)).encode()).decode()
    text = _secret("credentials", key).strip()
    if text.startswith("{"):
        try:
            info = json.loads(text)
        except ValueError:
            raise _bad("credentials", "looks like JSON but does not parse") from None
        if not isinstance(info, dict):
            raise _bad("credentials", "must be a service-account key (a JSON object)")
        return base64.b64encode(text.encode()).decode()
    try:
        decoded = json.loads(base64.b64decode("".join(text.split()), validate=True))
    except (binascii.Error, ValueError):
        raise _bad("credentials", "is neither a service-account key JSON nor its base64 encoding") from None
    if not isinstance(decoded, dict):
        raise _bad("credentials", "must encode a service-account key (a JSON object)")
    return text


def google_earth_engine(project: str, collection: str, *, credentials: str | None = None) -> JsonDict:
    """Delivery to a Google Earth Engine image collection of a Cloud project."""
    settings: JsonDict = {"project": _text("project", project), "collection": _text("collection", collection)}
    if credentials is not None:
        settings["credentials"] = _secret("credentials", credentials)
    return {"google_earth_engine": settings}


def oracle_cloud_storage(
    bucket: str,
    region: str,
    namespace: str,
    customer_access_key_id: str,
    customer_secret_key: str,
    *,
    path_prefix: str | None = None,
) -> JsonDict:
    """Delivery to an Oracle Cloud Infrastructure Object Storage bucket."""
    settings: JsonDict = {
        "bucket": _text("bucket", bucket),
        "customer_access_key_id": _secret("customer_access_key_id", customer_access_key_id),
        "customer_secret_key": _secret("customer_secret_key", customer_secret_key),
        "region": _text("region", region),
        "namespace": _text("namespace", namespace),
    }
    if path_prefix is not None:
        settings["path_prefix"] = _path_prefix(path_prefix)
    return {"oracle_cloud_storage": settings}


def planet_folders(folder_id: str | None = None) -> JsonDict:
    """Delivery to a folder of the user's Planet storage."""
    settings: JsonDict = {}
    if folder_id is not None:
        settings["folder_id"] = _text("folder_id", folder_id)
    return {"planet_folders": settings}


def s3_compatible(
    bucket: str,
    endpoint: str | None = None,
    region: str | None = None,
    *,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    use_path_style: bool | None = None,
    path_prefix: str | None = None,
    aws_conn_id: str | None = None,
) -> JsonDict:
    """
    Delivery to an S3-compatible store (MinIO, Ceph, Wasabi, ...).

    Give either the access keys or ``aws_conn_id``, an Airflow ``aws`` connection; its
    ``endpoint_url`` and ``region_name`` extras stand in for ``endpoint`` and ``region`` when
    those are left out.
    """
    settings: JsonDict = {"bucket": _text("bucket", bucket)}
    for argument, value in (("endpoint", endpoint), ("region", region)):
        if value is not None:
            settings[argument] = _text(argument, value)
        elif aws_conn_id is None:
            raise _bad(argument, "is required (or give aws_conn_id, whose connection can name it)")
    settings.update(
        _connection_or_keys(
            "s3_compatible",
            "aws_conn_id",
            aws_conn_id,
            {"access_key_id": access_key_id, "secret_access_key": secret_access_key},
        )
    )
    if use_path_style is not None:
        settings["use_path_style"] = _boolean("use_path_style", use_path_style)
    if path_prefix is not None:
        settings["path_prefix"] = _path_prefix(path_prefix)
    return {"s3_compatible": settings}


def _path_prefix(value: object) -> str:
    if not isinstance(value, str):
        raise _bad("path_prefix", f"must be a string, got {json_type(value)}")
    return value


# --- notifications, metadata, hosting -----------------------------------------------------------


def notifications(
    *,
    email: bool | None = None,
    webhook_url: str | None = None,
    webhook_per_order: bool | None = None,
) -> JsonDict:
    """
    How to hear that the order is done: an email, and/or a webhook call.

    :param webhook_per_order: One call for the order instead of one per delivered file.
    """
    block: JsonDict = {}
    if webhook_url is not None:
        url = _text("webhook_url", webhook_url)
        if not url.startswith(("http://", "https://")):
            raise _bad("webhook_url", "must be an http(s) URL")
        block["webhook"] = {"url": url}
        if webhook_per_order is not None:
            block["webhook"]["per_order"] = _boolean("webhook_per_order", webhook_per_order)
    elif webhook_per_order is not None:
        raise _bad("webhook_per_order", "needs webhook_url")
    if email is not None:
        block["email"] = _boolean("email", email)
    if not block:
        raise _bad("notifications", "give email and/or webhook_url")
    return block


def stac_metadata() -> JsonDict:
    """Ask for STAC metadata with the results (the ``metadata`` argument of the request)."""
    return {"stac": {}}


def sentinel_hub_hosting(
    collection_id: str | None = None,
    *,
    create_configuration: bool | None = None,
    configuration_id: str | None = None,
) -> JsonDict:
    """
    Host the results in Sentinel Hub instead of delivering them (the ``hosting`` argument).

    Without ``collection_id``, Planet creates a collection.
    """
    settings: JsonDict = {}
    if collection_id is not None:
        settings["collection_id"] = _text("collection_id", collection_id)
    if create_configuration is not None:
        settings["create_configuration"] = _boolean("create_configuration", create_configuration)
    if configuration_id is not None:
        settings["configuration_id"] = _text("configuration_id", configuration_id)
    return {"sentinel_hub": settings}
