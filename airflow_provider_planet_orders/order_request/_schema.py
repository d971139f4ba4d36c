"""
The order request schema, described with pydantic, and the validator built on it.

The models follow the "Create Order" body of Planet's Orders API reference. They are strict
(JSON types, no coercion: ``"true"`` is not a boolean) and open (``extra="allow"``): unknown keys
are kept and reported as warnings, because Planet's API grows faster than any client.

Rules that span several parts of a request (products against ``source_type``, tools allowed for
the source type, the 500-item limit, one cloud target, delivery against hosting) are checked by
the root model on the raw request, so that they are reported together with every field error
rather than only once the fields are right.

This module is imported on first validation, not when a DAG file imports the builders.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import types
import warnings
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from airflow_provider_planet_orders.core.api import (
    CLOUD_TARGETS,
    HARMONIZE_TARGET_SENSORS,
    TOOL_NAMES,
    TOOLS_BY_SOURCE_TYPE,
)
from airflow_provider_planet_orders.core.bundles import BundleCheck, BundleSpec, split_fallbacks
from airflow_provider_planet_orders.exceptions import PlanetInvalidOrderRequestError
from airflow_provider_planet_orders.order_request._common import (
    ARCHIVE_TYPES,
    BANDMATH_MAX_BANDS,
    BANDMATH_PIXEL_TYPES,
    COMPOSITE_GROUP_BY,
    CONNECTION_MARKER,
    CONNECTION_TARGETS,
    DROPPED_HARMONIZE_TARGET_SENSORS,
    FILE_FORMATS,
    KNOWN_ITEM_TYPES,
    LAYOUT_FORMATS,
    MAX_ITEMS,
    MAX_ZIPPED_ITEMS,
    ORDER_SOURCE_TYPES,
    ORDER_TYPES,
    REPROJECT_KERNELS,
    ZIP_LIMITED_ITEM_TYPES,
    PlanetOrderRequestWarning,
    did_you_mean,
    join_path,
    json_type,
    one_of,
    path_sort_key,
    show,
)
from airflow_provider_planet_orders.order_request._secrets import SECRET_FIELDS

Problem = tuple[str, str]
#: A problem relative to where pydantic reports the error: (sub-path parts, message).
RelativeProblem = tuple[tuple[str | int, ...], str]

#: Stands in for credential fields that an Airflow connection will supply, so that "required"
#: still means required when there is no connection.
_FROM_CONNECTION = "\x00airflow-connection\x00"
_MAX_DEPTH = 64


def _fail(*problems: RelativeProblem) -> PydanticCustomError:
    """An error carrying one or more problems, each at a path below where pydantic reports it."""
    return PydanticCustomError(
        "order_request", "{summary}", {"summary": problems[0][1], "problems": problems}
    )


# --- reusable field types --------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise _fail(((), "must not be empty"))
    return value


NonEmptyStr = Annotated[str, AfterValidator(_not_blank)]


def _not_null(value: Any) -> Any:
    if value is None:
        raise _fail(((), "must not be null: leave the key out instead"))
    return value


_T = TypeVar("_T")
#: Optional (the key may be absent) but not nullable: Planet reads ``null`` as a broken block.
NotNull = Annotated[_T, BeforeValidator(_not_null)]


def _one_of(choices: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in choices:
            raise _fail(
                ((), f"must be one of {one_of(choices)}; got {show(value)}{did_you_mean(value, choices)}")
            )
        return value

    return AfterValidator(check)


OrderType = Annotated[str, _one_of(ORDER_TYPES)]
SourceType = Annotated[str, _one_of(ORDER_SOURCE_TYPES)]
ArchiveType = Annotated[str, _one_of(ARCHIVE_TYPES)]
FileFormatName = Annotated[str, _one_of(FILE_FORMATS)]
Kernel = Annotated[str, _one_of(REPROJECT_KERNELS)]
PixelType = Annotated[str, _one_of(BANDMATH_PIXEL_TYPES)]
GroupBy = Annotated[str, _one_of(COMPOSITE_GROUP_BY)]
NonEmptyStrList = Annotated[list[NonEmptyStr], Field(min_length=1)]


class _Model(BaseModel):
    """Strict JSON types; unknown keys kept (and reported as warnings by :func:`_unknown_keys`)."""

    model_config = ConfigDict(strict=True, extra="allow")

    #: Whether unknown keys of this object deserve a warning.
    _warn_unknown: ClassVar[bool] = True

    @classmethod
    def _claims(cls, value: dict[str, Any]) -> bool:
        """For members of a union: whether ``value`` is meant to be this model."""
        return True


# --- GeoJSON ---------------------------------------------------------------------------------


def _closed_ring(ring: list[list[float]]) -> list[list[float]]:
    if ring[0] != ring[-1]:
        raise _fail(((), "is not closed: a linear ring must end with its first position"))
    return ring


Position = Annotated[list[float], Field(min_length=2, max_length=3)]
LinearRing = Annotated[list[Position], Field(min_length=4), AfterValidator(_closed_ring)]


class Polygon(_Model):
    type: str
    coordinates: Annotated[list[LinearRing], Field(min_length=1)]
    bbox: list[float] | None = None

    @classmethod
    def _claims(cls, value: dict[str, Any]) -> bool:
        return value.get("type") == "Polygon"


class MultiPolygon(_Model):
    type: str
    coordinates: Annotated[list[Annotated[list[LinearRing], Field(min_length=1)]], Field(min_length=1)]
    bbox: list[float] | None = None

    @classmethod
    def _claims(cls, value: dict[str, Any]) -> bool:
        return value.get("type") == "MultiPolygon"


def _feature_ref(value: str) -> str:
    if not value.startswith("pl:features/"):
        raise _fail(((), "must be a Planet feature reference, starting with 'pl:features/'"))
    return value


class FeatureRef(_Model):
    """A reference to a Planet Features API geometry, as Planet's SDK writes it for ``clip``."""

    type: str
    content: Annotated[NonEmptyStr, AfterValidator(_feature_ref)]

    @classmethod
    def _claims(cls, value: dict[str, Any]) -> bool:
        return value.get("type") == "ref"


