"""
Request building: one :class:`ApiRequest` per API call, with every argument checked first.

A bad argument raises :class:`~airflow_provider_planet_orders.exceptions.PlanetInvalidInputError`
naming the argument, before anything is sent: a request Planet would refuse costs a rate-limit
slot and, inside a task, a retry.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, TypedDict, Union
from urllib.parse import urlsplit

from airflow_provider_planet_orders import __version__
from airflow_provider_planet_orders.core.api import (
    BULK_CANCEL_PATH,
    BUNDLES_SPEC_PATH,
    DEFAULT_BASE_URL,
    MAX_BULK_CANCEL_IDS,
    ORDER_STATES,
    ORDERS_PATH,
    SORT_FIELDS,
    SOURCE_TYPES,
    STATS_PATH,
    Endpoint,
)
from airflow_provider_planet_orders.exceptions import PlanetInvalidInputError

USER_AGENT = f"airflow-provider-planet-orders/{__version__}"

#: What a ``created_on`` / ``last_modified`` filter accepts: an instant, an interval as a
#: ``(start, end)`` pair with ``None`` for an open end, or Planet's own string form.
TimeFilter = Union[datetime, tuple[Union[datetime, str, None], Union[datetime, str, None]], str]  # noqa: UP007


@dataclass(frozen=True)
class ApiRequest:
    """A request ready to send: everything a transport needs, and nothing secret."""

    endpoint: Endpoint
    method: str
    url: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The URL's path, for messages: no host, no query string."""
        return urlsplit(self.url).path

    @property
    def operation(self) -> str:
        return self.endpoint.operation

    def describe(self) -> str:
        """``get_order GET /compute/ops/orders/v2/<id>``, the prefix of every error message."""
        return f"{self.operation} {self.method} {self.path}"


def validate_order_id(order_id: object, field_name: str = "order_id") -> str:
    """Return ``order_id`` as a canonical UUID string, or raise naming ``field_name``."""
    if isinstance(order_id, uuid.UUID):
        return str(order_id)
    if not isinstance(order_id, str):
        raise PlanetInvalidInputError(
            field_name, f"must be an order id (a UUID string), got {type(order_id).__name__}"
        )
    try:
        return str(uuid.UUID(order_id.strip()))
    except ValueError:
        raise PlanetInvalidInputError(field_name, f"{order_id!r} is not an order id (a UUID)") from None


