"""
Response interpretation: status to exception, Planet's error bodies, ``Retry-After``, paging links.

Transports call :func:`interpret` with what they received and get either the decoded JSON or an
exception from :mod:`airflow_provider_planet_orders.exceptions`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

from airflow_provider_planet_orders.core.build import ApiRequest, ListFilters, RequestBuilder, check_limit
from airflow_provider_planet_orders.exceptions import (
    PlanetApiError,
    PlanetAuthError,
    PlanetBadRequestError,
    PlanetConflictError,
    PlanetNotFoundError,
    PlanetPagingError,
    PlanetRateLimitError,
    PlanetServerError,
    PlanetUnexpectedResponseError,
)

#: Longest planet message kept in an exception: bodies of proxies' error pages can be huge.
_MAX_MESSAGE = 500

_STATUS_ERRORS: dict[int, type[PlanetApiError]] = {
    400: PlanetBadRequestError,
    401: PlanetAuthError,
    403: PlanetAuthError,
    404: PlanetNotFoundError,
    409: PlanetConflictError,
    429: PlanetRateLimitError,
}


@dataclass(frozen=True)
class ResultStream:
    """
    A result file being streamed, as the sync hook hands it over: no HTTP library's objects.

    ``start`` is the byte the chunks begin at: the requested offset when the server honoured the
    ``Range``, else 0 (it sent the whole file). The chunks raise
    :class:`~airflow_provider_planet_orders.exceptions.PlanetConnectionError` when the connection
    breaks mid-file, and close the stream when exhausted.
    """

    status: int
    headers: Mapping[str, str]
    start: int
    chunks: Iterator[bytes]
    close: Callable[[], None]

    def __enter__(self) -> ResultStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self) -> bytes:
        """Every remaining byte at once (for small files such as the manifest)."""
        with self:
            return b"".join(self.chunks)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """
    Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Returns ``None`` when the header is absent or unreadable, and never a negative number.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _decode(content: bytes | str) -> Any:
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return json.loads(content)


def planet_messages(body: Any) -> tuple[dict[str, list[str]], list[str]]:
    """
    Read Planet's error body: ``{"field": {...: [{"message"}]}, "general": [{"message"}]}``.

    Also tolerates the simpler ``{"message": "..."}`` some endpoints and gateways send.
    """
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    if not isinstance(body, Mapping):
        return fields, general
    raw_fields = body.get("field")
    if isinstance(raw_fields, Mapping):
        for name, entries in raw_fields.items():
            fields[str(name)] = _messages(entries)
    general.extend(_messages(body.get("general")))
    general.extend(body[key] for key in ("message", "detail", "error") if isinstance(body.get(key), str))
    return fields, general


def _messages(entries: Any) -> list[str]:
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        return []
    out = []
    for entry in entries:
        if isinstance(entry, Mapping) and "message" in entry:
            out.append(str(entry["message"]))
        elif isinstance(entry, str):
            out.append(entry)
    return out


def _summary(fields: Mapping[str, list[str]], general: list[str], content: bytes | str) -> str:
    parts = list(general)
    parts += [f"{name}: {msg}" for name, msgs in fields.items() for msg in msgs]
    if not parts:
        text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
        text = " ".join(text.split())
        if text:
            parts.append(text)
    message = "; ".join(parts)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def error_for(
    request: ApiRequest, status: int, headers: Mapping[str, str], content: bytes | str
) -> PlanetApiError:
    """Build the exception for an error status, carrying Planet's messages and ``Retry-After``."""
    try:
        body = _decode(content) if content else None
    except ValueError:
        body = None
    fields, general = planet_messages(body)
    planet_message = _summary(fields, general, content if body is None else b"")
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown Status"
    message = f"{request.describe()} failed with {status} {reason}"
    if planet_message:
        message += f": {planet_message}"
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = PlanetServerError if status >= 500 else PlanetUnexpectedResponseError
    context: dict[str, Any] = {
        "operation": request.operation,
        "method": request.method,
        "path": request.path,
        "status": status,
        "planet_message": planet_message or None,
    }
    error: PlanetApiError
    if cls is PlanetBadRequestError:
        error = PlanetBadRequestError(message, field_errors=fields, general_errors=general, **context)
    else:
        error = cls(message, **context)
    error.retry_after = parse_retry_after(_header(headers, "Retry-After"))
    return error


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # requests and httpx both give case-insensitive mappings; a plain dict in a test may not.
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def interpret(request: ApiRequest, status: int, headers: Mapping[str, str], content: bytes | str) -> Any:
    """Return the decoded JSON of a successful response, or raise the matching error."""
    if not 200 <= status < 300:
        raise error_for(request, status, headers, content)
    try:
        return _decode(content) if content else {}
    except ValueError:
        raise PlanetUnexpectedResponseError(
            f"{request.describe()} answered {status} with a body that is not JSON",
            operation=request.operation,
            method=request.method,
            path=request.path,
            status=status,
        ) from None


def expect_object(request: ApiRequest, body: Any) -> dict[str, Any]:
    """Check that a decoded body is a JSON object, as every Orders endpoint returns."""
    if not isinstance(body, dict):
        raise PlanetUnexpectedResponseError(
            f"{request.describe()} returned {type(body).__name__}, not a JSON object",
            operation=request.operation,
            method=request.method,
            path=request.path,
        )
    return body


def page_orders(request: ApiRequest, page: dict[str, Any]) -> list[dict[str, Any]]:
    orders = page.get("orders", [])
    if not isinstance(orders, list):
        raise PlanetUnexpectedResponseError(
            f"{request.describe()} returned a page whose 'orders' is not a list",
            operation=request.operation,
            method=request.method,
            path=request.path,
        )
    return orders


def next_link(page: Mapping[str, Any]) -> str | None:
    """The absolute URL of the next page, or ``None`` on the last page."""
    links = page.get("_links")
    if not isinstance(links, Mapping):
        return None
    nxt = links.get("next")
    return nxt if isinstance(nxt, str) and nxt else None


class Listing:
    """
    Paging state of one ``list_orders`` call, shared by both hooks.

    The transport fetches :attr:`request` while it is not ``None`` and hands each page to
    :meth:`accept`, which returns the orders to yield and moves to the next page. A ``next`` link
    seen before raises instead of looping forever; ``limit`` stops early without fetching more.
    The filters are checked here, when the listing starts, before any request.
    """

    def __init__(self, builder: RequestBuilder, filters: ListFilters, limit: int | None = None) -> None:
        first = builder.list_orders(filters)
        limit = check_limit(limit)
        self._builder = builder
        self._seen: set[str] = set()
        self._remaining = limit
        self.request: ApiRequest | None = None if limit == 0 else first
        self.pages = 0

    def accept(self, page: Any) -> list[dict[str, Any]]:
        assert self.request is not None, "accept() called after the last page"
        current = self.request
        page = expect_object(current, page)
        orders = page_orders(current, page)
        self.pages += 1
        if self._remaining is not None:
            orders = orders[: self._remaining]
            self._remaining -= len(orders)
        nxt = next_link(page)
        if nxt is None or self._remaining == 0:
            self.request = None
        elif nxt in self._seen or nxt == current.url:
            raise PlanetPagingError(
                f"{current.describe()} returned the same next page link twice; stopped after "
                f"{self.pages} page(s) instead of looping",
                operation=current.operation,
                method=current.method,
                path=current.path,
            )
        else:
            self._seen.add(nxt)
            self.request = self._builder.next_page(nxt)
        return orders
