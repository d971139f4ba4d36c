"""
List orders: every filter of the reference, multi-field sorting, and paging by marker.

A page marker names the last order of the previous page (and its position, as a fallback when
that order no longer matches), so that orders created while a client pages do not shift the
pages it has not read yet.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from airflow_provider_planet_orders.core.api import SORT_FIELDS, SOURCE_TYPES
from airflow_provider_planet_orders.emulator.store import Order, parse_time

DEFAULT_PAGE_SIZE = 20
#: Larger page sizes are served at this size rather than refused.
MAX_PAGE_SIZE = 500
#: Order without ``sort_by``: newest first, as Planet lists.
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("created_on", True),)


class ListQueryError(ValueError):
    """A list parameter with a bad value: answered 400, naming the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Interval:
    """
    A time filter. An interval ``start/end`` is half-open, as Planet's: the start is included,
    the end is not (``2026-01-01T00:00:00Z/2026-02-01T00:00:00Z`` is January). An instant matches
    that millisecond only.
    """

    low: float | None
    high: float | None
    instant: bool = False

    def __contains__(self, value: float) -> bool:
        if self.instant:
            return value == self.low
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


def parse_interval(text: str, field: str) -> Interval:
    """An instant or an interval ``start/end`` with ``..`` (or nothing) for an open end."""
    parts = text.split("/")
    if len(parts) > 2:
        raise ListQueryError(field, f"{text!r} is not an instant or a start/end interval")
    try:
        if len(parts) == 1:
            instant = parse_time(parts[0])
            return Interval(instant, instant, instant=True)
        low, high = (None if p.strip() in ("", "..") else parse_time(p) for p in parts)
    except ValueError:
        raise ListQueryError(field, f"{text!r} is not an RFC 3339 instant or interval") from None
    if low is None and high is None:
        raise ListQueryError(field, "an interval needs a start or an end")
    if low is not None and high is not None and low > high:
        raise ListQueryError(field, "the interval's start is after its end")
    return Interval(low, high)


def parse_source_types(values: list[str] | None) -> frozenset[str]:
    """
    ``source_type`` as Planet takes it: repeated, comma-separated (``scenes,basemaps``), or
    ``all``; ``scenes`` only when not given.
    """
    names = [name.strip() for value in values or [] for name in value.split(",") if name.strip()]
    for name in names:
        if name not in SOURCE_TYPES:
            raise ListQueryError("source_type", f"{name!r} is not one of {', '.join(SOURCE_TYPES)}")
    types = frozenset(names or ["scenes"])
    return frozenset({"scenes", "basemaps"}) if "all" in types else types


def parse_sort(text: str) -> tuple[tuple[str, bool], ...]:
    """``"name,created_on DESC"`` -> ``(("name", False), ("created_on", True))`` (True: descending)."""
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in SORT_FIELDS:
            raise ListQueryError(
                "sort_by", f"{part.strip()!r} is not one of {', '.join(SORT_FIELDS)}, with ASC or DESC"
            )
        direction = words[1].upper() if len(words) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise ListQueryError("sort_by", f"direction {words[1]!r} is not ASC or DESC")
        keys.append((words[0], direction == "DESC"))
    return tuple(keys)


def encode_marker(last_id: str, offset: int) -> str:
    data = json.dumps({"after": last_id, "offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_marker(marker: str) -> tuple[str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4)))
        return str(data["after"]), int(data["offset"])
    except (ValueError, KeyError, TypeError):
        raise ListQueryError("page_marker", "not a page marker this service issued") from None


@dataclass(frozen=True)
class ListQuery:
    """The list parameters, checked. Build it with :meth:`parse`."""

    states: frozenset[str] | None = None
    source_types: frozenset[str] = frozenset({"scenes"})
    name: str | None = None
    name_contains: str | None = None
    created_on: Interval | None = None
    last_modified: Interval | None = None
    hosting: bool | None = None
    destination_ref: str | None = None
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT
    page_size: int = DEFAULT_PAGE_SIZE
    after: tuple[str, int] | None = None

    @classmethod
    def parse(
        cls,
        *,
        state: list[str] | None = None,
        source_type: list[str] | None = None,
        name: str | None = None,
        name_contains: str | None = None,
        created_on: str | None = None,
        last_modified: str | None = None,
        hosting: bool | None = None,
        destination_ref: str | None = None,
        sort_by: str | None = None,
        page_size: int | None = None,
        page_marker: str | None = None,
    ) -> ListQuery:
        return cls(
            states=frozenset(state) if state else None,
            source_types=parse_source_types(source_type),
            name=name,
            name_contains=name_contains,
            created_on=None if created_on is None else parse_interval(created_on, "created_on"),
            last_modified=None if last_modified is None else parse_interval(last_modified, "last_modified"),
            hosting=hosting,
            destination_ref=destination_ref,
            sort=DEFAULT_SORT if sort_by is None else parse_sort(sort_by),
            page_size=min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
            after=None if page_marker is None else decode_marker(page_marker),
        )


def select(orders: Iterable[Order], query: ListQuery, now: float) -> tuple[list[Order], str | None]:
    """One page of the orders matching ``query``, and the marker of the next page (or None)."""
    rows: list[tuple[Order, str, float]] = []
    for order in orders:
        current = order.current(now)
        if query.states is not None and current.state not in query.states:
            continue
        if order.source_type not in query.source_types:
            continue
        if query.name is not None and order.name != query.name:
            continue
        if query.name_contains is not None and query.name_contains not in order.name:
            continue
        if query.created_on is not None and order.created not in query.created_on:
            continue
        if query.last_modified is not None and current.at not in query.last_modified:
            continue
        if query.hosting is not None and order.has_hosting != query.hosting:
            continue
        if query.destination_ref is not None and _destination_ref(order) != query.destination_ref:
            continue
        rows.append((order, current.state, current.at))

    keys: dict[str, Callable[[tuple[Order, str, float]], Any]] = {
        "name": lambda row: row[0].name,
        "created_on": lambda row: row[0].created,
        "state": lambda row: row[1],
        "last_modified": lambda row: row[2],
    }
    rows.sort(key=lambda row: row[0].id)
    for field, descending in reversed(query.sort):
        rows.sort(key=keys[field], reverse=descending)

    start = 0
    if query.after is not None:
        last_id, offset = query.after
        ids = [row[0].id for row in rows]
        start = ids.index(last_id) + 1 if last_id in ids else min(offset, len(rows))
    page = [row[0] for row in rows[start : start + query.page_size]]
    end = start + len(page)
    marker = encode_marker(page[-1].id, end) if page and end < len(rows) else None
    return page, marker


def _destination_ref(order: Order) -> str | None:
    destination = (order.request.get("delivery") or {}).get("destination")
    return destination.get("ref") if isinstance(destination, dict) else None