class _NotAGeometry(_Model):
    """Whatever is not a Polygon or MultiPolygon: a message that says what it is instead."""

    _refs_allowed: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _reject(cls, data: Any) -> Any:
        expected = "a GeoJSON Polygon or MultiPolygon"
        if not isinstance(data, dict):
            raise _fail(((), f"must be {expected} object, got {json_type(data)}"))
        kind = data.get("type")
        if "type" not in data:
            raise _fail((("type",), f"is required: the geometry must be {expected}"))
        if not isinstance(kind, str):
            raise _fail((("type",), f"must be a string, got {json_type(kind)}"))
        if kind == "Feature":
            raise _fail(((), "is a GeoJSON Feature: give its geometry (a Polygon or MultiPolygon) instead"))
        if kind == "FeatureCollection":
            raise _fail(((), "is a GeoJSON FeatureCollection: give one Polygon or MultiPolygon geometry"))
        if kind == "ref":
            raise _fail(((), f"a Planet feature reference is not accepted here: give {expected}"))
        hint = did_you_mean(kind, ("Polygon", "MultiPolygon"))
        raise _fail((("type",), f"must be 'Polygon' or 'MultiPolygon', got {show(kind)}{hint}"))


def _geometry_kind(refs_allowed: bool) -> Callable[[Any], str]:
    tags = {"Polygon": "@Polygon", "MultiPolygon": "@MultiPolygon"}
    if refs_allowed:
        tags["ref"] = "@ref"

    def kind(value: Any) -> str:
        if isinstance(value, dict):
            geometry_type = value.get("type")
            if isinstance(geometry_type, str):
                return tags.get(geometry_type, "@other")
        return "@other"

    return kind


#: A clip area: a Polygon, a MultiPolygon, or (as Planet's SDK allows) a feature reference.
AOI = Annotated[
    Union[  # noqa: UP007 - pydantic needs the Union object to attach tags
        Annotated[Polygon, Tag("@Polygon")],
        Annotated[MultiPolygon, Tag("@MultiPolygon")],
        Annotated[FeatureRef, Tag("@ref")],
        Annotated[_NotAGeometry, Tag("@other")],
    ],
    Discriminator(_geometry_kind(refs_allowed=True)),
]
#: A basemap product's area: a Polygon or a MultiPolygon.
BasemapGeometry = Annotated[
    Union[  # noqa: UP007
        Annotated[Polygon, Tag("@Polygon")],
        Annotated[MultiPolygon, Tag("@MultiPolygon")],
        Annotated[_NotAGeometry, Tag("@other")],
    ],
    Discriminator(_geometry_kind(refs_allowed=False)),
]


# --- products ---------------------------------------------------------------------------------


def _bundle_list(value: str) -> str:
    """``product_bundle`` is one bundle or a comma-separated list of fallbacks, nothing looser."""
    names = value.split(",")
    if any(not name for name in names):
        raise _fail(((), "has an empty bundle name: separate fallback bundles with single commas"))
    if any(name != name.strip() or " " in name for name in names):
        raise _fail(((), "must not contain spaces: write fallback bundles as 'first,second'"))
    return value


def _is_basemap_product(value: dict[str, Any]) -> bool:
    return "mosaic_name" in value and "item_ids" not in value


class SceneProduct(_Model):
    item_ids: NonEmptyStrList
    item_type: NonEmptyStr
    product_bundle: Annotated[NonEmptyStr, AfterValidator(_bundle_list)]

    @classmethod
    def _claims(cls, value: dict[str, Any]) -> bool:
        return not _is_basemap_product(value)