def normalize_base_url(base_url: str | None) -> str:
    """Return the base URL without a trailing slash; default to Planet's API."""
    url = (base_url or DEFAULT_BASE_URL).strip()
    if "://" not in url:
        # Airflow connection forms usually hold a bare host name: assume TLS, like a browser.
        url = f"https://{url}"
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PlanetInvalidInputError("host", f"{base_url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise PlanetInvalidInputError("host", "must not carry a query string or fragment")
    return url


def format_instant(value: datetime | str, field_name: str) -> str:
    """RFC 3339 in UTC with a ``Z``, as Planet writes it. Naive datetimes are taken as UTC."""
    if isinstance(value, str):
        if not value.strip():
            raise PlanetInvalidInputError(field_name, "must not be empty")
        return value.strip()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
        return text.replace("+00:00", "Z")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    raise PlanetInvalidInputError(field_name, f"must be a datetime or a string, got {type(value).__name__}")


def format_time_filter(value: TimeFilter, field_name: str) -> str:
    """Encode an instant or an interval the way the list endpoint takes it (``start/end``, ``..``)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise PlanetInvalidInputError(field_name, "an interval must be a (start, end) pair")
        start, end = value
        if start is None and end is None:
            raise PlanetInvalidInputError(field_name, "an interval needs a start or an end")
        low = ".." if start is None else format_instant(start, field_name)
        high = ".." if end is None else format_instant(end, field_name)
        if isinstance(start, datetime) and isinstance(end, datetime) and _utc(start) > _utc(end):
            raise PlanetInvalidInputError(field_name, "the interval's start is after its end")
        return f"{low}/{high}"
    return format_instant(value, field_name)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _choices(value: str | Iterable[str], allowed: Sequence[str], field_name: str) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise PlanetInvalidInputError(field_name, "must not be empty")
    for item in values:
        if item not in allowed:
            raise PlanetInvalidInputError(field_name, f"{item!r} is not one of {', '.join(allowed)}")
    return values


def format_sort_by(value: str | Iterable[str]) -> str:
    """Check and join sort keys: ``["created_on DESC", "name"]`` -> ``"created_on DESC,name"``."""
    keys = value.split(",") if isinstance(value, str) else list(value)
    cleaned = []
    for key in keys:
        words = key.split()
        if not words or len(words) > 2:
            raise PlanetInvalidInputError("sort_by", f"{key.strip()!r} is not 'field' or 'field ASC|DESC'")
        if words[0] not in SORT_FIELDS:
            raise PlanetInvalidInputError("sort_by", f"{words[0]!r} is not one of {', '.join(SORT_FIELDS)}")
        if len(words) == 2 and words[1].upper() not in ("ASC", "DESC"):
            raise PlanetInvalidInputError("sort_by", f"direction {words[1]!r} is not ASC or DESC")
        cleaned.append(" ".join([words[0], *(w.upper() for w in words[1:])]))
    return ",".join(cleaned)


def _positive_int(value: object, field_name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanetInvalidInputError(field_name, f"must be an integer, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise PlanetInvalidInputError(field_name, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


class ListFilters(TypedDict, total=False):
    """
    The list endpoint's filters: what the hooks' ``list_orders``, the list operator and
    :func:`list_params` take. ``None`` (or leaving a filter out) means "not filtered".

    ``state`` and ``source_type`` take one value or several (ORed). ``created_on`` and
    ``last_modified`` take a datetime, a ``(start, end)`` pair with ``None`` for an open end, or
    Planet's string form. ``sort_by`` takes ``"field"`` or ``"field ASC|DESC"``, one or several.
    """

    state: str | Iterable[str] | None
    source_type: str | Iterable[str] | None
    name: str | None
    name_contains: str | None
    created_on: TimeFilter | None
    last_modified: TimeFilter | None
    hosting: bool | None
    sort_by: str | Iterable[str] | None
    page_size: int | None


#: The names of the list filters, in the order their query parameters are written.
LIST_FILTERS: tuple[str, ...] = tuple(ListFilters.__annotations__)


def list_params(filters: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Encode :class:`ListFilters` as query parameters; multi-valued filters repeat their parameter."""
    unknown = sorted(set(filters) - set(LIST_FILTERS))
    if unknown:
        raise PlanetInvalidInputError(unknown[0], f"is not a list filter (known: {', '.join(LIST_FILTERS)})")
    state, source_type = filters.get("state"), filters.get("source_type")
    name, name_contains = filters.get("name"), filters.get("name_contains")
    created_on, last_modified = filters.get("created_on"), filters.get("last_modified")
    hosting, sort_by, page_size = filters.get("hosting"), filters.get("sort_by"), filters.get("page_size")
    params: list[tuple[str, str]] = []
    if state is not None:
        params += [("state", s) for s in _choices(state, ORDER_STATES, "state")]
    if source_type is not None:
        params += [("source_type", s) for s in _choices(source_type, SOURCE_TYPES, "source_type")]
    if name is not None:
        params.append(("name", _text(name, "name")))
    if name_contains is not None:
        params.append(("name__contains", _text(name_contains, "name_contains")))
    if created_on is not None:
        params.append(("created_on", format_time_filter(created_on, "created_on")))
    if last_modified is not None:
        params.append(("last_modified", format_time_filter(last_modified, "last_modified")))
    if hosting is not None:
        if not isinstance(hosting, bool):
            raise PlanetInvalidInputError("hosting", f"must be True or False, got {hosting!r}")
        params.append(("hosting", "true" if hosting else "false"))
    if sort_by is not None:
        params.append(("sort_by", format_sort_by(sort_by)))
    if page_size is not None:
        params.append(("page_size", str(_positive_int(page_size, "page_size"))))
    return tuple(params)


def _text(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not value:
        raise PlanetInvalidInputError(field_name, f"must be a non-empty string, got {value!r}")
    return value


def check_limit(limit: int | None) -> int | None:
    """``limit`` caps how many orders a listing yields; ``None`` means all of them."""
    return None if limit is None else _positive_int(limit, "limit", allow_zero=True)


class RequestBuilder:
    """
    Builds the :class:`ApiRequest` for each Orders API operation against one base URL.

    It holds no credentials: authentication is the transport's job, so a request can be logged,
    compared in a test, or put in an error message without leaking the key.
    """

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = normalize_base_url(base_url)
        self.orders_url = self.base_url + ORDERS_PATH

    def order_url(self, order_id: str) -> str:
        return f"{self.orders_url}/{validate_order_id(order_id)}"

    def create_order(self, request: Mapping[str, Any]) -> ApiRequest:
        if not isinstance(request, Mapping):
            raise PlanetInvalidInputError(
                "order_request", f"must be a dict (the order's JSON), got {type(request).__name__}"
            )
        return ApiRequest(
            Endpoint.CREATE,
            "POST",
            self.orders_url,
            json=dict(request),
            headers={"X-Planet-App": USER_AGENT},
        )

    def get_order(self, order_id: str) -> ApiRequest:
        return ApiRequest(Endpoint.GET, "GET", self.order_url(order_id))

    def cancel_order(self, order_id: str) -> ApiRequest:
        return ApiRequest(Endpoint.CANCEL, "PUT", self.order_url(order_id))

    def cancel_orders(self, order_ids: Sequence[str] | None = None) -> ApiRequest:
        """Bulk cancel: ``None`` asks Planet to cancel every order of the key that is still queued."""
        body: dict[str, Any] = {}
        if order_ids is not None:
            if isinstance(order_ids, str) or not isinstance(order_ids, Iterable):
                raise PlanetInvalidInputError("order_ids", "must be a list of order ids, or None for all")
            ids = [validate_order_id(o, f"order_ids[{i}]") for i, o in enumerate(order_ids)]
            if not 1 <= len(ids) <= MAX_BULK_CANCEL_IDS:
                raise PlanetInvalidInputError(
                    "order_ids", f"must hold 1 to {MAX_BULK_CANCEL_IDS:,} ids, got {len(ids):,}"
                )
            body["order_ids"] = ids
        return ApiRequest(Endpoint.BULK_CANCEL, "POST", self.base_url + BULK_CANCEL_PATH, json=body)

    def get_order_stats(self) -> ApiRequest:
        return ApiRequest(Endpoint.STATS, "GET", self.base_url + STATS_PATH)

    def get_bundle_spec(self) -> ApiRequest:
        return ApiRequest(Endpoint.SPEC, "GET", self.base_url + BUNDLES_SPEC_PATH)

    def list_orders(self, filters: ListFilters) -> ApiRequest:
        """First page of a listing, with :class:`ListFilters`."""
        return ApiRequest(Endpoint.LIST, "GET", self.orders_url, params=list_params(filters))

    def next_page(self, next_url: str) -> ApiRequest:
        """A following page: ``_links.next`` already carries every parameter."""
        return ApiRequest(Endpoint.LIST, "GET", next_url)

    def download(self, location: str, offset: int = 0) -> ApiRequest:
        """A result file, from byte ``offset`` on (a Range request) to resume a partial download."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        return ApiRequest(Endpoint.DOWNLOAD, "GET", location, headers=headers)

    def is_api_host(self, url: str) -> bool:
        """Whether ``url`` is on the API's own host, the only one our credentials are sent to."""
        return urlsplit(url).netloc == urlsplit(self.base_url).netloc
