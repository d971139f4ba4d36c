"""
Order requests for Planet's Orders API: builders, a validator, and delivery-secret helpers.

Builders return plain, JSON-ready dicts, so that a request can be written in Python, copied from
Planet's docs, or built with Planet's SDK, and all three are validated alike::

    from airflow_provider_planet_orders.order_request import (
        build_order_request, clip_tool, delivery, amazon_s3, scene_product,
    )

    request = build_order_request(
        "fields-2024-06",
        [scene_product(["20240601_101010_00_2461"], "PSScene", "analytic_udm2")],
        tools=[clip_tool(aoi)],
        delivery=delivery(amazon_s3(bucket="imagery", aws_region="eu-west-1", aws_conn_id="aws_default")),
    )

:func:`validate_order_request` raises one
:class:`~airflow_provider_planet_orders.exceptions.PlanetInvalidOrderRequestError` listing every
problem with its JSON path, and warns (:class:`PlanetOrderRequestWarning`) about what is merely
unknown. Importing this module stays cheap: the pydantic schema loads on first validation.
"""

from __future__ import annotations

from airflow_provider_planet_orders.core.bundles import BundleSpec
from airflow_provider_planet_orders.order_request._builders import (
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
)
from airflow_provider_planet_orders.order_request._common import (
    CONNECTION_MARKER,
    PlanetOrderRequestWarning,
)
from airflow_provider_planet_orders.order_request._connections import resolve_connection_credentials
from airflow_provider_planet_orders.order_request._secrets import (
    SECRET_FIELDS,
    iter_secret_values,
    mask_order_request_secrets,
    redact_order_request,
)
from airflow_provider_planet_orders.order_request._templating import protect_planet_placeholders


def validate_order_request(request: object, *, bundle_spec: BundleSpec | None = None) -> None:
    """
    Check ``request`` against the Orders API's request schema, before any API call.

    Raises :class:`~airflow_provider_planet_orders.exceptions.PlanetInvalidOrderRequestError`
    whose ``problems`` list every error as ``(json_path, message)``, for example
    ``("products[0].item_ids", "must not be empty")``. Emits a :class:`PlanetOrderRequestWarning`
    for each doubtful but possibly valid part: unknown keys, item types, bundles. Any input, even
    ``None`` or nested junk, gives that error and nothing else. Secret values never appear in
    messages. Cloud-target blocks may carry an ``airflow_conn_id`` marker instead of their
    credentials (see :func:`resolve_connection_credentials`).

    Bundles are checked against Planet's bundle spec (``bundle_spec``; the copy shipped with the
    package unless given): a bundle an item type cannot take is an error naming the product, the
    item type and the bundles it can take, each fallback bundle checked; a bundle the spec does not
    know only warns.
    """
    from airflow_provider_planet_orders.order_request._schema import validate

    validate(request, stacklevel=2, bundle_spec=bundle_spec)


__all__ = [
    "CONNECTION_MARKER",
    "SECRET_FIELDS",
    "PlanetOrderRequestWarning",
    "amazon_s3",
    "azure_blob_storage",
    "bandmath_tool",
    "basemap_product",
    "build_order_request",
    "clip_tool",
    "cloud_filter_tool",
    "composite_tool",
    "coregister_tool",
    "delivery",
    "encode_service_account_key",
    "file_format_tool",
    "google_cloud_storage",
    "google_earth_engine",
    "harmonize_tool",
    "iter_secret_values",
    "mask_order_request_secrets",
    "merge_tool",
    "notifications",
    "oracle_cloud_storage",
    "planet_folders",
    "protect_planet_placeholders",
    "redact_order_request",
    "reproject_tool",
    "resolve_connection_credentials",
    "s3_compatible",
    "scene_product",
    "sentinel_hub_hosting",
    "stac_metadata",
    "tile_tool",
    "toar_tool",
    "validate_order_request",
]