class BasemapProduct(_Model):
    mosaic_name: NonEmptyStr
    geometry: BasemapGeometry | None = None
    quad_ids: NonEmptyStrList | None = None

    @classmethod
    def _claims(cls, value: dict[str, Any]) -> bool:
        return _is_basemap_product(value)

    @model_validator(mode="after")
    def _one_area(self) -> BasemapProduct:
        if self.geometry is None and self.quad_ids is None:
            raise _fail(((), "needs a geometry or quad_ids: the area of the mosaic to order"))
        if self.geometry is not None and self.quad_ids is not None:
            raise _fail(((), "takes either a geometry or quad_ids, not both"))
        return self


def _product_kind(value: Any) -> str:
    return "@basemaps" if isinstance(value, dict) and _is_basemap_product(value) else "@scenes"


Product = Annotated[
    Union[  # noqa: UP007
        Annotated[SceneProduct, Tag("@scenes")],
        Annotated[BasemapProduct, Tag("@basemaps")],
    ],
    Discriminator(_product_kind),
]


# --- tools ------------------------------------------------------------------------------------


class Harmonize(_Model):
    target_sensor: NonEmptyStr


class Coregister(_Model):
    anchor_item: NonEmptyStr


class Toar(_Model):
    scale_factor: Annotated[int, Field(ge=1)] | None = None


class Clip(_Model):
    """``aoi`` is required for scenes and absent for basemaps: the root model checks which."""

    aoi: AOI | None = None


class Reproject(_Model):
    projection: NonEmptyStr
    resolution: Annotated[float, Field(gt=0)] | None = None
    kernel: Kernel | None = None


class Bandmath(_Model):
    b1: NonEmptyStr | None = None
    b2: NonEmptyStr | None = None
    b3: NonEmptyStr | None = None
    b4: NonEmptyStr | None = None
    b5: NonEmptyStr | None = None
    b6: NonEmptyStr | None = None
    b7: NonEmptyStr | None = None
    b8: NonEmptyStr | None = None
    b9: NonEmptyStr | None = None
    b10: NonEmptyStr | None = None
    b11: NonEmptyStr | None = None
    b12: NonEmptyStr | None = None
    b13: NonEmptyStr | None = None
    b14: NonEmptyStr | None = None
    b15: NonEmptyStr | None = None
    pixel_type: PixelType | None = None

    @model_validator(mode="before")
    @classmethod
    def _at_most_15_bands(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                number = key[1:]
                if (
                    key.startswith("b")
                    and number.isascii()
                    and number.isdigit()
                    and int(number) > BANDMATH_MAX_BANDS
                ):
                    raise _fail(
                        ((key,), f"is one band too many: bandmath computes at most {BANDMATH_MAX_BANDS}")
                    )
        return data

    @model_validator(mode="after")
    def _no_skipped_bands(self) -> Bandmath:
        present = [getattr(self, f"b{n}") is not None for n in range(1, BANDMATH_MAX_BANDS + 1)]
        if not any(present):
            raise _fail(((), "needs at least the b1 expression"))
        last = max(n for n, there in enumerate(present, start=1) if there)
        missing = [n for n in range(1, last) if not present[n - 1]]
        if missing:
            raise _fail(
                *(((f"b{n}",), f"is missing while b{last} is set: bands cannot be skipped") for n in missing)
            )
        return self


class Composite(_Model):
    group_by: GroupBy | None = None


class Tile(_Model):
    tile_size: Annotated[int, Field(gt=0)]
    origin_x: float | None = None
    origin_y: float | None = None
    pixel_size: Annotated[float, Field(gt=0)] | None = None
    name_template: NonEmptyStr | None = None
    conformal_x_scaling: bool | None = None


Percent = Annotated[float, Field(ge=0, le=100)]


class PercentRange(_Model):
    gte: Percent | None = None
    lte: Percent | None = None

    @model_validator(mode="after")
    def _bounded(self) -> PercentRange:
        if self.gte is None and self.lte is None:
            raise _fail(((), "needs gte, lte or both"))
        if self.gte is not None and self.lte is not None and self.gte > self.lte:
            raise _fail(((), "has gte greater than lte: no image can match"))
        return self


class CloudFilter(_Model):
    clear_percent: PercentRange | None = None
    cloud_percent: PercentRange | None = None
    shadow_percent: PercentRange | None = None
    heavy_haze_percent: PercentRange | None = None
    light_haze_percent: PercentRange | None = None
    snow_ice_percent: PercentRange | None = None

    @model_validator(mode="after")
    def _something_to_filter(self) -> CloudFilter:
        known = (getattr(self, name) for name in CloudFilter.model_fields)
        if all(value is None for value in known) and not self.model_extra:
            raise _fail(((), "needs at least one filter, for example {'cloud_percent': {'lte': 10}}"))
        return self


class FileFormat(_Model):
    format: FileFormatName


class Merge(_Model):
    pass


class ToolEntry(_Model):
    """``{"<tool name>": {<parameters>}}``: exactly one known tool per entry."""

    _warn_unknown: ClassVar[bool] = False

    harmonize: NotNull[Harmonize | None] = None
    coregister: NotNull[Coregister | None] = None
    toar: NotNull[Toar | None] = None
    clip: NotNull[Clip | None] = None
    reproject: NotNull[Reproject | None] = None
    bandmath: NotNull[Bandmath | None] = None
    composite: NotNull[Composite | None] = None
    tile: NotNull[Tile | None] = None
    cloud_filter: NotNull[CloudFilter | None] = None
    file_format: NotNull[FileFormat | None] = None
    merge: NotNull[Merge | None] = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_tool(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise _fail(
                ((), f"must be an object naming one tool, like {{'clip': {{...}}}}, got {json_type(data)}")
            )
        names = list(data)
        if not names:
            raise _fail(((), "names no tool: write one tool per entry, like {'toar': {}}"))
        if set(names) >= {"type", "parameters"}:
            raise _fail(
                (
                    (),
                    "uses the Subscriptions API form {'type': ..., 'parameters': ...}; the Orders API "
                    "form is {'<tool name>': {<parameters>}}",
                )
            )
        if len(names) > 1:
            listed = ", ".join(show(name) for name in names)
            raise _fail(((), f"names {len(names)} tools ({listed}): put each tool in its own entry"))
        name = names[0]
        if name not in TOOL_NAMES:
            hint = did_you_mean(name, TOOL_NAMES)
            raise _fail(((name,), f"is not an Orders API tool{hint}; tools are {one_of(TOOL_NAMES)}"))
        return data


# --- delivery ---------------------------------------------------------------------------------


def _no_leading_question_mark(value: str) -> str:
    if value.startswith("?"):
        raise _fail(((), "must be given without its leading '?'"))
    return value


def _base64_service_account(value: str) -> str:
    """Planet wants the service-account key JSON, base64-encoded; never echo the value."""
    if value == _FROM_CONNECTION:
        return value
    if value.lstrip().startswith("{"):
        raise _fail(((), "must be the service-account key JSON base64-encoded, not the JSON itself"))
    try:
        # Line breaks, as `base64` writes every 76 characters, are ignored by Planet's decoder.
        decoded = json.loads(base64.b64decode("".join(value.split()), validate=True))
    except (binascii.Error, ValueError):
        raise _fail(((), "must be a base64-encoded service-account key JSON; this does not decode")) from None
    if not isinstance(decoded, dict):
        raise _fail(((), "must be a base64-encoded service-account key JSON object"))
    return value


class _CloudTarget(_Model):
    """A delivery target. Its credential fields may be replaced by an Airflow connection marker."""

    #: Key of this target in ``delivery``.
    _name: ClassVar[str] = ""
    #: Fields an Airflow connection supplies (the secrets, and what else the connection may hold).
    _connection_fields: ClassVar[tuple[str, ...]] = ()
    #: Of those, the ones that must not be written next to the marker.
    _secret_fields: ClassVar[tuple[str, ...]] = ()

    airflow_conn_id: NotNull[NonEmptyStr | None] = None
    path_prefix: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _connection_marker(cls, data: Any) -> Any:
        if not isinstance(data, dict) or CONNECTION_MARKER not in data:
            return data
        if cls._name not in CONNECTION_TARGETS:
            raise _fail(
                (
                    (CONNECTION_MARKER,),
                    f"is not supported for {cls._name}: credentials can come from an Airflow connection "
                    f"for {', '.join(CONNECTION_TARGETS)} only",
                )
            )
        clashes = [name for name in cls._secret_fields if name in data]
        if clashes:
            raise _fail(
                *(((name,), f"must not be set together with {CONNECTION_MARKER}") for name in clashes)
            )
        return {**{name: _FROM_CONNECTION for name in cls._connection_fields}, **data}


class AmazonS3(_CloudTarget):
    _name: ClassVar[str] = "amazon_s3"
    _connection_fields: ClassVar[tuple[str, ...]] = (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_region",
    )
    _secret_fields: ClassVar[tuple[str, ...]] = ("aws_access_key_id", "aws_secret_access_key")

    bucket: NonEmptyStr
    aws_region: NonEmptyStr
    aws_access_key_id: NonEmptyStr
    aws_secret_access_key: NonEmptyStr


class AzureBlobStorage(_CloudTarget):
    _name: ClassVar[str] = "azure_blob_storage"

    account: NonEmptyStr
    container: NonEmptyStr
    sas_token: Annotated[NonEmptyStr, AfterValidator(_no_leading_question_mark)]
    storage_endpoint_suffix: NonEmptyStr | None = None


class GoogleCloudStorage(_CloudTarget):
    _name: ClassVar[str] = "google_cloud_storage"
    _connection_fields: ClassVar[tuple[str, ...]] = ("credentials",)
    _secret_fields: ClassVar[tuple[str, ...]] = ("credentials",)

    bucket: NonEmptyStr
    credentials: Annotated[NonEmptyStr, AfterValidator(_base64_service_account)]


class GoogleEarthEngine(_CloudTarget):
    _name: ClassVar[str] = "google_earth_engine"

    project: NonEmptyStr
    collection: NonEmptyStr
    credentials: NonEmptyStr | None = None


class OracleCloudStorage(_CloudTarget):
    _name: ClassVar[str] = "oracle_cloud_storage"

    bucket: NonEmptyStr
    customer_access_key_id: NonEmptyStr
    customer_secret_key: NonEmptyStr
    region: NonEmptyStr
    namespace: NonEmptyStr


class PlanetFolders(_CloudTarget):
    _name: ClassVar[str] = "planet_folders"

    folder_id: NonEmptyStr | None = None


class S3Compatible(_CloudTarget):
    _name: ClassVar[str] = "s3_compatible"
    _connection_fields: ClassVar[tuple[str, ...]] = (
        "access_key_id",
        "secret_access_key",
        "region",
        "endpoint",
    )
    _secret_fields: ClassVar[tuple[str, ...]] = ("access_key_id", "secret_access_key")

    bucket: NonEmptyStr
    endpoint: NonEmptyStr
    region: NonEmptyStr
    access_key_id: NonEmptyStr
    secret_access_key: NonEmptyStr
    use_path_style: bool | None = None


class Destination(_CloudTarget):
    """A Destinations API reference, which Planet's SDK can write instead of a cloud target."""

    _name: ClassVar[str] = "destination"

    ref: NonEmptyStr


TARGET_MODELS: dict[str, type[_CloudTarget]] = {
    model._name: model
    for model in (
        AmazonS3,
        AzureBlobStorage,
        GoogleCloudStorage,
        GoogleEarthEngine,
        OracleCloudStorage,
        PlanetFolders,
        S3Compatible,
        Destination,
    )
}
assert set(TARGET_MODELS) == set(CLOUD_TARGETS)


class Layout(_Model):
    format: NonEmptyStr


class Delivery(_Model):
    single_archive: bool | None = None
    archive_type: ArchiveType | None = None
    archive_filename: NonEmptyStr | None = None
    layout: Layout | None = None
    amazon_s3: NotNull[AmazonS3 | None] = None
    azure_blob_storage: NotNull[AzureBlobStorage | None] = None
    google_cloud_storage: NotNull[GoogleCloudStorage | None] = None
    google_earth_engine: NotNull[GoogleEarthEngine | None] = None
    oracle_cloud_storage: NotNull[OracleCloudStorage | None] = None
    planet_folders: NotNull[PlanetFolders | None] = None
    s3_compatible: NotNull[S3Compatible | None] = None
    destination: NotNull[Destination | None] = None


# --- notifications, metadata, hosting -----------------------------------------------------------


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(((), "must be an http(s) URL"))
    return value


class Webhook(_Model):
    url: Annotated[NonEmptyStr, AfterValidator(_http_url)]
    per_order: bool | None = None


class Notifications(_Model):
    webhook: Webhook | None = None
    email: bool | None = None


class Metadata(_Model):
    stac: dict[str, Any] | None = None


class SentinelHub(_Model):
    collection_id: NonEmptyStr | None = None
    create_configuration: bool | None = None
    configuration_id: NonEmptyStr | None = None


class Hosting(_Model):
    sentinel_hub: NotNull[SentinelHub | None] = None

    @model_validator(mode="after")
    def _a_location(self) -> Hosting:
        if self.sentinel_hub is None and not self.model_extra:
            raise _fail(((), "names no hosting location, for example sentinel_hub"))
        return self


# --- the request ------------------------------------------------------------------------------


class OrderRequest(_Model):
    name: NonEmptyStr
    subscription_id: Annotated[int, Field(ge=0)] | None = None
    products: Annotated[list[Product], Field(min_length=1)]
    delivery: Delivery | None = None
    notifications: Notifications | None = None
    order_type: OrderType | None = None
    source_type: SourceType | None = None
    tools: list[ToolEntry] | None = None
    metadata: Metadata | None = None
    hosting: Hosting | None = None

    @model_validator(mode="before")
    @classmethod
    def _whole_request(cls, data: Any, info: ValidationInfo) -> Any:
        context = info.context
        if isinstance(data, dict) and isinstance(context, dict):
            spec = context.get("bundle_spec") or BundleSpec.vendored()
            _cross_checks(data, context["problems"], context["warnings"], spec)
        return data


def _cross_checks(
    data: dict[str, Any], problems: list[Problem], notes: list[Problem], spec: BundleSpec
) -> None:
    """The rules between parts of a request, on the raw request: nothing here may assume a type."""
    raw_source = data.get("source_type")
    source = "scenes" if raw_source is None else raw_source if raw_source in ORDER_SOURCE_TYPES else None

    item_ids: list[str] = []
    delivery = data.get("delivery")
    zipped = isinstance(delivery, dict) and delivery.get("archive_type") == "zip"
    products = data.get("products")
    if isinstance(products, list):
        item_ids = _check_products(products, source, zipped, problems, notes, spec)
    tools = data.get("tools")
    if isinstance(tools, list):
        _check_tools(tools, source, item_ids, problems, notes)
    if isinstance(delivery, dict):
        _check_delivery(delivery, problems, notes)
    if data.get("delivery") is not None and data.get("hosting") is not None:
        problems.append(
            (
                "hosting",
                "cannot be combined with delivery: a hosted order is delivered to its hosting location",
            )
        )


def _check_bundles(
    path: str,
    item_type: str,
    product_bundle: str,
    spec: BundleSpec,
    problems: list[Problem],
    notes: list[Problem],
) -> None:
    """
    Each bundle of a fallback list against Planet's bundle spec, as Planet checks them.

    A combination the spec refuses is an error (Planet answers 400 "Bad item type ... for bundle
    type ..."); a name the spec does not know only warns: it may be newer than the spec.
    """
    for name in split_fallbacks(product_bundle):
        verdict = spec.check(item_type, name)
        if verdict is BundleCheck.INVALID:
            problems.append(
                (
                    path,
                    f"bundle {show(name)} cannot be ordered for item type {show(item_type)}; "
                    f"{item_type} takes: {', '.join(spec.bundles_for(item_type))}",
                )
            )
        elif name not in spec.bundles():
            notes.append(
                (
                    path,
                    f"{show(name)} is not a bundle in Planet's bundle spec {spec.version}"
                    f"{did_you_mean(name, spec.bundles())}; it is sent as is",
                )
            )


def _check_products(
    products: list[Any],
    source: str | None,
    zipped: bool,
    problems: list[Problem],
    notes: list[Problem],
    spec: BundleSpec,
) -> list[str]:
    count = 0
    all_ids: list[str] = []
    zip_limited: list[str] = []
    for index, product in enumerate(products):
        if not isinstance(product, dict):
            continue
        path = join_path("products", index)
        basemap = _is_basemap_product(product)
        if source == "scenes" and basemap:
            problems.append(
                (path, "is a basemaps product (it has mosaic_name): set source_type to 'basemaps'")
            )
        elif source == "basemaps" and not basemap:
            problems.append(
                (
                    path,
                    "is not a basemaps product: with source_type 'basemaps', "
                    "each product needs a mosaic_name",
                )
            )
        ids = product.get("quad_ids" if basemap else "item_ids")
        if isinstance(ids, list):
            count += len(ids)
        if basemap:
            continue
        if isinstance(ids, list):
            texts = [value for value in ids if isinstance(value, str)]
            all_ids.extend(texts)
            repeated = sorted({value for value in texts if texts.count(value) > 1})
            if repeated:
                listed = ", ".join(show(value) for value in repeated[:5])
                notes.append((join_path(path, "item_ids"), f"lists some items more than once: {listed}"))
        item_type = product.get("item_type")
        if isinstance(item_type, str) and item_type.strip():
            _note_unknown(notes, join_path(path, "item_type"), item_type, KNOWN_ITEM_TYPES, "an item type")
            if item_type in ZIP_LIMITED_ITEM_TYPES and item_type not in zip_limited:
                zip_limited.append(item_type)
        bundle = product.get("product_bundle")
        if isinstance(bundle, str):
            kind = item_type if isinstance(item_type, str) else ""
            _check_bundles(join_path(path, "product_bundle"), kind, bundle, spec, problems, notes)
    if count > MAX_ITEMS:
        problems.append(
            (
                "products",
                f"an order takes at most {MAX_ITEMS} items over all its products, this one has {count}: "
                "split it into several orders",
            )
        )
    elif zipped and zip_limited and count > MAX_ZIPPED_ITEMS:
        problems.append(
            (
                "products",
                f"a zipped order of {' or '.join(zip_limited)} items takes at most {MAX_ZIPPED_ITEMS} items, "
                f"this one has {count}: split it, or deliver it unzipped",
            )
        )
    return all_ids


def _check_tools(
    tools: list[Any], source: str | None, item_ids: list[str], problems: list[Problem], notes: list[Problem]
) -> None:
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or len(tool) != 1:
            continue
        name, params = next(iter(tool.items()))
        if name not in TOOL_NAMES:
            continue
        path = join_path("tools", index)
        if source is not None and name not in TOOLS_BY_SOURCE_TYPE[source]:
            problems.append(
                (
                    path,
                    f"{name!r} is not available for {source} orders; "
                    f"they take {one_of(TOOLS_BY_SOURCE_TYPE[source])}",
                )
            )
            continue
        if not isinstance(params, dict):
            continue
        if name == "clip":
            if source == "scenes" and params.get("aoi") is None:
                problems.append(
                    (join_path(path, "clip", "aoi"), "is required for scenes orders: the area to clip to")
                )
            elif source == "basemaps" and "aoi" in params:
                notes.append(
                    (
                        join_path(path, "clip", "aoi"),
                        "is not used by basemaps orders: their clip tool clips to each product's geometry",
                    )
                )
        elif name == "harmonize":
            sensor = params.get("target_sensor")
            if isinstance(sensor, str) and sensor.strip() in DROPPED_HARMONIZE_TARGET_SENSORS:
                notes.append(
                    (
                        join_path(path, "harmonize", "target_sensor"),
                        f"{show(sensor)} is no longer a harmonize target (Planet's SDK accepts only "
                        f"{', '.join(HARMONIZE_TARGET_SENSORS)}); Planet may refuse it",
                    )
                )
            elif isinstance(sensor, str) and sensor.strip():
                _note_unknown(
                    notes,
                    join_path(path, "harmonize", "target_sensor"),
                    sensor,
                    HARMONIZE_TARGET_SENSORS,
                    "a sensor",
                )
        elif name == "coregister":
            anchor = params.get("anchor_item")
            if isinstance(anchor, str) and item_ids and anchor not in item_ids:
                notes.append(
                    (
                        join_path(path, "coregister", "anchor_item"),
                        f"{show(anchor)} is not one of the ordered items",
                    )
                )


def _check_delivery(delivery: dict[str, Any], problems: list[Problem], notes: list[Problem]) -> None:
    targets = [name for name in CLOUD_TARGETS if delivery.get(name) is not None]
    if len(targets) > 1:
        problems.append(
            (
                "delivery",
                f"names {len(targets)} cloud targets ({', '.join(targets)}): an order has at most one",
            )
        )
    if delivery.get("archive_type") is None:
        unused = [name for name in ("single_archive", "archive_filename") if delivery.get(name)]
        if unused:
            notes.append(
                (
                    "delivery.archive_type",
                    f"is not set, so {' and '.join(unused)} has no effect: set archive_type to 'zip'",
                )
            )
    layout = delivery.get("layout")
    if isinstance(layout, dict):
        layout_format = layout.get("format")
        if isinstance(layout_format, str) and layout_format.strip():
            _note_unknown(notes, "delivery.layout.format", layout_format, LAYOUT_FORMATS, "a layout")


def _note_unknown(notes: list[Problem], path: str, value: str, known: tuple[str, ...], what: str) -> None:
    if value not in known:
        notes.append(
            (
                path,
                f"{show(value)} is not {what} this provider knows{did_you_mean(value, known)}; "
                "it is sent as is",
            )
        )


# --- unknown keys -----------------------------------------------------------------------------

_Children = tuple[bool, tuple[type[_Model], ...]]


def _models_in(annotation: Any) -> _Children:
    """Which models a field holds, and whether as a list: enough to walk a raw request."""
    if isinstance(annotation, type) and issubclass(annotation, _Model):
        return False, (annotation,)
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _models_in(args[0])
    if origin is list:
        return True, _models_in(args[0])[1]
    if origin is Union or origin is types.UnionType:
        found = [_models_in(arg) for arg in args]
        is_list = any(each[0] for each in found)
        return is_list, tuple(model for each in found for model in each[1])
    return False, ()


def _unknown_keys(value: Any, models: tuple[type[_Model], ...], path: str, notes: list[Problem]) -> None:
    if not isinstance(value, dict) or not models:
        return
    claiming = tuple(model for model in models if model._claims(value)) or models
    fields: dict[str, _Children] = {}
    for model in claiming:
        for name, info in model.model_fields.items():
            fields.setdefault(name, _models_in(info.annotation))
    warn = all(model._warn_unknown for model in claiming)
    for key, child in value.items():
        child_path = join_path(path, key)
        if key not in fields:
            if warn:
                notes.append(
                    (
                        child_path,
                        f"is not a field this provider knows{did_you_mean(key, fields)}; it is sent as is",
                    )
                )
            continue
        is_list, child_models = fields[key]
        if is_list and isinstance(child, list):
            for index, element in enumerate(child):
                _unknown_keys(element, child_models, join_path(child_path, index), notes)
        else:
            _unknown_keys(child, child_models, child_path, notes)


# --- JSON first -------------------------------------------------------------------------------


class _JsonCheck:
    """Copies a request into plain JSON values, noting what ``json.dumps`` would choke on."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        #: Paths of values kept as they are although they are not JSON; pydantic will trip on them.
        self.bad_paths: list[str] = []
        self._active: set[int] = set()

    def copy(self, value: Any, path: str = "", depth: int = 0) -> Any:
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                self.problems.append((path, "must be a finite number: NaN and infinity are not JSON"))
                self.bad_paths.append(path)
            return value
        if depth > _MAX_DEPTH:
            self.problems.append((path, "is nested too deeply"))
            return None
        if isinstance(value, (Mapping, list, tuple)):
            if id(value) in self._active:
                self.problems.append((path, "contains itself"))
                return None
            self._active.add(id(value))
            try:
                if isinstance(value, Mapping):
                    return self._copy_object(value, path, depth)
                return [
                    self.copy(element, join_path(path, index), depth + 1)
                    for index, element in enumerate(value)
                ]
            finally:
                self._active.discard(id(value))
        self.problems.append(
            (
                path,
                f"is a {type(value).__name__}, which is not JSON: "
                "use strings, numbers, booleans, null, lists and dicts",
            )
        )
        self.bad_paths.append(path)
        return value

    def _copy_object(self, value: Mapping[Any, Any], path: str, depth: int) -> dict[str, Any]:
        copied: dict[str, Any] = {}
        for key, element in value.items():
            if not isinstance(key, str):
                self.problems.append(
                    (path, f"has the key {show(key)}, which is not a string: JSON keys are strings")
                )
                continue
            copied[key] = self.copy(element, join_path(path, key), depth + 1)
        return copied


# --- pydantic errors as problems --------------------------------------------------------------

_CONNECTION_HINT = {name: TARGET_MODELS[name]._connection_fields for name in CONNECTION_TARGETS}


def _got(value: Any, field: str | int | None) -> str:
    kind = json_type(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and field not in SECRET_FIELDS:
        return f"{kind} {show(value)}"
    return kind


def _message(error: ErrorDetails, loc: list[str | int]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        if len(loc) >= 2 and loc[-2] in _CONNECTION_HINT and loc[-1] in _CONNECTION_HINT[str(loc[-2])]:
            return f"is required (or set {CONNECTION_MARKER} to take it from an Airflow connection)"
        return "is required"
    expected = {
        "string_type": "a string",
        "int_type": "an integer",
        "float_type": "a number",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "an object",
        "model_type": "an object",
        "model_attributes_type": "an object",
    }
    if kind in expected:
        return f"must be {expected[kind]}, got {_got(value, loc[-1] if loc else None)}"
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        if minimum == 1:
            return "must not be empty"
        return f"must have at least {minimum} entries, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} entries, got {ctx.get('actual_length')}"
    bounds = {
        "greater_than": ("greater than", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("less than", "lt"),
        "less_than_equal": ("at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}, got {_got(value, loc[-1] if loc else None)}"
    text = error["msg"]
    if kind == "value_error" and text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    return text[:1].lower() + text[1:]


def _problems_of(error: ErrorDetails, root: str = "") -> list[Problem]:
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("@"))]
    base = join_path(root, *loc)
    ctx = error.get("ctx") or {}
    if error["type"] == "order_request" and "problems" in ctx:
        return [(join_path(base, *sub), message) for sub, message in ctx["problems"]]
    return [(base, _message(error, loc))]


def _below(path: str, parent: str) -> bool:
    return path == parent or path.startswith((f"{parent}.", f"{parent}["))


def _unique(items: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(items), key=lambda item: path_sort_key(item[0]))


def validate(request: object, *, stacklevel: int = 2, bundle_spec: BundleSpec | None = None) -> None:
    """
    Validate ``request``: warn for doubtful parts, raise for wrong ones. See the package docs.

    ``bundle_spec`` is Planet's bundle spec to check bundles with: the copy shipped with the
    package unless a fresher one (the hook's live fetch) is given.
    """
    check = _JsonCheck()
    data = check.copy(request)
    problems = list(check.problems)
    if not isinstance(data, dict):
        if not problems:
            problems.append(("", f"must be an object (a dict), got {json_type(request)}"))
        raise PlanetInvalidOrderRequestError(_unique(problems))

    context: dict[str, Any] = {"problems": [], "warnings": [], "bundle_spec": bundle_spec}
    found: list[Problem] = []
    try:
        OrderRequest.model_validate(data, context=context)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            found.extend(_problems_of(error))
    except Exception as exc:  # a bug here must not hide the request's own problems
        found.append(("", f"could not be checked ({type(exc).__name__}); please report this provider bug"))
    # A value that is not JSON already has its problem; its pydantic type error would repeat it.
    found = [item for item in found if not any(_below(item[0], bad) for bad in check.bad_paths)]
    problems += found + context["problems"]

    notes = list(context["warnings"])
    _unknown_keys(data, (OrderRequest,), "", notes)
    for path, message in _unique(notes):
        warnings.warn(PlanetOrderRequestWarning(path, message), stacklevel=stacklevel + 1)
    if problems:
        raise PlanetInvalidOrderRequestError(_unique(problems))


_AOI: TypeAdapter[Any] = TypeAdapter(AOI)
_BASEMAP_GEOMETRY: TypeAdapter[Any] = TypeAdapter(BasemapGeometry)


def check_geometry(argument: str, value: Any, *, refs_allowed: bool) -> dict[str, Any]:
    """The builders' check of a geometry: the validator's own rules, reported against ``argument``."""
    check = _JsonCheck()
    data = check.copy(value, argument)
    problems = list(check.problems)
    if not problems:
        try:
            (_AOI if refs_allowed else _BASEMAP_GEOMETRY).validate_python(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                problems.extend(_problems_of(error, argument))
    if problems:
        raise PlanetInvalidOrderRequestError(_unique(problems))
    geometry: dict[str, Any] = data
    return geometry
